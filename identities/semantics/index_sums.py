r"""Sums over a coordinate with a symbolic bound, judged at concrete sizes.

A row such as  -\frac12 \sum_{j=1}^{J} (1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)
= \frac12 \sum_{j=1}^{J} (\mu_j^2 + \sigma_j^2 - 2\log\sigma_j - 1)  (the per-coordinate KL of a
diagonal Gaussian, as every VAE write-up spells it out) is plain algebra in indexed symbols. It is
judged at J = 1, 2, 3: the sums are written out term by term (mu_1, mu_2, ... are free symbols)
and J elsewhere in the row takes the same value. A counterexample at one size is a refutation; a
proof at every size is stated with that scope (when both sides are sums of one term per
coordinate plus terms affine in J, sizes 1 and 2 already decide every J).

Only rows of algebra: a sum whose body holds a density, an expectation, a KL divergence or an
integral belongs to the model families, which give its index a meaning of their own.
"""

from __future__ import annotations

from dataclasses import fields, replace

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.evaluate import mentions

SIZES = (1, 2, 3)
_MODEL_NODES = (n.Density, n.Normal, n.KL, n.Expectation, n.Integral)


def bound_of(*sides: n.Node) -> str | None:
    """The name of the common symbolic upper bound of the row's coordinate sums, or None when the
    row has none or is not plain algebra."""
    bounds = set()

    def visit(node: n.Node) -> bool:
        if isinstance(node, n.BigOp) and node.op == "sum":
            if not (isinstance(node.index, n.Var) and node.index.index is None
                    and isinstance(node.lower, n.Num) and node.lower.value in {"0", "1"}
                    and isinstance(node.upper, n.Var) and node.upper.index is None
                    and not node.upper.marks and node.domain is None):
                bounds.add(None)
            else:
                bounds.add(node.upper.name)
        return False

    for side in sides:
        if side is None or mentions(side, lambda x: isinstance(x, _MODEL_NODES)):
            return None
        if mentions(side, lambda x: isinstance(x, n.Var) and x.sample is not None):
            return None  # sums over Monte Carlo draws are estimators, judged as such
        mentions(side, visit)
    if len(bounds) != 1 or None in bounds:
        return None
    return bounds.pop()


def instance(node, bound: str, size: int):
    """The node with its sums up to `bound` written out for bound = size, and `bound` = size."""
    if isinstance(node, tuple):
        return tuple(instance(x, bound, size) for x in node)
    if not isinstance(node, n.Node):
        return node
    if isinstance(node, n.Var) and node.name == bound and node.index is None and not node.marks:
        return n.Num(str(size))
    if isinstance(node, n.BigOp) and node.op == "sum" and isinstance(node.upper, n.Var) \
            and node.upper.name == bound:
        start = int(node.lower.value)
        body = instance(node.body, bound, size)
        terms = tuple(_substitute(body, node.index.name, k) for k in range(start, size + 1))
        if not terms:
            return n.Num("0")
        return terms[0] if len(terms) == 1 else n.Add(terms)
    changes = {f.name: instance(getattr(node, f.name), bound, size) for f in fields(node)}
    return replace(node, **changes)


def _substitute(node, index: str, value: int):
    """The index variable replaced by a number wherever it stands (mu_j -> mu_2)."""
    if isinstance(node, tuple):
        return tuple(_substitute(x, index, value) for x in node)
    if not isinstance(node, n.Node):
        return node
    if isinstance(node, n.Var) and node.name == index and node.index is None and not node.marks:
        return n.Num(str(value))
    return replace(node, **{f.name: _substitute(getattr(node, f.name), index, value) for f in fields(node)})
