"""How ``name(...)`` reads: a density, a function application, or a product.

- ``p(...)`` and ``q(...)`` (with any subscript or mark: ``p_\\theta``, ``\\tilde p``, ``p^*``) are
  densities, and so is any ``name(... | ...)`` with a conditional bar (``\\pi_\\theta(a|s)``,
  ``r(z|x)``); a top-level ``;`` separates parameters: ``p(x; \\theta)``.
- A function: a name whose subscript holds a parameter (``\\mu_\\theta(x_t, t)``,
  ``\\hat x_\\theta(x_t, t)``, ``s_\\theta(x)``); arguments with a comma (``\\tilde\\mu_t(x_t, x_0)``);
  a multi-letter or calligraphic name (``\\text{SNR}(t)``, ``\\mathcal{L}(\\theta)``); a Greek letter
  or one of f g h F G H L J Z without subscript; an indexed name applied to a symbol
  (``\\Sigma_q(t)``).
- Otherwise a product: ``\\alpha_t(1-\\bar\\alpha_{t-1})``, ``x(1-x)``.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import REGISTRY
from elbo_suite.identities.notation.symbols import GREEK, VARIANTS

DENSITY_LETTERS = {"p", "q", "P", "Q"}
FUNCTION_LETTERS = {"f", "g", "h", "F", "G", "H", "L", "J", "Z"}
# Names that, in a subscript, are the parameters of a learned function: mu_theta(x) is a function.
PARAMETERS = {"theta", "phi", "psi", "eta", "omega", "vartheta", "w", "W", "varphi", "xi", "nu"}


def _mentions_parameter(node) -> bool:
    if isinstance(node, n.Var):
        return node.name in PARAMETERS or _mentions_parameter(node.index)
    if isinstance(node, n.Tuple):
        return any(_mentions_parameter(x) for x in node.items)
    if isinstance(node, n.Mul):
        return any(_mentions_parameter(x) for x in node.factors)
    return False


def _top(inner, test) -> bool:
    depth = 0
    for t in inner:
        if t.kind == "open" or t.is_char("{"):
            depth += 1
        elif t.kind == "close" or t.is_char("}"):
            depth -= 1
        elif depth == 0 and test(t):
            return True
    return False


def _arithmetic(inner) -> bool:
    return _top(inner[1:], lambda t: t.is_char("+", "-")) or (inner and inner[0].is_char("-", "+")) \
        or _top(inner, lambda t: REGISTRY.lookup("infix", t) is not None)


def density(p, var: n.Var) -> n.Density:
    _, inner, _ = p.delimited()
    pieces = p.split_top(inner, lambda t: t.kind == "bar" and t.value == "|")
    if len(pieces) > 2 or any(not piece for _, piece in pieces):
        raise CannotParse(f"density {var.name}(...) with an unexpected '|'", "|")
    params: list[n.Node] = []

    def items(toks):
        out = []
        for k, (_, part) in enumerate(p.split_top(toks, lambda t: t.is_char(";"))):
            target = out if k == 0 else params
            target.extend(p.parse_items(part) if part else [])
        return tuple(out)

    variables = items(pieces[0][1])
    given = items(pieces[1][1]) if len(pieces) == 2 else ()
    return n.Density(var.name, var.index, variables, given, var.marks, tuple(params))


def function(p, var: n.Var) -> n.FuncApp:
    _, inner, _ = p.delimited()
    args = []
    for _, part in p.split_top(inner, lambda t: t.is_char(";")):
        for _, item in p.split_top(part, p.is_comma) if part else []:
            args.append(p.parse_statement(item))  # delta(x_i = x): an argument may be a relation
    return n.FuncApp(var.name, var.index, tuple(args), var.marks)


def _set_argument(p, var: n.Var) -> n.FuncApp:
    _, inner, _ = p.delimited()
    return n.FuncApp(var.name, var.index, (n.Tuple(tuple(p.parse_items(inner)), "{"),), var.marks)


def reading(p, var: n.Var, inner, bracket: str = "("):  # noqa: C901 (one rule per line)
    """What ``var(...)`` is (``var\\{...\\}`` with ``bracket`` "{"); None for a product."""
    if bracket == "{":
        # U\{1, T\}, \mathcal{U}\{2, T\}: a distribution over a set
        if _top(inner, lambda t: t.is_char(",")) and (var.name.isupper() or "cal" in var.marks):
            return lambda: _set_argument(p, var)
        return None
    if var.name in DENSITY_LETTERS and not set(var.marks) & {"cal", "bb", "scr", "frak"}:
        return lambda: density(p, var)
    if inner and _top(inner, lambda t: t.kind == "bar" and t.value == "|"):
        return lambda: density(p, var)
    greek = var.name in GREEK or var.name in VARIANTS
    if var.index is not None and _mentions_parameter(var.index):
        return lambda: function(p, var)
    if _top(inner, lambda t: t.is_char(",", ";")):
        return lambda: function(p, var)
    if len(var.name) > 1 and not greek or set(var.marks) & {"cal", "scr"}:
        return lambda: function(p, var)
    if var.index is None and (greek or var.name in FUNCTION_LETTERS):
        return lambda: function(p, var)
    if var.index is not None and inner and not _arithmetic(inner):
        return lambda: function(p, var)
    return None


REGISTRY.application_rule = reading
