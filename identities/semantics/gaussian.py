"""The linear-Gaussian family: one observation x and one latent z, all with free parameters.

    p(z) = N(z; 0, 1),  p(x | z) = N(x; w z + b, s^2),  q(z | x) = N(z; m, v)

so p(x) = N(x; b, w^2 + s^2) and p(z | x) is Gaussian. Every p(...) is a marginal or a
conditional of this one joint; every q(...) is the variational density. Modelling rows of the
document (a Gaussian prior, encoder or decoder) replace the matching piece.
"""

from __future__ import annotations

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.errors import NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import (Context, Family, is_variational, marked_density, render,
                                                      var_key)
from elbo_suite.identities.semantics.gaussian_algebra import GaussFun, Term, Z, _padd
from elbo_suite.identities.semantics.numeric import canonical


def _param(name: str, positive: bool = False) -> sp.Symbol:
    # finite=True keeps these apart from a document symbol that happens to share the name
    return sp.Symbol(name, positive=True, finite=True) if positive else sp.Symbol(name, real=True, finite=True)


W, B, S, M, V = _param("w"), _param("b"), _param("s", True), _param("m"), _param("v", True)
X = sp.Symbol("x", real=True)  # the observation is the document's own x


class LinearGaussianFamily(Family):
    name = "linear-Gaussian"
    description = ("linear-Gaussian family p(z)=N(0,1), p(x|z)=N(wz+b,s²), q(z|x)=N(m,v) "
                   "with free w,b,x,m and s,v>0; closed-form Gaussian moments")

    fixed = frozenset({X})  # the observation
    learned = {"model": frozenset({W, B, S}), "variational": frozenset({M, V})}
    all_learned = frozenset().union(*learned.values())

    def __init__(self):
        self.prior = (sp.Integer(0), sp.Integer(1))  # mean, variance of p(z)
        self.likelihood = (W, B, S ** 2)  # p(x|z) = N(x; w z + b, s^2)
        self.q = (M, V)
        self.redefined: dict[str, str] = {}  # density that the family cannot follow -> why

    # leaves --------------------------------------------------------------------------------
    def const(self, expr):
        return GaussFun.const(expr)

    def latent_value(self):
        return GaussFun.var()

    def scalar(self, value: GaussFun) -> sp.Expr:
        if value.depends_on_z:
            raise NotClosed("a z-dependent quantity where a number is needed")
        return value.to_expr()

    def integrate(self, value: GaussFun, ctx: Context) -> GaussFun:
        return value.integrate()

    def normal(self, node: n.Normal, ctx: Context) -> GaussFun:
        mean = self.scalar(self._eval(node.mean, ctx))
        var = self.scalar(self._eval(node.cov, ctx))
        if node.variable is None:
            raise NotClosed(f"{render(node)} without its variable")
        key = var_key(node.variable)
        if key == self.latent or key in ctx.bound:
            return GaussFun.normal(mean, var)
        at = self.scalar(self._eval(node.variable, ctx))
        return GaussFun.const(sp.exp(-(at - mean) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var))

    def density(self, node: n.Density, ctx: Context) -> GaussFun:
        variables = [var_key(v) for v in node.variables]
        given = [var_key(v) for v in node.given]
        if marked_density(node):
            raise NotApplicable(marked_density(node))
        for v in variables + given:
            if v not in {"x", "z"}:
                raise NotApplicable(f"{render(node)}: variable {v} is outside the family "
                                    "(one observation x, one latent z)")
            if v in ctx.bound:
                raise NotApplicable(f"{render(node)}: integrating the model over {v}")
        if len(set(variables + given)) != len(variables + given):
            raise NotClosed(f"{render(node)} repeats a variable")
        key = self.key(node)
        if key in self.redefined:
            raise NotApplicable(self.redefined[key])
        if is_variational(node):
            if variables != ["z"]:
                raise NotApplicable(f"{render(node)}: q is a density over the latent z")
            return GaussFun.normal(*self.q)
        prior = GaussFun.normal(*self.prior)
        likelihood = self._likelihood()
        pair = (tuple(sorted(variables)), tuple(sorted(given)))
        if pair == (("x", "z"), ()):
            return prior * likelihood
        if pair == (("z",), ()):
            return prior
        if pair == (("x",), ("z",)):
            return likelihood
        if pair == (("x",), ()):
            w, b, s2 = self.likelihood
            mean = w * self.prior[0] + b
            var = w ** 2 * self.prior[1] + s2
            return GaussFun.exp_const(-(X - mean) ** 2 / (2 * var) - sp.log(2 * sp.pi * var) / 2)
        if pair == (("z",), ("x",)):
            mean, var = self.posterior()
            return GaussFun.normal(mean, var)
        raise NotApplicable(f"{render(node)} is not a density of the joint p(x, z)")

    def _likelihood(self) -> GaussFun:
        w, b, s2 = self.likelihood
        return GaussFun.log_normal_at(X, w, b, s2)

    def posterior(self) -> tuple[sp.Expr, sp.Expr]:
        w, b, s2 = self.likelihood
        m0, v0 = self.prior
        precision = 1 / v0 + w ** 2 / s2
        return sp.cancel((m0 / v0 + w * (X - b) / s2) / precision), sp.cancel(1 / precision)

    # definitions ---------------------------------------------------------------------------
    def define(self, density: n.Density, normal: n.Normal) -> str:
        """Adopt a modelling row 'density = N(...)'; return how the family follows it."""
        key = self.key(density)
        try:
            mean = self.scalar(self._eval(normal.mean, Context()))
            var = self.scalar(self._eval(normal.cov, Context()))
        except (NotClosed, NotApplicable) as exc:
            self.redefined[key] = f"{key} is defined by an earlier row in a form the family cannot follow ({exc})"
            return self.redefined[key]
        if key.startswith("q(z"):
            self.q = (mean, var)
            return f"q(z|x) = N(z; {sp.sstr(mean)}, {sp.sstr(var)})"
        if key == "p(z)":
            self.prior = (mean, var)
            return f"p(z) = N(z; {sp.sstr(mean)}, {sp.sstr(var)})"
        self.redefined[key] = f"{key} is defined by an earlier row; the family does not follow that definition"
        return self.redefined[key]

    # checking helpers ----------------------------------------------------------------------
    def points(self, free: set[sp.Symbol]) -> list[dict]:
        base = [
            {W: 1, B: 0, S: 1, X: 1, M: 0, V: 1},
            {W: sp.Rational(1, 10), B: 0, S: sp.Rational(1, 10), X: 0, M: 0, V: sp.Rational(1, 2)},
            {W: 2, B: sp.Rational(1, 2), S: sp.Rational(1, 2), X: sp.Rational(3, 2),
             M: sp.Rational(1, 3), V: sp.Rational(1, 4)},
            {W: 1, B: 0, S: 1, X: 1, M: sp.Rational(1, 2), V: sp.Rational(1, 2)},
        ]
        return [_complete({**p, Z: sp.Rational(1, 3)}, free, k) for k, p in enumerate(base)]

    def gaps(self) -> list[tuple[str, GaussFun, str]]:
        """Quantities known to be >= 0 in this family, with the reason."""
        out = []
        q = GaussFun.normal(*self.q)
        for label, (mean, var) in (("KL(q(z|x) || p(z|x))", self.posterior()),
                                   ("KL(q(z|x) || p(z))", self.prior)):
            kl = (q * (q / GaussFun.normal(mean, var)).log()).integrate()
            out.append((label, kl,
                        "Gaussian KL = ½(t − 1 − log t) + (m_q − μ)²/(2τ) with t = v_q/τ > 0, "
                        "and t − 1 − log t ≥ 0"))
        return out

    def values(self, value: GaussFun) -> sp.Expr:
        return value.to_expr()

    def prove_equal(self, left: GaussFun, right: GaussFun) -> bool:
        return gauss_equal(left, right)

    def maximisers(self, left: n.Node, right: n.Node, over: tuple[str, ...]):
        """Maximisers over (phi: q's parameters, theta: the decoder bias b) of both objectives, at
        w = 1, s = 1, x = 1, with the right side's draws averaged. Returns (differ, details, summary)."""
        lctx, rctx = Context(), Context()
        f = self.scalar(self.evaluate(left, lctx))
        g = self.scalar(self.evaluate(right, rctx))
        unknowns: list[sp.Symbol] = []
        if "phi" in over:
            unknowns += sorted(_free_of(self.q), key=lambda s: s.name)
        if "theta" in over:
            unknowns.append(B)
        if not unknowns:
            raise NotClosed("no parameters of this family to maximise over")
        fixed = {W: 1, S: 1, X: 1}
        others = (_free_of((f, g)) - set(unknowns)) - set(fixed)
        point = _complete(fixed, others, 0)
        f0, g0 = f.xreplace(point), g.xreplace(point)
        fs, gs = _stationary(f0, unknowns), _stationary(g0, unknowns)
        if len(fs) != 1 or len(gs) != 1:
            raise NotClosed(f"expected one stationary point each, found {len(fs)} and {len(gs)}")
        for obj, sol in ((f0, fs[0]), (g0, gs[0])):
            hess = sp.hessian(obj, unknowns).xreplace(sol)
            minors = [sp.simplify((-hess)[:k, :k].det()) for k in range(1, len(unknowns) + 1)]
            if not all(mnr.is_positive for mnr in minors):
                raise NotClosed("a stationary point is not a strict local maximum")

        def show(sol):
            return "(" + ", ".join(f"{u.name}={sp.sstr(sp.nsimplify(sol[u]))}" for u in unknowns) + ")"

        where = ", ".join(f"{k.name}={v}" for k, v in sorted(point.items(), key=lambda kv: kv[0].name))
        differ = any(sp.simplify(fs[0][u] - gs[0][u]) != 0 for u in unknowns)
        summary = f"left at {show(fs[0])}, E[right] at {show(gs[0])} ({where})"
        details = (f"[{self.name}] maximisers over {', '.join(u.name for u in unknowns)} at {where} "
                   f"(unique stationary points, negative-definite Hessian): left objective "
                   f"{sp.sstr(f0)} is maximised at {show(fs[0])}; expected right objective "
                   f"{sp.sstr(g0)} is maximised at {show(gs[0])}")
        return differ, details, summary


