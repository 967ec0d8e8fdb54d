"""Fractions, roots, binomials and multiplication signs.

``\\frac{\\partial f}{\\partial \\theta}`` and ``\\frac{d}{dt}`` are derivatives, not quotients:
a numerator that starts with ``\\partial`` or ``d`` over a denominator that starts the same way.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, INFIX, REGISTRY


def _is_d(tok) -> bool:
    return tok.is_char("d") or (tok.kind == "text" and tok.value == "d")


def _differential(toks):
    """(partial?, the rest) when toks start with \\partial or d; else None."""
    if not toks:
        return None
    if toks[0].is_cmd("partial"):
        return True, toks[1:]
    if _is_d(toks[0]):
        return False, toks[1:]
    return None


def _order(p, toks):
    """d^2 / \\partial^2: the order written as a superscript right after the d."""
    if len(toks) >= 2 and toks[0].is_char("^"):
        return p.parse([toks[1]], what="order"), toks[2:]
    return None, toks


def _frac(p, name, num, den):
    top, bottom = _differential(num), _differential(den)
    if top is not None and bottom is not None and bottom[1] and top[0] == bottom[0] and \
            (bottom[1][0].kind in ("char", "cmd", "text")) and not bottom[1][0].is_char("{"):
        partial = top[0]
        order, rest = _order(p, top[1])
        wrt_toks = bottom[1]
        if len(wrt_toks) >= 2 and wrt_toks[-2].is_char("^") and order is not None:
            wrt_toks = wrt_toks[:-2]
        wrt = p.parse(wrt_toks, what="variable of a derivative")
        if rest:
            return n.Derivative(p.parse(rest, what="derivative"), wrt, partial, order)
        if not p.starts_factor():
            raise CannotParse("a derivative operator with nothing to differentiate", "\\frac")
        return n.Derivative(p.parse_factor(), wrt, partial, order)
    return n.Div(p.parse(num, what="numerator"), p.parse(den, what="denominator"))


def _sqrt(p, name, index, arg):
    if index:
        return n.Pow(arg, n.Div(n.Num("1"), p.parse(index, what="root index")))
    return n.Sqrt(arg)


def _binom(p, name, top, bottom):
    return n.Operator("binom", (top, bottom))


def _plus_minus(p, name):
    raise CannotParse(f"\\{name} (a sign that makes two claims)", "\\" + name)


REGISTRY.define(COMMAND, ("frac", "dfrac", "tfrac", "cfrac", "nicefrac", "sfrac", "flatfrac"),
                "a fraction, or a derivative when written with d or \\partial", args=("raw", "raw"),
                handler=_frac, family="arithmetic")
REGISTRY.define(COMMAND, ("sqrt",), "a square root, or the n-th root with [n]", args=("opt", "math"),
                handler=_sqrt, family="arithmetic")
REGISTRY.define(COMMAND, ("binom", "dbinom", "tbinom", "choose"), "a binomial coefficient",
                args=("math", "math"), handler=_binom, family="arithmetic")
REGISTRY.define(COMMAND, ("pm", "mp"), "plus-or-minus: not read", handler=_plus_minus,
                family="arithmetic")
REGISTRY.define(INFIX, ("cdot", "times", "ast", "*", "bullet", "cdotp", "centerdot", "\\*"),
                "multiplication", value="mul", family="arithmetic")
REGISTRY.define(INFIX, ("odot", "circ", "otimes"), "elementwise multiplication",
                value="elementwise", family="arithmetic")
REGISTRY.define(INFIX, ("/", "div"), "division", value="div", family="arithmetic")
REGISTRY.define(INFIX, ("over",), "TeX's {a \\over b}: the group it stands in is a fraction",
                value="over", family="arithmetic")
