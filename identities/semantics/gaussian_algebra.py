"""Closed-form algebra of functions of one real variable z of the form

    f(z) = sum_i P_i(z) * exp(a_i z^2 + b_i z + c_i)

with P_i polynomials in z, kept as coefficient tuples. Gaussian densities, their products and
ratios, logs of a single such term (a quadratic in z) and polynomials all stay in this class, and
integrals over the real line are Gaussian moments. Normalising constants stay inside the exponent
(c_i) as logarithms, so densities and their integrals compare through their logarithms.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from elbo_suite.identities.semantics import limits
from elbo_suite.identities.semantics.errors import Divergent, NotClosed

Z = sp.Symbol("z", real=True)
_ZERO = sp.Integer(0)
_ONE = sp.Integer(1)

Poly = tuple  # coefficients (c0, c1, c2, ...) of a polynomial in z


def _trim(p: Poly) -> Poly:
    p = tuple(p)
    while len(p) > 1 and p[-1] == 0:
        p = p[:-1]
    return p or (_ZERO,)


def _padd(p: Poly, q: Poly) -> Poly:
    n = max(len(p), len(q))
    return _trim(tuple((p[k] if k < len(p) else 0) + (q[k] if k < len(q) else 0) for k in range(n)))


def _pmul(p: Poly, q: Poly) -> Poly:
    out = [_ZERO] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        if x == 0:
            continue
        for j, y in enumerate(q):
            out[i + j] += x * y
    return _trim(out)


def _pscale(p: Poly, k) -> Poly:
    return _trim(tuple(x * k for x in p))


@dataclass(frozen=True)
class Term:
    poly: Poly  # coefficients of a polynomial in z
    a: sp.Expr  # coefficient of z^2 in the exponent
    b: sp.Expr  # coefficient of z
    c: sp.Expr  # z-free part of the exponent

    @property
    def is_poly(self) -> bool:
        return self.a == 0 and self.b == 0 and self.c == 0

    @property
    def poly_is_const(self) -> bool:
        return len(self.poly) == 1

    def poly_expr(self) -> sp.Expr:
        return sp.Add(*[coef * Z ** k for k, coef in enumerate(self.poly)])


@dataclass(frozen=True)
class GaussFun:
    terms: tuple[Term, ...]

    # -- construction ----------------------------------------------------------------------
    @staticmethod
    def const(value) -> "GaussFun":
        return GaussFun((Term((sp.sympify(value),), _ZERO, _ZERO, _ZERO),))

    @staticmethod
    def var() -> "GaussFun":
        return GaussFun((Term((_ZERO, _ONE), _ZERO, _ZERO, _ZERO),))

    @staticmethod
    def normal(mean: sp.Expr, var: sp.Expr) -> "GaussFun":
        """N(z; mean, var) as exp(-(z-mean)^2/(2 var) - log(2 pi var)/2)."""
        return GaussFun((Term((_ONE,), -1 / (2 * var), mean / var,
                              -mean ** 2 / (2 * var) - sp.log(2 * sp.pi * var) / 2),))

    @staticmethod
    def log_normal_at(point: sp.Expr, mean_coeff: sp.Expr, mean_shift: sp.Expr,
                      var: sp.Expr) -> "GaussFun":
        """N(point; mean_coeff*z + mean_shift, var) as a function of z."""
        d = point - mean_shift
        return GaussFun((Term((_ONE,), -mean_coeff ** 2 / (2 * var), mean_coeff * d / var,
                              -d ** 2 / (2 * var) - sp.log(2 * sp.pi * var) / 2),))

    @staticmethod
    def exp_const(c: sp.Expr) -> "GaussFun":
        """exp(c) for a z-free c, kept in the exponent."""
        return GaussFun((Term((_ONE,), _ZERO, _ZERO, c),))

    # -- structure -------------------------------------------------------------------------
    @property
    def depends_on_z(self) -> bool:
        return any(t.a != 0 or t.b != 0 or not t.poly_is_const for t in self.terms)

    def to_expr(self) -> sp.Expr:
        return sp.Add(*[t.poly_expr() * sp.exp(t.a * Z ** 2 + t.b * Z + t.c) if not t.is_poly
                        else t.poly_expr() for t in self.terms])

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: "GaussFun") -> "GaussFun":
        merged: list[Term] = []
        for t in self.terms + other.terms:
            if t.poly == (0,) or all(x == 0 for x in t.poly):
                continue
            if t.is_poly and merged and merged[-1].is_poly:
                merged[-1] = Term(_padd(merged[-1].poly, t.poly), _ZERO, _ZERO, _ZERO)
            else:
                merged.append(t)
        return GaussFun(tuple(merged) or (Term((_ZERO,), _ZERO, _ZERO, _ZERO),))

    def __neg__(self) -> "GaussFun":
        return GaussFun(tuple(Term(_pscale(t.poly, -1), t.a, t.b, t.c) for t in self.terms))

    def __sub__(self, other: "GaussFun") -> "GaussFun":
        return self + (-other)

    def __mul__(self, other: "GaussFun") -> "GaussFun":
        return GaussFun(tuple(Term(_pmul(s.poly, t.poly), s.a + t.a, s.b + t.b, s.c + t.c)
                              for s in self.terms for t in other.terms)) + GaussFun(())

    def single(self, what: str) -> Term:
        if len(self.terms) != 1:
            raise NotClosed(f"{what} of a sum of Gaussian-type terms has no closed form here")
        return self.terms[0]

    def __truediv__(self, other: "GaussFun") -> "GaussFun":
        t = other.single("division by a sum")
        if not t.poly_is_const:
            raise NotClosed("division by a polynomial in z has no closed form here")
        if t.poly[0] == 0:
            raise Divergent("division by zero")
        return GaussFun(tuple(Term(_pscale(s.poly, 1 / t.poly[0]), s.a - t.a, s.b - t.b, s.c - t.c)
                              for s in self.terms))

    def power(self, k: sp.Expr) -> "GaussFun":
        if len(self.terms) == 1 and self.terms[0].poly_is_const:
            t = self.terms[0]
            return GaussFun((Term((t.poly[0] ** k,), k * t.a, k * t.b, k * t.c),))
        if k.is_Integer and k >= 0:
            if k > limits.MAX_EXPANDED_EXPONENT and len(self.terms) > 1:
                raise limits.TooLarge(f"the power {k} of a sum of {len(self.terms)} Gaussian-type "
                                      f"terms is too large to expand (more than {limits.MAX_EXPANDED_EXPONENT})")
            out = GaussFun.const(1)
            for _ in range(int(k)):
                out = out * self
            return out
        raise NotClosed("non-integer power of a z-dependent sum")

    def log(self) -> "GaussFun":
        if len(self.terms) != 1 and not self.depends_on_z:
            return GaussFun.const(sp.log(self.to_expr()))
        t = self.single("log")
        if not t.poly_is_const:
            raise NotClosed("log of a polynomial in z has no closed form here")
        head = sp.log(t.poly[0]) + t.c if t.poly[0] != 1 else t.c
        return GaussFun((Term(_trim((head, t.b, t.a)), _ZERO, _ZERO, _ZERO),))

    def exp(self) -> "GaussFun":
        t = self.single("exp")
        if not t.is_poly:
            raise NotClosed("exp of an exponential has no closed form here")
        if len(t.poly) > 3:
            raise NotClosed("exp of a polynomial of degree > 2 in z")
        c = list(t.poly) + [_ZERO] * (3 - len(t.poly))
        return GaussFun((Term((_ONE,), c[2], c[1], c[0]),))

    # -- integration over the real line ----------------------------------------------------
    def integrate(self) -> "GaussFun":
        out = GaussFun(())
        for t in self.terms:
            out = out + _integrate_term(t)
        return out if out.terms else GaussFun.const(0)


def _gaussian_moments(mean: sp.Expr, var: sp.Expr, k: int) -> list[sp.Expr]:
    m = [_ONE, mean]
    for j in range(2, k + 1):
        m.append(mean * m[j - 1] + (j - 1) * var * m[j - 2])
    return m[:k + 1]


def _integrate_term(t: Term) -> GaussFun:
    if all(x == 0 for x in t.poly):
        return GaussFun.const(0)
    a = t.a
    if (-a).is_positive is not True:
        a = sp.cancel(a)
        if a == 0:
            raise Divergent("the integrand does not decay in z: the integral over the real line "
                            "diverges")
        if (-a).is_positive is not True:
            if (-a).is_nonpositive:
                raise Divergent("the integrand grows in z: the integral over the real line diverges")
            raise NotClosed(f"cannot decide the sign of the z^2 coefficient {sp.sstr(a)}")
    mean = sp.cancel(-t.b / (2 * a))
    var = sp.cancel(-1 / (2 * a))
    moments = _gaussian_moments(mean, var, len(t.poly) - 1)
    expectation = sp.Add(*[coef * moments[k] for k, coef in enumerate(t.poly)])
    c = t.c - t.b ** 2 / (4 * a) + sp.log(sp.pi) / 2 - sp.log(-a) / 2
    return GaussFun((Term((expectation,), _ZERO, _ZERO, c),))
