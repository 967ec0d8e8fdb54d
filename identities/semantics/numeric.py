"""Zero tests: exact symbolic proof, and high-precision evaluation at rational points."""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from elbo_suite.identities.semantics import limits

DIGITS = 30
TOLERANCE = sp.Float("1e-20", DIGITS)


def _log_of_number(c: sp.Expr) -> sp.Expr:
    """log of a positive rational as a sum over its prime factors (log 4 -> 2 log 2)."""
    c = sp.Rational(c)
    out = sp.Integer(0)
    for p, e in sp.factorint(c.p).items():
        out += e * sp.log(p)
    for p, e in sp.factorint(c.q).items():
        out -= e * sp.log(p)
    return out


@lru_cache(maxsize=4096)
def _log_canonical(arg: sp.Expr) -> sp.Expr:
    """log(arg) split over the factors of arg that are known positive; the rest stays together,
    so no log(-1) is ever introduced."""
    arg = sp.factor(sp.together(arg))
    coeff, factors = arg.as_coeff_mul()
    if not coeff.is_Rational:
        return sp.log(arg)
    rest = sp.Integer(-1) if coeff < 0 else sp.Integer(1)
    out = _log_of_number(abs(coeff)) if coeff != 0 else sp.Integer(0)
    for f in factors:
        base, e = f.as_base_exp()
        if base.is_positive and e.is_real:
            out += e * (sp.log(base) if not base.is_Rational else _log_of_number(base))
        else:
            rest *= f
    if rest != 1:
        out += sp.log(rest)
    return out


@lru_cache(maxsize=4096)
def canonical(expr: sp.Expr) -> sp.Expr:
    """A normal form for sums of rational functions and logarithms of positive quantities."""
    expr = sp.sympify(expr)
    limits.expandable(expr)
    logs = expr.atoms(sp.log)
    if logs:
        expr = expr.xreplace({lg: _log_canonical(lg.args[0]) for lg in logs})
    return sp.cancel(sp.together(sp.expand(expr)))


def is_zero(expr: sp.Expr) -> bool:
    return canonical(expr) == 0


def undefined_reason(expr: sp.Expr, point: dict) -> str | None:
    """Why expr has no real value at point (log of a non-positive value, ...), or None."""
    for lg in sorted(expr.atoms(sp.log), key=lambda e: sp.count_ops(e)):
        val = lg.args[0].evalf(DIGITS, subs=point)
        if val.is_real is not False and val.is_number and val.is_extended_real and val <= 0:
            return f"log of a non-positive value: {sp.sstr(lg.args[0])} = {sp.N(val, 6)} at this point"
    for pw in expr.atoms(sp.Pow):
        if pw.exp.is_negative:
            val = pw.base.evalf(DIGITS, subs=point)
            if val == 0:
                return f"division by zero: {sp.sstr(pw.base)} = 0 at this point"
    return None


@lru_cache(maxsize=4096)
def _compiled(expr: sp.Expr):
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return symbols, sp.lambdify(symbols, expr, modules="mpmath")


def evaluate(expr: sp.Expr, point: dict) -> tuple[sp.Float | None, str | None]:
    """(value, None), or (None, reason) when expr has no real value at point."""
    expr = sp.sympify(expr)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None, "no finite real value (the expression is infinite or undefined)"
    try:
        symbols, fn = _compiled(expr)
        with mpmath.workdps(DIGITS):
            val = fn(*[mpmath.mpf(sp.Rational(point[s]).p) / sp.Rational(point[s]).q
                       for s in symbols])
    except (ZeroDivisionError, ValueError, KeyError, TypeError, OverflowError):
        # lambdify has no printer for some special values (KeyError 'ComplexInfinity')
        val = None
    if val is None or isinstance(val, mpmath.mpc) and abs(val.imag) > 1e-25 * (1 + abs(val.real)) \
            or not mpmath.isfinite(val):
        return None, undefined_reason(expr, point) or "no finite real value at this point"
    if isinstance(val, mpmath.mpc):
        val = val.real
    return sp.Float(val, DIGITS), None


def differs(a: sp.Float, b: sp.Float) -> bool:
    return abs(a - b) > sp.Float("1e-15", DIGITS) * (1 + abs(a) + abs(b))


def clear_caches() -> None:
    """Forget cached normal forms and compiled evaluators (for cold timings)."""
    for fn in (_log_canonical, canonical, _compiled):
        fn.cache_clear()
