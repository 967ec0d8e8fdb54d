"""Functions of several real variables of the form

    f(v) = sum_i P_i(v) * exp(Q_i(v))

with P_i polynomials and Q_i polynomials (quadratic in whatever is integrated), with numeric
coefficients. Gaussian densities of a linear-Gaussian chain, their products, ratios and
marginals, logs of one such term and polynomials all stay in this class; integrals over any set
of variables are Gaussian integrals in closed form, derivatives are exact.

Numbers come from a `Numbers` backend: floats decide fast, mpmath at 40 digits recomputes what is
printed, so that the digits a report shows do not depend on a platform's libm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from elbo_suite.identities.semantics.errors import Divergent, NotClosed

Mono = tuple  # ((variable, power), ...) sorted by variable; () is the constant monomial
Poly = dict  # Mono -> coefficient


class Numbers:
    """The arithmetic a computation runs in."""

    def __init__(self, name: str, num: Callable, log, exp, sqrt, pi, eps: float):
        self.name, self.num, self.log, self.exp, self.sqrt, self.pi = name, num, log, exp, sqrt, pi
        self.eps = eps  # relative size below which a cancellation is taken as exact


def _float_num(value) -> float:
    return float(value)


FLOATS = Numbers("float", _float_num, math.log, math.exp, math.sqrt, math.pi, 1e-11)


def mp_numbers(digits: int = 40) -> Numbers:
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = digits

    def num(value):
        if hasattr(value, "numerator") and hasattr(value, "denominator"):
            return ctx.mpf(value.numerator) / value.denominator
        return ctx.mpf(value)

    return Numbers(f"mpmath-{digits}", num, ctx.log, ctx.exp, ctx.sqrt, ctx.pi,
                   float(10.0 ** (-(digits - 8))))


# -- polynomials ---------------------------------------------------------------------------------
def p_const(c) -> Poly:
    return {(): c} if c != 0 else {}


def p_var(v: str) -> Poly:
    return {((v, 1),): 1}


def _mono_mul(a: Mono, b: Mono) -> Mono:
    if not a:
        return b
    if not b:
        return a
    d = dict(a)
    for v, k in b:
        d[v] = d.get(v, 0) + k
    return tuple(sorted(d.items()))


def p_add(a: Poly, b: Poly, sign: int = 1, eps: float = 0.0) -> Poly:
    """a + sign*b; with eps > 0 a coefficient that cancels to eps of its operands is dropped."""
    out = dict(a)
    for m, c in b.items():
        if m in out:
            old = out[m]
            new = old + sign * c
            if eps and abs(new) <= eps * (abs(old) + abs(c)):
                del out[m]
            else:
                out[m] = new
        else:
            out[m] = sign * c
    return out


def p_mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = _mono_mul(ma, mb)
            out[m] = out.get(m, 0) + ca * cb
    return out


def p_scale(a: Poly, k) -> Poly:
    return {m: c * k for m, c in a.items()}


def p_vars(a: Poly) -> set[str]:
    return {v for m in a for v, _ in m}


def p_is_const(a: Poly) -> bool:
    return all(m == () for m in a)


def p_const_value(a: Poly, zero=0):
    return a.get((), zero)


def p_deriv(a: Poly, v: str) -> Poly:
    out: Poly = {}
    for m, c in a.items():
        d = dict(m)
        k = d.get(v, 0)
        if k == 0:
            continue
        if k == 1:
            del d[v]
        else:
            d[v] = k - 1
        mono = tuple(sorted(d.items()))
        out[mono] = out.get(mono, 0) + c * k
    return out


def p_eval(a: Poly, point: dict, zero=0):
    total = zero
    for m, c in a.items():
        term = c
        for v, k in m:
            term = term * point[v] ** k
        total = total + term
    return total


def p_subs(a: Poly, subs: dict[str, Poly]) -> Poly:
    """Replace variables by polynomials."""
    out: Poly = {}
    cache: dict[tuple[str, int], Poly] = {}
    for m, c in a.items():
        term: Poly = {(): c}
        for v, k in m:
            if v in subs:
                key = (v, k)
                if key not in cache:
                    pw: Poly = {(): 1}
                    for _ in range(k):
                        pw = p_mul(pw, subs[v])
                    cache[key] = pw
                term = p_mul(term, cache[key])
            else:
                term = p_mul(term, {((v, k),): 1})
        out = p_add(out, term)
    return out


def p_degree_in(a: Poly, vs: set[str]) -> int:
    return max((sum(k for v, k in m if v in vs) for m in a), default=0)


def p_clean(a: Poly, scale: float, tol: float) -> Poly:
    return {m: c for m, c in a.items() if abs(c) > tol * max(1.0, scale)}


# -- terms and functions -------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    poly: tuple  # sorted items of a Poly
    expo: tuple  # sorted items of a Poly: the exponent

    @staticmethod
    def of(poly: Poly, expo: Poly) -> "Term":
        return Term(tuple(sorted(poly.items())), tuple(sorted(expo.items())))

    @property
    def p(self) -> Poly:
        return dict(self.poly)

    @property
    def q(self) -> Poly:
        return dict(self.expo)


class QExp:
    """A sum of polynomial-times-exponential terms over named real variables."""

    __slots__ = ("terms", "nums")

    def __init__(self, terms: list[Term], nums: Numbers):
        self.terms = [t for t in terms if any(c != 0 for _, c in t.poly)]
        self.nums = nums

    # construction ------------------------------------------------------------------------
    @staticmethod
    def const(c, nums: Numbers) -> "QExp":
        return QExp([Term.of(p_const(nums.num(c)), {})], nums)

    @staticmethod
    def poly(p: Poly, nums: Numbers) -> "QExp":
        return QExp([Term.of(p, {})], nums)

    @staticmethod
    def var(v: str, nums: Numbers) -> "QExp":
        return QExp.poly(p_var(v), nums)

    @staticmethod
    def gaussian(variable: Poly, mean: Poly, var, nums: Numbers) -> "QExp":
        """N(variable; mean, var) for polynomials variable and mean (affine in what is integrated)."""
        if not var > 0:
            raise Divergent(f"a Gaussian with variance {var} ≤ 0")
        d = p_add(variable, mean, -1)
        expo = p_scale(p_mul(d, d), -1 / (2 * var))
        expo = p_add(expo, p_const(-nums.log(2 * nums.pi * var) / 2))
        return QExp([Term.of({(): nums.num(1)}, expo)], nums)

    # structure ---------------------------------------------------------------------------
    def variables(self) -> set[str]:
        out: set[str] = set()
        for t in self.terms:
            out |= p_vars(t.p) | p_vars(t.q)
        return out

    def is_number(self) -> bool:
        return not self.variables()

    def number(self):
        """The value of a variable-free function."""
        if not self.is_number():
            raise NotClosed("a quantity that depends on " + ", ".join(sorted(self.variables())) +
                            " where a number is needed")
        total = self.nums.num(0)
        for t in self.terms:
            total = total + p_const_value(t.p) * self.nums.exp(p_const_value(t.q))
        return total

    def is_polynomial(self) -> bool:
        return all(p_is_const(t.q) for t in self.terms)

    def as_poly(self) -> Poly:
        """The function as one polynomial (exponents must be constant)."""
        out: Poly = {}
        for t in self.terms:
            if not p_is_const(t.q):
                raise NotClosed("an exponential where a polynomial is needed")
            out = p_add(out, p_scale(t.p, self.nums.exp(p_const_value(t.q))))
        return out

    # arithmetic --------------------------------------------------------------------------
    def __add__(self, other: "QExp") -> "QExp":
        return QExp(self.terms + other.terms, self.nums)._merged()

    def __neg__(self) -> "QExp":
        return QExp([Term.of(p_scale(t.p, -1), t.q) for t in self.terms], self.nums)

    def __sub__(self, other: "QExp") -> "QExp":
        return self + (-other)

    def __mul__(self, other: "QExp") -> "QExp":
        out = []
        for s in self.terms:
            for t in other.terms:
                out.append(Term.of(p_mul(s.p, t.p), p_add(s.q, t.q, 1, self.nums.eps)))
        return QExp(out, self.nums)._merged()

    def __truediv__(self, other: "QExp") -> "QExp":
        if len(other.terms) != 1:
            if other.is_number():
                c = other.number()
                if c == 0:
                    raise Divergent("division by zero")
                return self.scaled(1 / c)
            raise NotClosed("division by a sum of terms has no closed form here")
        t = other.terms[0]
        if not p_is_const(t.p):
            raise NotClosed("division by a polynomial in " + ", ".join(sorted(p_vars(t.p))))
        c = p_const_value(t.p)
        if c == 0:
            raise Divergent("division by zero")
        inv_q = p_scale(t.q, -1)
        return QExp([Term.of(p_scale(s.p, 1 / c), p_add(s.q, inv_q, 1, self.nums.eps)) for s in self.terms],
                    self.nums)

    def scaled(self, k) -> "QExp":
        return QExp([Term.of(p_scale(t.p, k), t.q) for t in self.terms], self.nums)

    def power(self, k) -> "QExp":
        """self ** k for a numeric k."""
        if float(k) == int(float(k)) and float(k) >= 0 and (len(self.terms) != 1
                                                             or not p_is_const(self.terms[0].p)):
            out = QExp.const(1, self.nums)
            for _ in range(int(float(k))):
                out = out * self
            return out
        if len(self.terms) == 1 and p_is_const(self.terms[0].p):
            t = self.terms[0]
            c = p_const_value(t.p)
            if c < 0 and float(k) != int(float(k)):
                raise Divergent(f"a negative number {float(c):.6g} to a fractional power")
            if c == 0:
                if float(k) <= 0:
                    raise Divergent("zero to a non-positive power")
                return QExp([], self.nums)
            return QExp([Term.of(p_const(c ** k), p_scale(t.q, k))], self.nums)
        if not self.terms:
            if float(k) <= 0:
                raise Divergent("zero to a non-positive power")
            return QExp([], self.nums)
        if self.is_number():
            c = self.number()
            if c < 0 and float(k) != int(float(k)):
                raise Divergent(f"a negative number {float(c):.6g} to a fractional power")
            return QExp.const(c ** k, self.nums)
        raise NotClosed("a fractional or negative power of a non-constant sum")

    def log(self) -> "QExp":
        if self.is_number():
            c = self.number()
            if not c > 0:
                raise Divergent(f"log of a non-positive value ({float(c):.6g})")
            return QExp.const(self.nums.log(c), self.nums)
        if len(self.terms) != 1:
            raise NotClosed("log of a sum of terms has no closed form here")
        t = self.terms[0]
        if not p_is_const(t.p):
            raise NotClosed("log of a polynomial in " + ", ".join(sorted(p_vars(t.p))))
        c = p_const_value(t.p)
        if not c > 0:
            raise Divergent(f"log of a non-positive value ({float(c):.6g})")
        return QExp.poly(p_add(t.q, p_const(self.nums.log(c))), self.nums)

    def exp(self) -> "QExp":
        if self.is_number():
            return QExp.const(self.nums.exp(self.number()), self.nums)
        if not self.is_polynomial():
            raise NotClosed("exp of an exponential has no closed form here")
        return QExp([Term.of({(): self.nums.num(1)}, self.as_poly())], self.nums)

    def derivative(self, v: str) -> "QExp":
        out = []
        for t in self.terms:
            p, q = t.p, t.q
            out.append(Term.of(p_add(p_deriv(p, v), p_mul(p, p_deriv(q, v))), q))
        return QExp(out, self.nums)._merged()

    def substitute(self, subs: dict[str, Poly]) -> "QExp":
        return QExp([Term.of(p_subs(t.p, subs), p_subs(t.q, subs)) for t in self.terms],
                    self.nums)._merged()

    def evaluate(self, point: dict):
        total = self.nums.num(0)
        for t in self.terms:
            total = total + p_eval(t.p, point, self.nums.num(0)) * self.nums.exp(
                p_eval(t.q, point, self.nums.num(0)))
        return total

    # integration -------------------------------------------------------------------------
    def integrate(self, over: list[str]) -> "QExp":
        """The integral over the real line in each variable of `over`."""
        if not over:
            return self
        out = QExp([], self.nums)
        for t in self.terms:
            out = out + _integrate_term(t, list(over), self.nums)
        return out

    # comparison --------------------------------------------------------------------------
    def _merged(self) -> "QExp":
        """Terms with the same exponent merged (exact keys only: cheap, keeps sizes down)."""
        by_expo: dict[tuple, Poly] = {}
        order: list[tuple] = []
        for t in self.terms:
            if t.expo not in by_expo:
                by_expo[t.expo] = {}
                order.append(t.expo)
            by_expo[t.expo] = p_add(by_expo[t.expo], t.p, 1, self.nums.eps)
        return QExp([Term(tuple(sorted(by_expo[e].items())), e) for e in order], self.nums)

    def canonical(self, tol: float = 1e-9) -> list[tuple[Poly, Poly]]:
        """(exponent without its constant, polynomial with exp(constant) folded in) groups, with
        coefficients that vanish to `tol` relative to the group's scale removed."""
        groups: list[tuple[Poly, Poly, float]] = []
        for t in self.terms:
            q = t.q
            c0 = p_const_value(q, 0)
            shape = {m: c for m, c in q.items() if m != ()}
            poly = p_scale(t.p, self.nums.exp(c0)) if c0 != 0 else t.p
            scale = max((abs(float(c)) for c in poly.values()), default=0.0)
            for k, (gshape, gpoly, gscale) in enumerate(groups):
                if _same_poly(gshape, shape, tol):
                    groups[k] = (gshape, p_add(gpoly, poly), max(gscale, scale))
                    break
            else:
                groups.append((shape, poly, scale))
        out = []
        for shape, poly, scale in groups:
            cleaned = {m: c for m, c in poly.items() if abs(float(c)) > tol * max(1.0, scale)}
            if cleaned:
                out.append((shape, cleaned))
        return out

    def is_zero(self, tol: float = 1e-9) -> bool:
        return not self.canonical(tol)


