"""Subscripts as integers: x_{t-1} at t = 3 is x_2; x_{1:T} at T = 2 is x_1, x_2.

Index expressions are the document's own (t, t-1, t+1, T, T-1, 1, i); a row's free index symbols
take every admissible value in turn.
"""

from __future__ import annotations

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.errors import NotApplicable


def index_value(node: n.Node, env: dict[str, int]) -> int:
    """The integer an index expression names, given values for its symbols."""
    if isinstance(node, n.Num):
        if not node.value.isdigit():
            raise NotApplicable(f"index {node.value} is not an integer")
        return int(node.value)
    if isinstance(node, n.Var) and node.index is None and not getattr(node, "marks", ()):
        if node.name in env:
            return env[node.name]
        raise NotApplicable(f"index symbol {node.name} has no value here")
    if isinstance(node, n.Add):
        return sum(index_value(t, env) for t in node.terms)
    if isinstance(node, n.Neg):
        return -index_value(node.arg, env)
    if isinstance(node, n.Mul) and len(node.factors) == 2:
        return index_value(node.factors[0], env) * index_value(node.factors[1], env)
    raise NotApplicable(f"index {type(node).__name__} is not an integer expression")


def index_symbols(node: object, out: set[str] | None = None) -> set[str]:
    """Single-letter symbols inside an index expression (t, i, T)."""
    out = set() if out is None else out
    if isinstance(node, n.Var) and node.index is None:
        out.add(node.name)
    elif isinstance(node, n.Node):
        for f in node.__dataclass_fields__:
            index_symbols(getattr(node, f), out)
    elif isinstance(node, tuple):
        for x in node:
            index_symbols(x, out)
    return out


def is_index_expression(node: n.Node) -> bool:
    """Whether a subscript reads as a time index (t, t-1, 0, T, 1:T) rather than a label (theta)."""
    if isinstance(node, n.Slice):
        return is_index_expression(node.lower) and is_index_expression(node.upper)
    if isinstance(node, n.Num):
        return node.value.isdigit()
    if isinstance(node, n.Var):
        return node.index is None and not getattr(node, "marks", ()) and (
            len(node.name) == 1 and node.name.isalpha())
    if isinstance(node, n.Add):
        return all(is_index_expression(t) for t in node.terms)
    if isinstance(node, n.Neg):
        return is_index_expression(node.arg)
    return False


def solve_index(node: n.Node, symbol: str, target: int, env: dict[str, int]) -> int | None:
    """The value of `symbol` that makes the index expression equal target, if any."""
    try:
        a = index_value(node, {**env, symbol: 0})
        b = index_value(node, {**env, symbol: 1})
    except NotApplicable:
        return None
    slope = b - a
    if slope == 0:
        return None if a != target else 0
    if (target - a) % slope:
        return None
    return (target - a) // slope