def _complete(point: dict, free: set[sp.Symbol], k: int) -> dict:
    """Give every other free symbol a value too (distinct per point, positive where required)."""
    reals = [sp.Rational(1, 3), sp.Rational(-1, 2), sp.Rational(2, 3), 1]
    positives = [sp.Rational(1, 2), 2, sp.Rational(3, 2), sp.Rational(1, 3)]
    out = dict(point)
    for j, sym in enumerate(sorted(free - set(point), key=lambda s: s.name)):
        if sym.is_integer:
            out[sym] = 2 + (k % 2)
        elif sym.is_positive:
            out[sym] = positives[(j + k) % len(positives)]
        else:
            out[sym] = reals[(j + k) % len(reals)]
    return out


def gauss_equal(left: GaussFun, right: GaussFun) -> bool:
    """Symbolic proof that left ≡ right: terms grouped by exponent, each group's sum ≡ 0."""
    if len(left.terms) == 1 and len(right.terms) == 1:
        s, t = left.terms[0], right.terms[0]
        if s.poly_is_const and t.poly_is_const and s.poly[0] != 0 and t.poly[0] != 0:
            same_shape = canonical(s.a - t.a) == 0 and canonical(s.b - t.b) == 0
            if same_shape and canonical(sp.log(s.poly[0]) - sp.log(t.poly[0]) + s.c - t.c) == 0:
                return True
    terms = list(left.terms) + list((-right).terms)
    groups: list[list[Term]] = []
    for t in terms:
        for g in groups:
            h = g[0]
            if canonical(t.a - h.a) == 0 and canonical(t.b - h.b) == 0 and canonical(t.c - h.c) == 0:
                g.append(t)
                break
        else:
            groups.append([t])
    for g in groups:
        total: tuple = (sp.Integer(0),)
        for t in g:
            total = _padd(total, t.poly)
        if any(canonical(coef) != 0 for coef in total):
            return False
    return True


def _stationary(objective: sp.Expr, unknowns: list[sp.Symbol]) -> list[dict]:
    grad = [sp.together(sp.diff(objective, u)) for u in unknowns]
    sols = sp.solve(grad, unknowns, dict=True)
    return [s for s in sols if all(s.get(u, u).is_real is not False for u in unknowns)]


def _free_of(exprs) -> set:
    out = set()
    for e in exprs:
        out |= sp.sympify(e).free_symbols
    return out
