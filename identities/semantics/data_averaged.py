"""The data-averaged discrete family: the observation x is random too, drawn from the data.

    p̂(x=j) = D_j / ΣD                       the data distribution (p̂, p_data, p_D, p_*, q(x))
    q(z=i | x=j) = Q_ji / Σ_i Q_ji            the encoder, one table per data point
    p(z=i) = P_i / ΣP,  p(x=j | z=i) = L_ji / Σ_j L_ji      the model

with x ∈ {1, 2} and z ∈ {1, 2, 3} (all weights > 0, sums exact). Every other density is a
marginal or a conditional of one of the two joints: p(x, z) = p(z) p(x|z) with p(x) and p(z|x);
q(x, z) = p̂(x) q(z|x) with the aggregate posterior q(z) = Σ_x p̂(x) q(z|x) and q(x|z). The
mutual information I_q(x; z) is KL(q(x, z) || p̂(x) q(z)).

This is the setting of the ELBO averaged over a data set ("ELBO surgery": the averaged KL term
splits into I_q(x; z) + KL(q(z) || p(z)); the averaged ELBO is −KL(q(x, z) || p(x, z)) − H(p̂)).
The family judges only rows that average over x (an expectation or integral over x, a KL over
x) or name the data distribution, the joint q(x, z), q(x|z) or I(x; z); rows about one fixed x
stay with the one-observation families. In such rows an unconditioned q(z) is the aggregate
posterior: the reading that those decompositions give it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics import limits
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import (Context, Family, has_bounds, is_variational, mentions,
                                                      render, var_key)
from elbo_suite.identities.semantics.numeric import TOLERANCE, canonical, evaluate

XS, ZS = 2, 3  # sizes of the data space and the latent space
AXES = ("x", "z")
D = tuple(sp.Symbol(f"D{j}", positive=True, finite=True) for j in range(1, XS + 1))
P = tuple(sp.Symbol(f"P{i}", positive=True, finite=True) for i in range(1, ZS + 1))
Q = tuple(tuple(sp.Symbol(f"Q{j}{i}", positive=True, finite=True) for i in range(1, ZS + 1))
          for j in range(1, XS + 1))
L = tuple(tuple(sp.Symbol(f"L{j}{i}", positive=True, finite=True) for i in range(1, ZS + 1))
          for j in range(1, XS + 1))

# How the field writes the distribution the data are drawn from: p̂(x), p_data(x), p_d(x),
# p_D(x), p_{\mathcal D}(x), p_*(x), p^*(x), p_{emp}(x), p_{true}(x), and x ~ \mathcal{D}.
DATA_SUBSCRIPTS = {"data", "d", "D", "cal{D}", "*", "emp", "true", "empirical", "pop"}
DATA_MARKS = {("hat",), ("*",)}


@dataclass(frozen=True)
class Grid:
    """A function of (x, z) as its values on the grid, and the axes it depends on."""

    values: tuple[sp.Expr, ...]  # XS * ZS values, index j * ZS + i for x = j + 1, z = i + 1
    axes: frozenset = frozenset()

    @staticmethod
    def of(fn, axes) -> "Grid":
        return Grid(tuple(sp.sympify(fn(j, i)) for j in range(XS) for i in range(ZS)), frozenset(axes))

    def at(self, j: int, i: int) -> sp.Expr:
        return self.values[j * ZS + i]

    def _combine(self, other: "Grid", op) -> "Grid":
        return Grid(tuple(op(a, b) for a, b in zip(self.values, other.values)), self.axes | other.axes)

    def __add__(self, other):
        return self._combine(other, lambda a, b: a + b)

    def __neg__(self):
        return Grid(tuple(-a for a in self.values), self.axes)

    def __sub__(self, other):
        return self + (-other)

    def __mul__(self, other):
        return self._combine(other, lambda a, b: a * b)

    def __truediv__(self, other):
        if any(b == 0 for b in other.values):
            raise Divergent("division by zero")
        return self._combine(other, lambda a, b: a / b)

    def power(self, k):
        for a in self.values:
            limits.power(a, k)
        return Grid(tuple(a ** k for a in self.values), self.axes)

    def log(self):
        return Grid(tuple(sp.log(a) for a in self.values), self.axes)

    def exp(self):
        return Grid(tuple(sp.exp(a) for a in self.values), self.axes)

    def total(self, axis: str) -> "Grid":
        """Σ over one axis (a value free of that axis counts once per point of it)."""
        if axis == "z":
            return Grid.of(lambda j, i: sp.Add(*(self.at(j, k) for k in range(ZS))), self.axes - {"z"})
        return Grid.of(lambda j, i: sp.Add(*(self.at(k, i) for k in range(XS))), self.axes - {"x"})

    def distinct(self) -> tuple[sp.Expr, ...]:
        """One value per point of the axes it depends on."""
        js = range(XS) if "x" in self.axes else (0,)
        is_ = range(ZS) if "z" in self.axes else (0,)
        return tuple(self.at(j, i) for j in js for i in is_)


def _data() -> Grid:
    return Grid.of(lambda j, i: D[j] / sp.Add(*D), "x")


def _encoder() -> Grid:
    return Grid.of(lambda j, i: Q[j][i] / sp.Add(*Q[j]), "xz")


def _prior() -> Grid:
    return Grid.of(lambda j, i: P[i] / sp.Add(*P), "z")


def _decoder() -> Grid:
    return Grid.of(lambda j, i: L[j][i] / sp.Add(*(L[k][i] for k in range(XS))), "xz")


def is_data_density(node: n.Node, hat: bool = True) -> bool:
    """p_data(x), p_*(x), p_D(x), ... and, when `hat`, p̂(x) (q(x) is the data distribution only
    through q's joint)."""
    if isinstance(node, n.Density):
        if node.kind != "p" or node.given:
            return False
        if tuple(node.marks) in DATA_MARKS:
            return hat or tuple(node.marks) != ("hat",)
        return node.subscript is not None and _name(node.subscript) in DATA_SUBSCRIPTS
    if isinstance(node, n.Var):  # x ~ p_data, x ~ \mathcal{D}
        if node.name == "p" and node.index is not None:
            return _name(node.index) in DATA_SUBSCRIPTS
        return node.index is None and _name(node) in {"cal{D}", "D"}
    return False


def _name(node: n.Node) -> str:
    try:
        return var_key(node)
    except NotApplicable:
        return render(node)


def _variables_of(dist: n.Node) -> tuple[str, ...]:
    """The variables an expectation's law ranges over (not those it conditions on)."""
    if isinstance(dist, n.Density):
        return tuple(var_key(v) for v in dist.variables)
    if isinstance(dist, n.Sampling):
        return (var_key(dist.variable),)
    if isinstance(dist, n.Mul):
        out: tuple[str, ...] = ()
        for f in dist.factors:
            out += tuple(v for v in _variables_of(f) if v not in out)
        return out
    if isinstance(dist, n.Tuple):
        out = ()
        for item in dist.items:
            out += tuple(v for v in _variables_of(item) if v not in out)
        return out
    if isinstance(dist, n.Var):
        return (var_key(dist),)
    raise NotClosed(f"cannot tell the variables of {render(dist)}")


def hat_is_the_data(*nodes: n.Node) -> bool:
    """Whether p̂(x) is the law the row averages over (E_{p̂(x)}, ∫ p̂(x) ... dx), not an estimate
    of p(x) (p̂(x) = 1/K Σ_k w_k, as importance-weighted write-ups use the hat)."""
    def law(node: n.Node) -> bool:
        if isinstance(node, n.Expectation) and node.dist is not None:
            return mentions(node.dist, lambda d: isinstance(d, n.Density) and tuple(d.marks) == ("hat",))
        if isinstance(node, n.Integral) and _safe_key(node.variable) == "x":
            return mentions(node.body, lambda d: isinstance(d, n.Density) and tuple(d.marks) == ("hat",)
                            and [_safe_key(v) for v in d.variables] == ["x"])
        return False
    return any(mentions(node, law) for node in nodes if node is not None)


def averages_over_data(*nodes: n.Node) -> bool:
    """Whether a row needs x to be random: it averages over x (an expectation, integral or KL over
    x) or names q's joint, q(x|z) or I(x; z). Naming the data's law alone is not enough: p*(x) = p(x)
    states an assumption (a well-specified model), not an identity to test."""
    def needs(node: n.Node) -> bool:
        if isinstance(node, n.Integral):
            return _safe_key(node.variable) == "x"
        if isinstance(node, n.Expectation) and node.dist is not None:
            try:
                return "x" in _variables_of(node.dist)
            except (NotClosed, NotApplicable):
                return False
        if isinstance(node, n.KL) and isinstance(node.left, n.Density):
            return "x" in [_safe_key(v) for v in node.left.variables]
        if isinstance(node, n.Density) and is_variational(node):
            return "x" in [_safe_key(v) for v in node.variables]
        if isinstance(node, n.FuncApp):
            return _mutual_information(node)
        return False
    return any(mentions(node, needs) for node in nodes if node is not None)


def _safe_key(node: n.Node) -> str:
    try:
        return var_key(node)
    except NotApplicable:
        return ""


def _mutual_information(node: n.FuncApp) -> bool:
    return node.name == "I" and sorted(_safe_key(a) for a in node.args) == ["x", "z"]


class DataAveragedFamily(Family):
    name = "data-averaged discrete"
    description = ("data-averaged discrete family x∈{1,2} ~ p̂(x)=D_j/ΣD, z∈{1,2,3}, q(z|x)=Q_ji/Σ_iQ_ji, "
                   "p(z)=P_i/ΣP, p(x|z)=L_ji/Σ_jL_ji (all >0); q(z) the aggregate posterior; exact sums")

    # the model's and the encoder's parameters (the data distribution is not learned)
    fixed = frozenset(D)  # the data's law: not learned
    learned = {"model": frozenset(P) | frozenset(w for row in L for w in row),
               "variational": frozenset(q for row in Q for q in row)}
    all_learned = frozenset().union(*learned.values())

    def __init__(self):
        self.redefined: dict[str, str] = {}
        self.hat = True  # whether p̂(x) is the data's law in the row being judged

    def applies(self, *nodes: n.Node) -> bool:
        self.hat = hat_is_the_data(*nodes)  # read for the row about to be evaluated
        return averages_over_data(*nodes)

    # leaves --------------------------------------------------------------------------------
    def const(self, expr):
        return Grid.of(lambda j, i: expr, ())

    def latent_value(self):
        return Grid.of(lambda j, i: i + 1, "z")

    def scalar(self, value: Grid) -> sp.Expr:
        if value.axes:
            raise NotClosed(f"a quantity that depends on {', '.join(sorted(value.axes))} where a number is needed")
        return value.values[0]

    def values(self, value: Grid) -> tuple[sp.Expr, ...]:
        return value.distinct()

    def prove_equal(self, left: Grid, right: Grid) -> bool:
        differences = (left - right).distinct()
        # A difference that is not 0 at one exact point is not identically 0: this spares the
        # normal form, slow with seventeen parameters, to every candidate gap that does not fit.
        point = self.points(set().union(*(sp.sympify(d).free_symbols for d in differences)))[0]
        for d in differences:
            val, _ = evaluate(d, point)
            if val is not None and abs(val) > TOLERANCE:
                return False
        return all(canonical(d) == 0 for d in differences)

    def _eval_Var(self, node: n.Var, ctx):
        key = var_key(node)
        if node.sample is None and key == "x":
            return Grid.of(lambda j, i: j + 1, "x")
        if node.sample is None and key == "z":
            return self.latent_value()
        if key in ctx.bound:
            raise NotApplicable(f"integration over {key}: this family has one observation x and one latent z")
        return super()._eval_Var(node, ctx)

    def _eval_FuncApp(self, node: n.FuncApp, ctx):
        if _mutual_information(node) and (node.index is None or _name(node.index).startswith("q")):
            joint = self._q_joint()
            product = _data() * self._aggregate()
            return (joint * (joint / product).log()).total("z").total("x")
        args = [_safe_key(a) for a in node.args]
        if "x" in args or "z" in args:
            raise NotClosed(f"{render(node)}: a free function of x or z")
        return super()._eval_FuncApp(node, ctx)

    # densities -----------------------------------------------------------------------------
    def _q_joint(self) -> Grid:
        return _data() * _encoder()

    def _aggregate(self) -> Grid:
        return self._q_joint().total("x")

    def _p_joint(self) -> Grid:
        return _prior() * _decoder()

    def density(self, node: n.Density, ctx: Context) -> Grid:
        variables = [var_key(v) for v in node.variables]
        given = [var_key(v) for v in node.given]
        for v in variables + given:
            if v not in AXES:
                raise NotApplicable(f"{render(node)}: variable {v} is outside the family "
                                    "(one observation x, one latent z)")
        key = self.key(node)
        if key in self.redefined:
            raise NotApplicable(self.redefined[key])
        pair = (tuple(sorted(variables)), tuple(sorted(given)))
        if tuple(node.marks) == ("hat",) and node.kind == "p" and not self.hat:
            raise NotApplicable(f"{render(node)} is not the law the row averages over: an estimate, not the data")
        if is_data_density(node):
            if pair != (("x",), ()):
                raise NotApplicable(f"{render(node)}: the data distribution is a law of x alone")
            return _data()
        if is_variational(node):
            joint, x_marginal = self._q_joint(), _data()
            if pair == (("z",), ("x",)):
                return _encoder()
        else:
            joint = self._p_joint()
            x_marginal = joint.total("z")
            if pair == (("x",), ("z",)):
                return _decoder()
        z_marginal = joint.total("x")
        if pair == (("x", "z"), ()):
            return joint
        if pair == (("z",), ()):
            return z_marginal
        if pair == (("x",), ()):
            return x_marginal
        if pair == (("x",), ("z",)):
            return joint / z_marginal
        if pair == (("z",), ("x",)):
            return joint / x_marginal
        raise NotApplicable(f"{render(node)} is not a density of the joint over (x, z)")

    def normal(self, node: n.Normal, ctx: Context):
        raise NotApplicable(f"{render(node)} is a Gaussian density: outside the discrete family")

    def define(self, density: n.Density, normal: n.Normal) -> str:
        key = self.key(density)
        self.redefined[key] = (f"{key} is defined as a Gaussian by an earlier row: outside the "
                               "data-averaged discrete family")
        return self.redefined[key]

    # sums over x and z ---------------------------------------------------------------------
    def _scope(self, variable: str, ctx: Context) -> Context:
        if variable not in AXES:
            raise NotApplicable(f"integration over {variable}: this family has one observation x "
                                "and one latent z")
        return ctx.binding(variable)

    def integrate(self, value: Grid, ctx: Context) -> Grid:
        axis = ctx.bound[-1] if ctx.bound else "z"
        if axis not in value.axes:  # a constant integrated against a law: one per point
            value = Grid(value.values, value.axes | {axis})
        return value.total(axis)

    def _law(self, dist: n.Node, ctx: Context) -> Grid:
        if isinstance(dist, n.Sampling):
            if isinstance(dist.dist, n.Density):
                return self._eval(dist.dist, ctx)
            if is_data_density(dist.dist, self.hat) and var_key(dist.variable) == "x":
                return _data()
            raise NotClosed(f"cannot read the law {render(dist)}")
        if isinstance(dist, n.Mul):
            out = self._law(dist.factors[0], ctx)
            for f in dist.factors[1:]:
                out = out * self._law(f, ctx)
            return out
        if isinstance(dist, n.Density):
            return self._eval(dist, ctx)
        raise NotClosed(f"cannot read the law {render(dist)}")

    def _eval_Expectation(self, node: n.Expectation, ctx):
        if node.given:
            raise NotClosed("a conditional expectation E[. | .]")
        if node.dist is None:
            raise NotClosed("expectation without its distribution")
        variables = _variables_of(node.dist)
        inner = ctx
        for v in variables:
            inner = self._scope(v, inner)
        value = self._law(node.dist, inner) * self._eval(node.body, inner)
        for v in reversed(variables):
            value = self._integrate_axis(value, v)
        return value

    def _eval_KL(self, node: n.KL, ctx):
        if not isinstance(node.left, n.Density):
            raise NotClosed(f"KL of {render(node.left)}")
        variables = [var_key(v) for v in node.left.variables]
        inner = ctx
        for v in variables:
            inner = self._scope(v, inner)
        left, right = self._eval(node.left, inner), self._eval(node.right, inner)
        value = left * (left / right).log()
        for v in reversed(variables):
            value = self._integrate_axis(value, v)
        return value

    def _eval_Integral(self, node: n.Integral, ctx):
        if has_bounds(node):
            raise NotClosed("integral with bounds")
        variables = list(node.variable.items) if isinstance(node.variable, n.Tuple) else [node.variable]
        keys = [var_key(v) for v in variables]
        inner = ctx
        for v in keys:
            inner = self._scope(v, inner)
        value = self._eval(node.body, inner)
        for v in reversed(keys):
            value = self._integrate_axis(value, v)
        return value

    @staticmethod
    def _integrate_axis(value: Grid, axis: str) -> Grid:
        if axis not in value.axes:
            value = Grid(value.values, value.axes | {axis})
        return value.total(axis)

    def _eval_BigOp(self, node: n.BigOp, ctx):
        if mentions(node.body, lambda x: isinstance(x, n.Var) and x.sample is not None):
            raise NotApplicable("Monte Carlo draws are judged by the one-observation families")
        return super()._eval_BigOp(node, ctx)

    # counterexamples and proofs ------------------------------------------------------------
    def points(self, free: set[sp.Symbol]) -> list[dict]:
        from elbo_suite.identities.semantics.gaussian import _complete

        def point(d, p, q, lik):
            out = dict(zip(D, map(sp.Rational, d)))
            out.update(zip(P, map(sp.Rational, p)))
            out.update({Q[j][i]: sp.Rational(q[j][i]) for j in range(XS) for i in range(ZS)})
            out.update({L[j][i]: sp.Rational(lik[j][i]) for j in range(XS) for i in range(ZS)})
            return out
        base = [point((1, 2), (1, 1, 1), ((1, 2, 3), (3, 1, 1)), ((1, 2, 1), (2, 1, 3))),
                point((3, 1), (1, 2, 1), ((2, 1, 1), (1, 1, 4)), ((1, 1, 2), (3, 1, 1))),
                point((1, 1), (3, 1, 2), ((1, 3, 2), (2, 2, 1)), ((2, 3, 1), (1, 1, 1)))]
        return [_complete(p, free, k) for k, p in enumerate(base)]

    def gaps(self) -> list[tuple[str, Grid, str]]:
        """Quantities known to be ≥ 0 (Gibbs' inequality), for proofs of '≥' / '≤'."""
        def kl(a: Grid, b: Grid, axes: str) -> Grid:
            out = a * (a / b).log()
            for axis in axes:
                out = out.total(axis)
            return out
        data, enc, prior = _data(), _encoder(), _prior()
        p_joint = self._p_joint()
        posterior = p_joint / p_joint.total("z")
        reason = "Gibbs' inequality: Σ a log(a/b) ≥ 0 for probability vectors a, b"
        return [
            ("E_p̂(x)[KL(q(z|x) || p(z|x))]", (data * kl(enc, posterior, "z")).total("x"), reason),
            ("KL(q(z|x) || p(z|x))", kl(enc, posterior, "z"), reason),
            ("KL(q(x,z) || p(x,z))", kl(self._q_joint(), p_joint, "zx"), reason),
            ("KL(q(z) || p(z))", kl(self._aggregate(), prior, "z"), reason),
            ("I_q(x; z)", kl(self._q_joint(), data * self._aggregate(), "zx"), reason),
            ("E_p̂(x)[KL(q(z|x) || p(z))]", (data * kl(enc, prior, "z")).total("x"), reason),
        ]