def _same_poly(a: Poly, b: Poly, tol: float) -> bool:
    keys = set(a) | set(b)
    scale = max([abs(float(c)) for c in a.values()] + [abs(float(c)) for c in b.values()] + [1.0])
    return all(abs(float(a.get(k, 0)) - float(b.get(k, 0))) <= tol * scale for k in keys)


def _integrate_term(t: Term, over: list[str], nums: Numbers) -> QExp:
    p, q = t.p, t.q
    ys = [v for v in over]
    yset = set(ys)
    if not (p_vars(p) | p_vars(q)) & yset:
        if any(c != 0 for c in p.values()):
            raise Divergent("the integrand does not decay in " + ", ".join(ys) +
                            ": the integral over the real line diverges")
        return QExp([], nums)
    k = len(ys)
    index = {v: i for i, v in enumerate(ys)}
    prec = [[nums.num(0)] * k for _ in range(k)]
    lin: list[Poly] = [{} for _ in range(k)]
    rest: Poly = {}
    for mono, c in q.items():
        inner = [(v, e) for v, e in mono if v in yset]
        deg = sum(e for _, e in inner)
        outer = tuple((v, e) for v, e in mono if v not in yset)
        if deg == 0:
            rest[mono] = rest.get(mono, 0) + c
        elif deg == 1:
            i = index[inner[0][0]]
            lin[i][outer] = lin[i].get(outer, 0) + c
        elif deg == 2:
            if outer:
                raise NotClosed("the exponent's quadratic part in " + ", ".join(ys) +
                                " depends on other variables")
            if len(inner) == 1:
                i = index[inner[0][0]]
                prec[i][i] = prec[i][i] - 2 * c
            else:
                i, j = index[inner[0][0]], index[inner[1][0]]
                prec[i][j] = prec[i][j] - c
                prec[j][i] = prec[j][i] - c
        else:
            raise NotClosed("an exponent of degree above 2 in " + ", ".join(ys))
    chol = _cholesky(prec, nums)
    if chol is None:
        if all(prec[i][i] == 0 for i in range(k)) and not any(lin):
            raise Divergent("the integrand does not decay in " + ", ".join(ys) +
                            ": the integral over the real line diverges")
        raise Divergent("the integrand does not decay in every direction of " + ", ".join(ys) +
                        ": the integral over the real line diverges")
    cov = _inverse_from_cholesky(chol, nums)
    mean = [{} for _ in range(k)]  # polynomials in the other variables
    for i in range(k):
        for j in range(k):
            if cov[i][j] != 0:
                mean[i] = p_add(mean[i], p_scale(lin[j], cov[i][j]))
    # exponent after integration: rest + 1/2 b' cov b + log((2 pi)^{k/2} / sqrt(det prec))
    half = {}
    for i in range(k):
        half = p_add(half, p_scale(p_mul(lin[i], mean[i]), nums.num(1) / 2))
    logdet = nums.num(0)
    for i in range(k):
        logdet = logdet + 2 * nums.log(chol[i][i])
    const = nums.log(2 * nums.pi) * k / 2 - logdet / 2
    new_q = p_add(p_add(rest, half, 1, nums.eps), p_const(const))
    # E[p(y)] for y ~ N(mean, cov): y = mean + L u with L the Cholesky factor of cov
    lcov = _cholesky(cov, nums)
    subs = {}
    for i, v in enumerate(ys):
        s = dict(mean[i])
        for j in range(k):
            if lcov[i][j] != 0:
                s = p_add(s, {((f"\0u{j}", 1),): lcov[i][j]})
        subs[v] = s
    expanded = p_subs(p, subs)
    value: Poly = {}
    for mono, c in expanded.items():
        factor = nums.num(1)
        outer = []
        for v, e in mono:
            if v.startswith("\0u"):
                if e % 2:
                    factor = 0
                    break
                factor = factor * _double_factorial(e - 1)
            else:
                outer.append((v, e))
        if factor == 0:
            continue
        key = tuple(outer)
        value[key] = value.get(key, 0) + c * factor
    return QExp([Term.of(value, new_q)], nums)


def _double_factorial(n: int) -> int:
    out = 1
    while n > 1:
        out *= n
        n -= 2
    return out


def _cholesky(a: list[list], nums: Numbers) -> list[list] | None:
    k = len(a)
    low = [[nums.num(0)] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            s = a[i][j]
            for m in range(j):
                s = s - low[i][m] * low[j][m]
            if i == j:
                if not s > 1e-300:
                    return None
                low[i][i] = nums.sqrt(s)
            else:
                low[i][j] = s / low[j][j]
    return low


def _inverse_from_cholesky(low: list[list], nums: Numbers) -> list[list]:
    k = len(low)
    # inverse of L, then inv(A) = inv(L)^T inv(L)
    inv = [[nums.num(0)] * k for _ in range(k)]
    for i in range(k):
        inv[i][i] = 1 / low[i][i]
        for j in range(i):
            s = nums.num(0)
            for m in range(j, i):
                s = s - low[i][m] * inv[m][j]
            inv[i][j] = s / low[i][i]
    out = [[nums.num(0)] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            s = nums.num(0)
            for m in range(max(i, j), k):
                s = s + inv[m][i] * inv[m][j]
            out[i][j] = s
    return out
