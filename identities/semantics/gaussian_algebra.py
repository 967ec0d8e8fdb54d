"""Closed-form algebra of functions of one real variable z of the form

    f(z) = sum_i P_i(z) * exp(a_i z^2 + b_i z + c_i)

with P_i polynomials in z. Gaussian densities, their products and ratios, logs of a single such
term (a quadratic in z) and polynomials all stay in this class, and integrals over the real line
are Gaussian moments. Normalising constants stay inside the exponent (c_i) as logarithms, so that
densities and their integrals compare through their logarithms without square roots.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from identities.semantics.errors import Divergent, NotClosed

Z = sp.Symbol("z", real=True)
_ZERO = sp.Integer(0)


@dataclass(frozen=True)
class Term:
    poly: sp.Expr  # polynomial in Z
    a: sp.Expr  # coefficient of z^2 in the exponent
    b: sp.Expr  # coefficient of z
    c: sp.Expr  # z-free part of the exponent

    @property
    def is_poly(self) -> bool:
        return self.a == 0 and self.b == 0 and self.c == 0


@dataclass(frozen=True)
class GaussFun:
    terms: tuple[Term, ...]

    # -- construction ----------------------------------------------------------------------
    @staticmethod
    def const(value) -> "GaussFun":
        return GaussFun((Term(sp.sympify(value), _ZERO, _ZERO, _ZERO),))

    @staticmethod
    def var() -> "GaussFun":
        return GaussFun((Term(Z, _ZERO, _ZERO, _ZERO),))

    @staticmethod
    def normal(mean: sp.Expr, var: sp.Expr) -> "GaussFun":
        """N(z; mean, var) as exp(-(z-mean)^2/(2 var) - log(2 pi var)/2)."""
        return GaussFun((Term(sp.Integer(1), -1 / (2 * var), mean / var,
                              -mean ** 2 / (2 * var) - sp.log(2 * sp.pi * var) / 2),))

    @staticmethod
    def log_normal_at(point: sp.Expr, mean_coeff: sp.Expr, mean_shift: sp.Expr,
                      var: sp.Expr) -> "GaussFun":
        """N(point; mean_coeff*z + mean_shift, var) as a function of z."""
        d = point - mean_shift
        return GaussFun((Term(sp.Integer(1), -mean_coeff ** 2 / (2 * var), mean_coeff * d / var,
                              -d ** 2 / (2 * var) - sp.log(2 * sp.pi * var) / 2),))

    # -- structure -------------------------------------------------------------------------
    @property
    def depends_on_z(self) -> bool:
        return any(t.a != 0 or t.b != 0 or t.poly.has(Z) for t in self.terms)

    def to_expr(self) -> sp.Expr:
        return sp.Add(*[t.poly * sp.exp(t.a * Z ** 2 + t.b * Z + t.c) if not t.is_poly else t.poly
                        for t in self.terms])

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: "GaussFun") -> "GaussFun":
        merged: list[Term] = []
        for t in self.terms + other.terms:
            if t.poly == 0:
                continue
            if t.is_poly and merged and merged[-1].is_poly:
                merged[-1] = Term(merged[-1].poly + t.poly, _ZERO, _ZERO, _ZERO)
            else:
                merged.append(t)
        return GaussFun(tuple(merged) or (Term(_ZERO, _ZERO, _ZERO, _ZERO),))

    def __neg__(self) -> "GaussFun":
        return GaussFun(tuple(Term(-t.poly, t.a, t.b, t.c) for t in self.terms))

    def __sub__(self, other: "GaussFun") -> "GaussFun":
        return self + (-other)

    def __mul__(self, other: "GaussFun") -> "GaussFun":
        return GaussFun(tuple(Term(s.poly * t.poly, s.a + t.a, s.b + t.b, s.c + t.c)
                              for s in self.terms for t in other.terms)) + GaussFun(())

    def single(self, what: str) -> Term:
        if len(self.terms) != 1:
            raise NotClosed(f"{what} of a sum of Gaussian-type terms has no closed form here")
        return self.terms[0]

    def __truediv__(self, other: "GaussFun") -> "GaussFun":
        t = other.single("division by a sum")
        if t.poly.has(Z):
            raise NotClosed("division by a polynomial in z has no closed form here")
        if t.poly == 0:
            raise Divergent("division by zero")
        return GaussFun(tuple(Term(s.poly / t.poly, s.a - t.a, s.b - t.b, s.c - t.c)
                              for s in self.terms))

    def power(self, k: sp.Expr) -> "GaussFun":
        if len(self.terms) == 1 and not self.terms[0].poly.has(Z):
            t = self.terms[0]
            return GaussFun((Term(t.poly ** k, k * t.a, k * t.b, k * t.c),))
        if k.is_Integer and k >= 0:
            out = GaussFun.const(1)
            for _ in range(int(k)):
                out = out * self
            return out
        raise NotClosed("non-integer power of a z-dependent sum")

    def log(self) -> "GaussFun":
        if len(self.terms) != 1 and not self.depends_on_z:
            return GaussFun.const(sp.log(self.to_expr()))
        t = self.single("log")
        if t.poly.has(Z):
            raise NotClosed("log of a polynomial in z has no closed form here")
        return GaussFun((Term(sp.log(t.poly) + t.a * Z ** 2 + t.b * Z + t.c, _ZERO, _ZERO, _ZERO),))

    def exp(self) -> "GaussFun":
        t = self.single("exp")
        if not t.is_poly:
            raise NotClosed("exp of an exponential has no closed form here")
        p = sp.Poly(sp.expand(t.poly), Z)
        if p.degree() > 2:
            raise NotClosed("exp of a polynomial of degree > 2 in z")
        c = [p.coeff_monomial(Z ** k) for k in range(3)]
        return GaussFun((Term(sp.Integer(1), c[2], c[1], c[0]),))

    # -- integration over the real line ----------------------------------------------------
    def integrate(self) -> "GaussFun":
        out = GaussFun(())
        for t in self.terms:
            out = out + _integrate_term(t)
        return out if out.terms else GaussFun.const(0)


def _gaussian_moments(mean: sp.Expr, var: sp.Expr, k: int) -> list[sp.Expr]:
    m = [sp.Integer(1), mean]
    for j in range(2, k + 1):
        m.append(mean * m[j - 1] + (j - 1) * var * m[j - 2])
    return m[:k + 1]


def _integrate_term(t: Term) -> GaussFun:
    a = sp.cancel(t.a)
    poly = sp.expand(t.poly)
    if poly == 0:
        return GaussFun.const(0)
    if a == 0:
        raise Divergent("the integrand does not decay in z: the integral over the real line "
                        "diverges")
    if (-a).is_positive is not True:
        if (-a).is_nonpositive:
            raise Divergent("the integrand grows in z: the integral over the real line diverges")
        raise NotClosed(f"cannot decide the sign of the z^2 coefficient {sp.sstr(a)}")
    mean = sp.cancel(-t.b / (2 * a))
    var = sp.cancel(-1 / (2 * a))
    p = sp.Poly(poly, Z)
    moments = _gaussian_moments(mean, var, p.degree())
    expectation = sp.Add(*[coeff * moments[k] for (k,), coeff in p.terms()])
    c = t.c - t.b ** 2 / (4 * a) + sp.log(sp.pi) / 2 - sp.log(-a) / 2
    return GaussFun((Term(expectation, _ZERO, _ZERO, c),))
