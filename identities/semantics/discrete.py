"""The discrete family: a latent z in {1, 2, 3} with symbolic probabilities (distribution-free).

    p(x, z=i) = a_i > 0,  p(z=i) = P_i / (P_1 + P_2 + P_3),  q(z=i | x) = Q_i / (Q_1 + Q_2 + Q_3)

so p(x) = Σ a_i, p(z|x) = a_i / Σ a and p(x|z) = p(x, z) / p(z). Integrals over z are sums,
which makes an identity proved here hold for any finite latent space.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics import limits
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import (Context, Family, is_variational, marked_density, render,
                                                      var_key)
from elbo_suite.identities.semantics.numeric import canonical

SIZE = 3
A = tuple(sp.Symbol(f"a{i}", positive=True, finite=True) for i in range(1, SIZE + 1))
P = tuple(sp.Symbol(f"P{i}", positive=True, finite=True) for i in range(1, SIZE + 1))
Q = tuple(sp.Symbol(f"Q{i}", positive=True, finite=True) for i in range(1, SIZE + 1))


@dataclass(frozen=True)
class Table:
    """A function of z as its values at z = 1..SIZE; one entry when it does not depend on z."""

    values: tuple[sp.Expr, ...]

    @property
    def depends_on_z(self) -> bool:
        return len(self.values) > 1

    def _pair(self, other: "Table"):
        a, b = self.values, other.values
        if len(a) == 1:
            a = a * len(b)
        if len(b) == 1:
            b = b * len(a)
        return zip(a, b)

    def __add__(self, other):
        return Table(tuple(x + y for x, y in self._pair(other)))

    def __neg__(self):
        return Table(tuple(-x for x in self.values))

    def __sub__(self, other):
        return self + (-other)

    def __mul__(self, other):
        return Table(tuple(x * y for x, y in self._pair(other)))

    def __truediv__(self, other):
        if any(y == 0 for y in other.values):
            raise Divergent("division by zero")
        return Table(tuple(x / y for x, y in self._pair(other)))

    def power(self, k):
        for x in self.values:
            limits.power(x, k)
        return Table(tuple(x ** k for x in self.values))

    def log(self):
        return Table(tuple(sp.log(x) for x in self.values))

    def exp(self):
        return Table(tuple(sp.exp(x) for x in self.values))


def _normalised(weights: tuple[sp.Symbol, ...]) -> Table:
    total = sp.Add(*weights)
    return Table(tuple(w / total for w in weights))


class DiscreteFamily(Family):
    name = "discrete"
    description = ("discrete family z∈{1,2,3} with symbolic p(x,z=i)=a_i, p(z=i)=P_i/ΣP, "
                   "q(z=i|x)=Q_i/ΣQ (all >0); exact sums")

    fixed: frozenset = frozenset()
    learned = {"model": frozenset(A) | frozenset(P), "variational": frozenset(Q)}
    all_learned = frozenset().union(*learned.values())

    def __init__(self):
        self.redefined: dict[str, str] = {}

    def const(self, expr):
        return Table((sp.sympify(expr),))

    def latent_value(self):
        return Table(tuple(sp.Integer(i) for i in range(1, SIZE + 1)))

    def scalar(self, value: Table) -> sp.Expr:
        if value.depends_on_z:
            raise NotClosed("a z-dependent quantity where a number is needed")
        return value.values[0]

    def integrate(self, value: Table, ctx: Context) -> Table:
        if ctx.bound:
            raise NotApplicable(f"integration over {ctx.bound[-1]}: the discrete family sums over z only")
        vals = value.values if value.depends_on_z else value.values * SIZE
        return Table((sp.Add(*vals),))

    def normal(self, node: n.Normal, ctx: Context):
        raise NotApplicable(f"{render(node)} is a Gaussian density: outside the discrete family")

    def density(self, node: n.Density, ctx: Context) -> Table:
        variables = [var_key(v) for v in node.variables]
        given = [var_key(v) for v in node.given]
        if marked_density(node):
            raise NotApplicable(marked_density(node))
        for v in variables + given:
            if v not in {"x", "z"}:
                raise NotApplicable(f"{render(node)}: variable {v} is outside the family "
                                    "(one observation x, one latent z)")
        key = self.key(node)
        if key in self.redefined:
            raise NotApplicable(self.redefined[key])
        if is_variational(node):
            if variables != ["z"]:
                raise NotApplicable(f"{render(node)}: q is a density over the latent z")
            return _normalised(Q)
        joint = Table(A)
        prior = _normalised(P)
        pair = (tuple(sorted(variables)), tuple(sorted(given)))
        if pair == (("x", "z"), ()):
            return joint
        if pair == (("z",), ()):
            return prior
        if pair == (("x",), ("z",)):
            return joint / prior
        if pair == (("x",), ()):
            return Table((sp.Add(*A),))
        if pair == (("z",), ("x",)):
            return joint / Table((sp.Add(*A),))
        raise NotApplicable(f"{render(node)} is not a density of the joint p(x, z)")

    def define(self, density: n.Density, normal: n.Normal) -> str:
        key = self.key(density)
        self.redefined[key] = (f"{key} is defined as a Gaussian by an earlier row: outside the "
                               "discrete family")
        return self.redefined[key]

    def points(self, free: set[sp.Symbol]) -> list[dict]:
        def point(a, p, q):
            return {**dict(zip(A, map(sp.Rational, a))), **dict(zip(P, map(sp.Rational, p))),
                    **dict(zip(Q, map(sp.Rational, q)))}
        base = [point((sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 8)), (1, 1, 1), (1, 2, 3)),
                point((4, 6, 10), (1, 2, 1), (1, 1, 2)),
                point((sp.Rational(1, 3), 2, sp.Rational(1, 5)), (3, 1, 2), (2, 1, 1))]
        from elbo_suite.identities.semantics.gaussian import _complete
        return [_complete(p, free, k) for k, p in enumerate(base)]

    def gaps(self) -> list[tuple[str, Table, str]]:
        q = _normalised(Q)
        post = Table(A) / Table((sp.Add(*A),))
        prior = _normalised(P)
        return [(label, Table((sp.Add(*(q * (q / r).log()).values),)),
                 "Gibbs' inequality: Σ q_i log(q_i/r_i) ≥ 0 for probability vectors q, r")
                for label, r in (("KL(q(z|x) || p(z|x))", post), ("KL(q(z|x) || p(z))", prior))]

    def values(self, value: Table) -> tuple[sp.Expr, ...]:
        return value.values

    def prove_equal(self, left: Table, right: Table) -> bool:
        return all(canonical(d) == 0 for d in (left - right).values)
