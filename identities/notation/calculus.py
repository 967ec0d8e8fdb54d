"""Integrals, sums and products, gradients and partial derivatives.

``\\int ... dz`` extends to its differential, written ``dz``, ``\\,dz``, ``\\mathrm{d}z``,
``{\\rm d}z``, ``d\\mathbf{x}_{1:T}`` (or first: ``\\int dz\\, f(z)``). ``\\sum``/``\\prod`` take
their index from the subscript (``t=1``, ``x \\in \\mathcal{X}``, ``t \\geq 2``) and apply to the
next product of factors. ``\\nabla_\\theta`` applies to the next product of factors.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY


def _starts_variable(tok) -> bool:
    if tok is None:
        return False
    if tok.kind == "char":
        return tok.value.isalpha()
    if tok.kind == "text":
        return len(tok.value) == 1 and tok.value.isalpha()
    if tok.kind == "cmd":
        e = REGISTRY.lookup(COMMAND, tok)
        return e is not None and e.family in ("symbols", "fonts", "accents")
    return False


def at_differential(p) -> bool:
    tok = p.peek()
    if tok is None or not (tok.is_char("d") or (tok.kind == "text" and tok.value == "d")):
        return False
    return _starts_variable(p.peek(1))


def _dots_then_differential(p) -> bool:
    """dz_1 \\ldots dz_n: an ellipsis between differentials."""
    tok = p.peek()
    if tok is None or tok.kind != "cmd" or REGISTRY.lookup(COMMAND, tok) is None or \
            REGISTRY.lookup(COMMAND, tok).handler.__name__ != "_dots":
        return False
    p.i += 1
    found = at_differential(p)
    p.i -= 1
    return found


def _differentials(p, limit: int | None = None) -> n.Node:
    """d z (d x_0 d z ..., dz_1 \\ldots dz_n): the integration variable(s), at most ``limit``."""
    variables: list[n.Node] = []
    while (at_differential(p) or (variables and _dots_then_differential(p))) and \
            (limit is None or len(variables) < limit):
        if not at_differential(p):
            p.next()
            variables.append(n.Dots())
            continue
        p.next()  # d
        saved, p.stops = p.stops, []
        try:
            var = p.parse_factor()
        finally:
            p.stops = saved
        if not isinstance(var, n.Var):
            raise CannotParse("expected the integration variable after d", "d")
        variables.append(var)
    return variables[0] if len(variables) == 1 else n.Tuple(tuple(variables))


def _integral(p, name):
    sub, sup = p.scripts()
    lower = p.parse(sub, what="lower bound") if sub else None
    upper = p.parse(sup, what="upper bound") if sup else None
    # an integral inside another one's body takes one differential (\int\int f dz dx: dz is the
    # inner one's); the outermost takes those left (\int f dx dz), \iint two
    enclosing = p.stops.count(at_differential)
    limit = {"iint": 2, "iiint": 3}.get(name, 1) if enclosing else None
    if at_differential(p):  # \int dz\, f(z)
        var = _differentials(p, limit)
        return n.Integral(p.parse_term(), var, lower, upper)
    p.stops.append(at_differential)
    try:
        body = p.parse_expr()
    finally:
        p.stops.pop()
    if not at_differential(p):
        tok = p.peek()
        raise CannotParse("integral without its differential d(variable)",
                          tok.show() if tok else "end of row")
    return n.Integral(body, _differentials(p, limit), lower, upper)


def _bigop(p, name):
    op = {"sum": "sum", "prod": "prod", "coprod": "prod", "bigodot": "prod", "bigotimes": "prod",
          "smallsum": "sum"}[name]
    sub, sup = p.scripts()
    index = lower = domain = None
    upper = p.parse(sup, what="upper limit") if sup else None
    if sub:
        cond = p.parse_statement(sub)
        if isinstance(cond, n.Compare) and cond.relations == ("=",):
            index, lower = cond.parts
        elif isinstance(cond, n.Compare) and cond.relations == ("∈",):
            index, domain = cond.parts
        elif isinstance(cond, n.Compare):
            index = next((x for x in cond.parts if isinstance(x, n.Var)), None)
            domain = cond
        else:
            index = cond
    if not p.starts_factor():
        raise CannotParse(f"\\{name} without a summand", "\\" + name)
    return n.BigOp(op, index, lower, upper, p.parse_term(), domain)


def _gradient(p, name):
    sub, sup = p.scripts()
    if sup:
        raise CannotParse(f"\\{name} with a superscript", "^")
    if not p.starts_factor():
        raise CannotParse(f"\\{name} with nothing to differentiate", "\\" + name)
    wrt = p.parse(sub, what="variable of a gradient") if sub else None
    return n.Operator("grad" if name == "nabla" else "partial", (p.parse_term(),), wrt)


REGISTRY.define(COMMAND, ("int", "iint", "iiint", "oint", "intop", "smallint", "intlimits"),
                "an integral, to its differential", handler=_integral, family="calculus")
REGISTRY.define(COMMAND, ("sum", "prod", "coprod", "bigodot", "bigotimes", "smallsum"),
                "a sum or product over its subscript's index, of the next product of factors",
                handler=_bigop, family="calculus")
REGISTRY.define(COMMAND, ("nabla", "partial"), "a gradient or partial derivative (with respect to "
                "its subscript) of the next product of factors", handler=_gradient,
                family="calculus")
