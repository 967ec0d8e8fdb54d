"""The linear-Gaussian chain family: the document's Markov-chain model instantiated at small T.

A step is checked in several worlds (T = 1..4, plus second instances at T = 2 and 3), at every
admissible value of its free step index t. Both sides are exact closed forms in each world (Gaussian
integrals, derivatives of log-Gaussians), computed in floating point and compared as functions of
the variables left free; a counterexample is recomputed at 40 digits before it is printed.

The verdict states that scope: it is a check on instances, not a proof for every T.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.bindings import Bindings, is_noise, walk
from elbo_suite.identities.semantics.chain.algebra import FLOATS, Numbers, QExp, mp_numbers
from elbo_suite.identities.semantics.chain.evaluate import (ChainEvaluator, Scope, UnknownConstant,
                                                            gaussian_moments)
from elbo_suite.identities.semantics.chain.indices import is_index_expression
from elbo_suite.identities.semantics.chain.model import ChainSpec, variable_keys
from elbo_suite.identities.semantics.chain.world import World
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import render

WORLDS = ((1, 1), (2, 1), (3, 1), (4, 1), (2, 2), (3, 2))
QUICK_WORLDS = ((3, 1),)  # the screening pass of the repair search
THETA_INSTANCES = 5
NAME = "linear-Gaussian chain"


def scope_text() -> str:
    ts = sorted({t for t, _ in WORLDS})
    return (f"T ∈ {{{', '.join(map(str, ts))}}}, {len(WORLDS)} random instances, every admissible t; "
            "method: random rational schedules and affine learned maps, both sides as exact Gaussian "
            "closed forms in the chain's free variables, compared term by term in float64")


@dataclass
class RowContext:
    """What a step check needs from its row beyond the two expressions."""

    subject: n.Node | None = None  # the expression the chain starts from (x_t in x_t = ... = ...)
    label: str = ""


@dataclass
class ChainResult:
    status: str  # "proved", "refuted", "undecided", "n/a"
    note: str
    details: list[str] = field(default_factory=list)
    weaker: str = ""  # a weaker claim that holds when the literal one fails
    checked: int = 0


class _Failure(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def free_index_symbols(*nodes: n.Node, names: frozenset = frozenset({"x", "z"})) -> list[str]:
    """Step indices (t) a row leaves free: symbols in the time subscripts of chain variables,
    schedules and noises, not bound by a sum, product or expectation over them."""
    found: set[str] = set()

    def visit(node, bound):
        if isinstance(node, n.BigOp) and isinstance(node.index, n.Var):
            inner = bound | {node.index.name}
            for f in ("lower", "upper"):
                visit(getattr(node, f), bound)
            visit(node.body, inner)
            return
        if isinstance(node, n.Expectation) and isinstance(node.dist, n.Sampling) and \
                isinstance(node.dist.variable, n.Var):
            visit(node.body, bound | {node.dist.variable.name})
            return
        if isinstance(node, n.Var) and node.index is not None and is_index_expression(node.index) \
                and (node.name in names or node.name in {"alpha", "beta", "epsilon"}):
            for x in walk(node.index):
                if isinstance(x, n.Var) and x.name not in bound and x.name != "T":
                    found.add(x.name)
        if isinstance(node, n.FuncApp):
            for a in node.args:
                if isinstance(a, n.Var) and a.index is None and len(a.name) == 1 and a.name not in bound \
                        and a.name in {"t", "s", "k", "i"}:
                    found.add(a.name)
        if isinstance(node, n.Node):
            for f in node.__dataclass_fields__:
                visit(getattr(node, f), bound)
        elif isinstance(node, tuple):
            for x in node:
                visit(x, bound)

    for node in nodes:
        if node is not None:
            visit(node, frozenset())
    return sorted(found)


class MarkovChainFamily:
    name = NAME
    description = "linear-Gaussian chain (the document's Markov chain at T = 1..4, random rationals)"

    def __init__(self, spec: ChainSpec, bindings: Bindings):
        self.spec, self.bindings = spec, bindings
        self._evaluators: dict = {}
        self.quick = False  # a screening pass: two instances only, no weaker claims
        self.modes: set[str] = set()  # readings the last judgment used ("law": in distribution)

    # -- worlds ----------------------------------------------------------------------------------
    def evaluator(self, world: World, nums: Numbers = FLOATS) -> ChainEvaluator:
        key = (world.T, world.seed, world.theta, world.perturbed, nums.name)
        if key not in self._evaluators:
            self._evaluators[key] = ChainEvaluator(self.spec, self.bindings, world, nums)
        return self._evaluators[key]

    def reset(self) -> None:
        """Forget cached values (definitions changed)."""
        self._evaluators.clear()

    def instances(self, *nodes):
        """(world, env) pairs a row is checked at."""
        symbols = free_index_symbols(*nodes, names=frozenset(self.spec.names))
        for T, seed in (QUICK_WORLDS if self.quick else WORLDS):
            world = World(T, seed)
            if not symbols:
                yield world, {}
                continue
            if len(symbols) > 2:
                raise NotClosed(f"{len(symbols)} free step indices")
            values = range(0, T + 1)
            if len(symbols) == 1:
                for v in values:
                    yield world, {symbols[0]: v}
            else:
                for v in values:
                    for w in values:
                        yield world, {symbols[0]: v, symbols[1]: w}

    # -- one relation ----------------------------------------------------------------------------
    def judge(self, left: n.Node, relation: str, right: n.Node, ctx: RowContext) -> ChainResult:
        notes: set[str] = set()
        self.modes = set()
        checked = substantive = 0
        skipped: list[str] = []
        argmin = isinstance(left, n.Argmax) and isinstance(right, n.Argmax)
        if argmin and (left.op != right.op or set(left.over) != set(right.over)):
            return ChainResult("refuted", f"the two sides optimise differently: {left.op} over "
                               f"{', '.join(left.over)} vs {right.op} over {', '.join(right.over)}")
        unclosed: list[str] = []
        try:
            for world, env in self.instances(left, right, ctx.subject):
                ev = self.evaluator(world)
                ev.notes = notes
                try:
                    if argmin:
                        self._argmin(left, right, world, env, notes)
                    else:
                        self._relation(ev, left, relation, right, ctx, env)
                except (IndexError, Divergent) as exc:
                    skipped.append(f"{world.label()}, {_env_text(env)}: {exc}")
                    continue
                except (NotClosed, UnknownConstant) as exc:
                    # no closed form at this instance (often a degenerate step): it proves nothing
                    unclosed.append(f"{world.label()}, {_env_text(env)}: {exc}")
                    continue
                except _Failure as failure:
                    if self.quick:
                        return ChainResult("refuted", failure.text)
                    weaker = self._weaker_argmin(left, right, world, env) if argmin else \
                        self._weaker(left, relation, right, ctx, world, env)
                    details = [failure.text] + sorted(notes)
                    return ChainResult("refuted", f"{NAME} {failure.text}", details, weaker, checked)
                checked += 1
                if world.T >= 2 and all(v >= 1 for v in env.values()):
                    substantive += 1
        except NotApplicable as exc:
            return ChainResult("n/a", str(exc))
        except (NotClosed, UnknownConstant) as exc:
            return ChainResult("undecided", f"no closed form on the chain: {exc}", sorted(notes))
        if unclosed and (not substantive or len(unclosed) * 2 > checked + len(unclosed)):
            reason = unclosed[0].split(": ", 1)[-1]
            return ChainResult("undecided", f"no closed form on the chain: {reason}",
                               [f"no closed form at {u}" for u in unclosed[:4]] + sorted(notes))
        if not substantive:
            why = skipped[0] if skipped else "no admissible step"
            return ChainResult("undecided", f"no instance where both sides have a value ({why})",
                               sorted(notes))
        what = {"=": "both sides agree", ">=": "the inequality holds", "<=": "the inequality holds",
                "∝": "the ratio of the two sides is free of the density's variable",
                "~": "the law matches"}.get(relation, "the relation holds")
        if argmin:
            what = "the two objectives have the same minimisers (one is a positive multiple of the " \
                   "other plus a term free of the parameters)"
        elif "law" in self.modes:
            what = "equal in distribution: the sampling rule gives the subject the chain's law (its " \
                   "noise is a fresh standard normal)"
        note = f"{what} in every instance checked ({checked} checks; {scope_text()})"
        details = [note] + [f"no closed form at {u}" for u in unclosed[:3]] + \
            (["skipped (a side has no value there): " + s for s in skipped[:3]]
                            if skipped else []) + sorted(notes)
        return ChainResult("proved", note, details, checked=checked)

    def _relation(self, ev: ChainEvaluator, left, relation, right, ctx: RowContext, env) -> None:
        scope = Scope(dict(env))
        if relation == "~":
            self._law_relation(ev, left, right, ctx, scope)
            return
        if relation == "∝":
            self._proportional(ev, left, right, ctx, scope)
            return
        if relation == "=" and _has_constant(right) != _has_constant(left):
            self._up_to_constant(ev, left, right, scope)
            return
        lv = ev.value(left, scope)
        rv = ev.value(right, scope)
        if relation == "=" and (_noise_vars(lv) or _noise_vars(rv)):
            self._equal_in_law(ev, left, right, lv, rv, ctx, scope)
            return
        if relation == "=":
            if not (lv - rv).is_zero():
                raise _Failure(self._counterexample(ev, left, right, scope, lv - rv))
            return
        if relation in {">=", "<=", ">", "<"}:
            big, small = (lv, rv) if relation in {">=", ">"} else (rv, lv)
            self._nonnegative(ev, big - small, left, right, scope, relation)
            return
        raise NotClosed(f"relation '{relation}' is not checked on the chain")

    # -- pieces ------------------------------------------------------------------------------
    def _counterexample(self, ev: ChainEvaluator, left, right, scope: Scope, diff: QExp) -> str:
        world = ev.world
        # recompute at 40 digits so that the printed digits do not depend on the platform
        mp = mp_numbers()
        exact = ChainEvaluator(self.spec, self.bindings, World(world.T, world.seed, world.theta,
                                                                world.perturbed), mp)
        point = {v: world.point(v) for v in sorted(diff.variables())}
        try:
            lv, rv = exact.value(left, scope), exact.value(right, scope)
            point = {v: world.point(v) for v in sorted(lv.variables() | rv.variables())}
            at = {k: mp.num(v) for k, v in point.items()}
            values = f"left = {_digits(lv.evaluate(at))}, right = {_digits(rv.evaluate(at))}"
        except (NotClosed, Divergent, NotApplicable, IndexError, UnknownConstant):
            values = "the two sides differ as functions"
        return f"{self._where(exact.world, scope, point)}: {values}"

    @staticmethod
    def _where(world: World, scope: Scope, point: dict) -> str:
        schedule = ", ".join(f"α_{k.split('_')[1]}={v}" for k, v in sorted(world.used.items())
                             if k.startswith("alpha_"))
        parts = [f"T={world.T}"]
        if schedule:
            parts.append(schedule)
        if scope.env:
            parts.append(_env_text(scope.env))
        at = ", ".join(f"{_show_var(k)}={v}" for k, v in point.items())
        text = "with " + ", ".join(parts)
        return text + (f", at {at}" if at else "")

    def _nonnegative(self, ev, diff: QExp, left, right, scope, relation) -> None:
        if diff.is_number():
            value = diff.number()
            if value < -1e-9 * (1 + abs(value)):
                raise _Failure(self._counterexample(ev, left, right, scope, diff) +
                               f" — the claimed '{relation}' fails")
            return
        if diff.is_polynomial():
            poly = diff.as_poly()
            if _poly_degree(poly) <= 2:
                bad = _quadratic_min_point(poly)
                if bad is not None:
                    world = ev.world
                    text = self._counterexample_at(ev, left, right, scope, bad) + \
                        f" — the claimed '{relation}' fails"
                    raise _Failure(text)
                return
        for shift in (0, 1, 2):
            point = {v: float(ev.world.point(v)) + shift for v in diff.variables()}
            value = diff.evaluate(point)
            if value < -1e-9 * (1 + abs(value)):
                raise _Failure(self._counterexample_at(ev, left, right, scope, point) +
                               f" — the claimed '{relation}' fails")
        raise NotClosed("the difference is not a quadratic in the free variables; the inequality "
                        "held at the sampled points only")

    def _counterexample_at(self, ev, left, right, scope, point: dict) -> str:
        mp = mp_numbers()
        world = ev.world
        exact = ChainEvaluator(self.spec, self.bindings, World(world.T, world.seed, world.theta,
                                                                world.perturbed), mp)
        shown = {k: _nice(v) for k, v in point.items()}
        try:
            lval = exact.value(left, scope).evaluate({k: mp.num(v) for k, v in shown.items()})
            rval = exact.value(right, scope).evaluate({k: mp.num(v) for k, v in shown.items()})
            values = f"left = {_digits(lval)}, right = {_digits(rval)}"
        except (NotClosed, Divergent, NotApplicable, IndexError, UnknownConstant):
            values = "the two sides differ"
        return f"{self._where(exact.world, scope, shown)}: {values}"

    def _proportional(self, ev, left, right, ctx: RowContext, scope) -> None:
        subject = ctx.subject
        if not isinstance(subject, n.Density):
            raise NotClosed("'∝' without a density to be proportional in")
        keys = [k for v in subject.variables for k in variable_keys(v, {'T': ev.world.T, **scope.env}, self.spec)]
        if _has_constant(left) or _has_constant(right):
            # C(x_t, x_0) is a factor free of the density's variable: proportionality ignores it
            args = _constant_args(left) or _constant_args(right)
            if any(k in keys for a in args if isinstance(a, n.Var) and a.name in self.spec.names
                   for k in variable_keys(a, {'T': ev.world.T, **scope.env}, self.spec)):
                raise Divergent("the placeholder constant depends on the density's variable at this step")
            scope = Scope(dict(scope.env), scope.score, True)
        lv, rv = ev.value(left, scope), ev.value(right, scope)
        ratio = lv.log() - rv.log()
        poly = ratio.as_poly()
        bad = [m for m, c in poly.items() if any(v in keys for v, _ in m) and abs(c) > 1e-9]
        if bad:
            raise _Failure(self._counterexample(ev, left, right, scope, lv - rv) +
                           f" — their ratio depends on {', '.join(_show_var(k) for k in keys)}")

    def _up_to_constant(self, ev, left, right, scope) -> None:
        """left = right with a placeholder C(args) on one side: holds when some function of C's
        arguments closes the gap, additively or inside an exponential."""
        with_c = right if _has_constant(right) else left
        args = _constant_args(with_c)
        allowed = set()
        for a in args:
            allowed |= set(variable_keys(a, {'T': ev.world.T, **scope.env}, self.spec)) if isinstance(a, n.Var) and \
                a.name in self.spec.names else set()
        zero = Scope(dict(scope.env), scope.score, True)
        lv, rv = ev.value(left, zero), ev.value(right, zero)
        diff = lv - rv
        if not (diff.variables() - allowed) or diff.is_zero():
            return
        if len(lv.terms) == 1 and len(rv.terms) == 1:
            ratio = lv.log() - rv.log()
            if ratio.is_polynomial() and not {v for m, c in ratio.as_poly().items() if abs(c) > 1e-9
                                               for v, _ in m} - allowed:
                return
        raise _Failure(self._counterexample(ev, left, right, zero, diff) +
                       " — no function of " + ", ".join(render(a) for a in args) + " closes the gap")

    def _law(self, value: QExp):
        """(mean polynomial, variance) of an expression affine in independent standard noises."""
        poly = value.as_poly()
        mean, var = {}, 0
        for m, c in poly.items():
            noise = [(v, e) for v, e in m if v.startswith("noise:")]
            if not noise:
                mean[m] = c
            elif len(m) == 1 and noise[0][1] == 1:
                var += c * c
            else:
                raise NotClosed("an expression that is not affine in its noises")
        return QExp.poly(mean, value.nums), var

    def _equal_in_law(self, ev, left, right, lv, rv, ctx: RowContext, scope) -> None:
        subject = ctx.subject
        if isinstance(subject, n.Var) and subject.name in self.spec.names:
            targets = [(right, rv)] if _noise_vars(rv) else [(left, lv)]
            for node, value in targets:
                self._law_of_subject(ev, subject, node, value, scope)
            return
        self.modes.add("law")
        lm, lvv = self._law(lv)
        rm, rvv = self._law(rv)
        if not (lm - rm).is_zero() or abs(lvv - rvv) > 1e-9 * (1 + abs(lvv)):
            raise _Failure(f"with T={ev.world.T}, {_env_text(scope.env)}: the two sides have "
                           f"different laws: N({_poly_text(lm)}, {_num(lvv)}) vs N({_poly_text(rm)}, {_num(rvv)})")

    def _law_of_subject(self, ev, subject: n.Var, node, value: QExp, scope) -> None:
        """subject = recipe: the recipe's law given its chain variables must be the model's law
        of the subject given those variables."""
        self.modes.add("law")
        mean, var = self._law(value)
        given = sorted(v for v in mean.variables())
        keys = variable_keys(subject, {'T': ev.world.T, **scope.env}, self.spec)
        letter = ev._forward_letter()
        density = ev.density(letter, keys, given)
        model_mean, model_var = gaussian_moments(density, keys[0])
        if not (mean - model_mean).is_zero() or abs(var - model_var) > 1e-9 * (1 + abs(var)):
            given_text = ", ".join(_show_var(g) for g in given) or "nothing"
            raise _Failure(f"with T={ev.world.T}, {_env_text(scope.env)}: given {given_text}, "
                           f"{render(node)} has law N({_poly_text(mean)}, {_num(var)}) but the "
                           f"chain gives {_show_var(keys[0])} the law N({_poly_text(model_mean)}, "
                           f"{_num(model_var)})")

    def _law_relation(self, ev, left, right, ctx, scope) -> None:
        if not isinstance(right, n.Normal):
            raise NotClosed("'~' with a right side that is not a Gaussian")
        value = ev.value(left, scope)
        mean = ev.value(right.mean, scope)
        var = ev.value(right.cov, scope).number()
        if _noise_vars(value):
            lm, lvar = self._law(value)
        elif isinstance(left, n.Var) and left.name in self.spec.names:
            keys = variable_keys(left, {'T': ev.world.T, **scope.env}, self.spec)
            given = sorted(mean.variables())
            lm, lvar = gaussian_moments(ev.density(ev._forward_letter(), keys, given), keys[0])
        elif value.is_polynomial():
            lm, lvar = value, 0  # the noise's coefficient vanishes here (t = 0): a point mass
        else:
            raise NotClosed("'~' after an expression that is not random")
        if not (lm - mean).is_zero() or abs(lvar - var) > 1e-9 * (1 + abs(var)):
            raise _Failure(f"with T={ev.world.T}, {_env_text(scope.env)}: the left side has law "
                           f"N({_poly_text(lm)}, {_num(lvar)}) but the row states "
                           f"N({_poly_text(mean)}, {_num(var)})")

    # -- argmin ----------------------------------------------------------------------------------
    def _objectives(self, left, right, world, env, over):
        groups = frozenset(over) & {"theta", "phi", "eta", "psi"} or frozenset({"theta"})
        values = []
        for j in range(THETA_INSTANCES):
            w = world.with_theta(j, groups)
            ev = self.evaluator(w)
            scope = Scope(dict(env))
            values.append((ev.value(left, scope), ev.value(right, scope)))
        return values

    def _argmin(self, left: n.Argmax, right: n.Argmax, world, env, notes) -> None:
        values = self._objectives(left.body, right.body, world, env, left.over)
        free = set()
        for f, g in values:
            free |= f.variables() | g.variables()
        points = [{v: float(world.point(v)) + shift for v in free} for shift in (0, 1)]
        for point in points:
            fs = [f.evaluate(point) for f, _ in values]
            gs = [g.evaluate(point) for _, g in values]
            sign = -1 if left.op in {"argmax", "max"} else 1
            relation = _affine_relation(fs, gs)
            if relation is None:
                from elbo_suite.identities.claims.argmin import compare
                groups = frozenset(left.over) & {"theta", "phi", "eta", "psi"} or frozenset({"theta"})
                same, text = compare(self, left.body, right.body, world, env, groups)
                if same:
                    return
                raise _Failure(text)
            c, _ = relation
            if c is not None and c <= 0:
                raise _Failure(f"with T={world.T}, {_env_text(env)}: the right objective is "
                               f"{_num(c)} × the left one plus a constant: a negative multiple "
                               f"{'maximises' if sign > 0 else 'minimises'} where the other "
                               f"{'minimises' if sign > 0 else 'maximises'}")

    # -- weaker claims ---------------------------------------------------------------------------
    def _weaker_argmin(self, left: n.Argmax, right: n.Argmax, world, env) -> str:
        from elbo_suite.identities.claims.argmin import same_in_expectation
        groups = frozenset(left.over) & {"theta", "phi", "eta", "psi"} or frozenset({"theta"})
        try:
            return same_in_expectation(self, left.body, right.body, world, env, groups, THETA_INSTANCES)
        except (NotClosed, NotApplicable, Divergent, IndexError, UnknownConstant):
            return ""

    def _weaker(self, left, relation, right, ctx, world, env) -> str:
        if relation != "=":
            return ""
        try:
            from elbo_suite.identities.claims.expectation import holds_in_expectation
            found = holds_in_expectation(self, left, right, world, env)
            if found:
                return found
            from elbo_suite.identities.claims.constant import holds_up_to_constant
            return holds_up_to_constant(self, left, right, world, env)
        except (NotClosed, NotApplicable, Divergent, IndexError, UnknownConstant):
            return ""


def _affine_relation(fs: list, gs: list):
    """(c, d) with g = c f + d for every pair, or None; c is None when neither depends on theta."""
    spread_f = max(fs) - min(fs)
    spread_g = max(gs) - min(gs)
    scale = 1 + max(abs(x) for x in fs + gs)
    if spread_f <= 1e-9 * scale:
        return (None, None) if spread_g <= 1e-9 * scale else None
    j = max(range(len(fs)), key=lambda k: abs(fs[k] - fs[0]))
    c = (gs[j] - gs[0]) / (fs[j] - fs[0])
    d = gs[0] - c * fs[0]
    if all(abs(g - (c * f + d)) <= 1e-8 * scale for f, g in zip(fs, gs)):
        return c, d
    return None


def _has_constant(node: n.Node) -> bool:
    return any((isinstance(x, n.FuncApp) and x.name == "C" and x.index is None)
               or type(x).__name__ == "Constant" for x in walk(node))


def _constant_args(node: n.Node) -> tuple:
    for x in walk(node):
        if isinstance(x, n.FuncApp) and x.name == "C" and x.index is None:
            return x.args
    return ()


def _noise_vars(value: QExp) -> set[str]:
    return {v for v in value.variables() if v.startswith("noise:")}


def _poly_degree(poly) -> int:
    return max((sum(e for _, e in m) for m in poly), default=0)


def _quadratic_min_point(poly) -> dict | None:
    """A point where a quadratic polynomial is negative, or None when it is >= 0 everywhere."""
    import numpy as np

    variables = sorted({v for m in poly for v, _ in m})
    k = len(variables)
    idx = {v: i for i, v in enumerate(variables)}
    a = np.zeros((k, k))
    b = np.zeros(k)
    c = float(poly.get((), 0))
    for m, coef in poly.items():
        coef = float(coef)
        if len(m) == 1 and m[0][1] == 1:
            b[idx[m[0][0]]] += coef
        elif len(m) == 1 and m[0][1] == 2:
            a[idx[m[0][0]], idx[m[0][0]]] += coef
        elif len(m) == 2:
            i, j = idx[m[0][0]], idx[m[1][0]]
            a[i, j] += coef / 2
            a[j, i] += coef / 2
    scale = 1 + abs(c) + float(np.abs(a).max(initial=0)) + float(np.abs(b).max(initial=0))
    if k == 0:
        return None if c >= -1e-9 * scale else {}
    w, v = np.linalg.eigh(a)
    if w.min() < -1e-9 * scale:
        direction = v[:, int(np.argmin(w))]
        # far enough along the direction of negative curvature for the value to be negative
        for r in (1.0, 10.0, 100.0, 1000.0):
            x = direction * r
            if x @ a @ x + b @ x + c < 0:
                return {variables[i]: float(x[i]) for i in range(k)}
        return {variables[i]: float(direction[i] * 1000.0) for i in range(k)}
    x, *_ = np.linalg.lstsq(2 * a, -b, rcond=None)
    value = x @ a @ x + b @ x + c
    if np.abs(2 * a @ x + b).max() > 1e-7 * scale:
        # linear in a direction the quadratic part does not see: unbounded below
        null = -(2 * a @ x + b)
        for r in (1.0, 10.0, 100.0, 1000.0):
            y = x + null * r
            if y @ a @ y + b @ y + c < 0:
                return {variables[i]: float(y[i]) for i in range(k)}
    if value < -1e-9 * scale:
        return {variables[i]: float(x[i]) for i in range(k)}
    return None


def _nice(value: float):
    from fractions import Fraction
    return Fraction(value).limit_denominator(1000)


def _digits(value) -> str:
    import mpmath
    return mpmath.nstr(value, 8, min_fixed=-4, max_fixed=8)


def _num(x) -> str:
    return f"{float(x):.6g}"


def _show_var(key: str) -> str:
    if key.startswith("noise:"):
        return key[len("noise:"):]
    name = key.rstrip("0123456789")
    digits = key[len(name):]
    return f"{name}_{digits}" if digits else name


def _env_text(env: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "no step index"


def _poly_text(value: QExp) -> str:
    poly = value.as_poly()
    parts = []
    for m, c in sorted(poly.items(), key=lambda kv: (len(kv[0]), kv[0])):
        if abs(float(c)) < 1e-12:
            continue
        mono = "·".join(_show_var(v) + (f"^{e}" if e > 1 else "") for v, e in m)
        parts.append(f"{float(c):.6g}" + (f"·{mono}" if mono else ""))
    return " + ".join(parts) or "0"
