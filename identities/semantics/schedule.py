"""Schedule algebra: steps that only rearrange the noise schedule and the quantities built on it,
proved symbolically for a generic step t.

    alpha_{t+k} = 1/(1 + A_k) with A_k > 0, so alpha is in (0, 1) by construction;
    bar alpha_t = prod_{i<=t} alpha_i (the document's definition, or the field's convention), so
    bar alpha_{t+k} = bar alpha_{t+m} * alpha_{t+m+1} ... alpha_{t+k} from the lowest index m used,
    with bar alpha_{t+m} = 1/(1 + B) in (0, 1); beta_t = 1 - alpha_t;
    the document's own definitions (sigma_q^2(t), SNR(t), mu_q(x_t, x_0), ...) are substituted;
    a learned value (xhat_theta(x_t, t), eps_theta(...), s_theta(...)) is a free real symbol, since
    an identity must hold whatever the network outputs;
    a noise named by an earlier sampling rule (eps_0 in x_t = sqrt(abar_t) x_0 + ...) is that rule
    solved for it.

With ranges built into the symbols, `simplify(left - right) == 0` decides; a difference that does
not vanish is confirmed by exact rational points. A row that needs the probabilistic model
(densities, expectations, scores, noises no rule defines) is left to the chain family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.bindings import (Bindings, head_of, is_learned, is_noise,
                                                      learned_group, substitute_params, walk)
from elbo_suite.identities.semantics.chain.indices import is_index_expression
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import render
from elbo_suite.identities.semantics.numeric import DIGITS, evaluate as numeric_value

NAME = "schedule algebra"
_MODEL_NODES = {"Density", "Normal", "Expectation", "KL", "Integral"}


def needs_model(node: n.Node, bindings: Bindings) -> str | None:
    """Why an expression needs the probabilistic model, or None when it is plain algebra."""
    for x in walk(node):
        kind = type(x).__name__
        if kind in _MODEL_NODES:
            return f"{kind.lower()} {render(x)}"
        if kind == "Operator" and x.name == "grad":
            return "a score (gradient of a log-density)"
        if isinstance(x, n.Var) and is_noise(x, bindings.noise_names) and bindings.noise(x) is None:
            return f"the noise {render(x)}, which no earlier sampling rule names"
        if isinstance(x, n.Var) and x.name == "mu" and isinstance(x.index, n.Var) and \
                x.index.index is not None:
            return f"{render(x)}, the mean of a random variable"
        if isinstance(x, n.BigOp) and x.op == "sum" and any(
                isinstance(y, n.Var) and y.sample is not None for y in walk(x.body)):
            return "a sum over Monte Carlo draws"
    return None


@dataclass
class _Symbols:
    """Offsets of the schedule used by one row, resolved into positive symbols at the end."""

    alpha: dict = field(default_factory=dict)  # offset -> Symbol standing for alpha_{t+offset}
    alpha_bar: dict = field(default_factory=dict)
    concrete: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)  # Symbol -> parameter group (theta, phi, ...)


def _offset(node: n.Node, symbol: str | None) -> tuple[str, int] | None:
    """(base, offset) of an index expression: t-1 -> ('t', -1); 3 -> ('', 3)."""
    if isinstance(node, n.Num):
        return ("", int(node.value))
    if isinstance(node, n.Var) and node.index is None:
        return (node.name, 0)
    if isinstance(node, n.Add):
        base, total = "", 0
        for term in node.terms:
            neg = isinstance(term, n.Neg)
            inner = term.arg if neg else term
            got = _offset(inner, symbol)
            if got is None:
                return None
            b, k = got
            if b:
                if base or neg:
                    return None
                base = b
            total += -k if neg else k
        return (base, total)
    return None


class ScheduleFamily:
    name = NAME
    description = ("schedule algebra: alpha_t = 1/(1+A_t) in (0,1), bar alpha_t = prod_{i<=t} "
                   "alpha_i, learned outputs as free symbols")

    def __init__(self, bindings: Bindings, spec=None):
        self.bindings = bindings
        self.spec = spec  # the chain's variables, to tell step symbols from labels
        self.notes: set[str] = set()
        self.steps: tuple = ()  # the step symbols of the row being judged (t, i)

    # -- values ----------------------------------------------------------------------------------
    def value(self, node: n.Node, syms: _Symbols, depth: int = 0) -> sp.Expr:
        if depth > 100:
            raise NotClosed("definitions refer to each other without end")
        kind = type(node).__name__
        method = getattr(self, "_s_" + kind, None)
        if method is None:
            raise NotApplicable(f"{kind} is not schedule algebra")
        return method(node, syms, depth + 1)

    def _s_Num(self, node, syms, depth):
        return sp.Rational(node.value)

    def _s_Var(self, node: n.Var, syms: _Symbols, depth):
        marks = tuple(getattr(node, "marks", ()))
        if node.sample is not None:
            raise NotApplicable("a Monte Carlo draw")
        if is_noise(node, self.bindings.noise_names):
            bound = self.bindings.noise(node, self.steps)
            if bound is None:
                raise NotApplicable(f"the noise {render(node)} is random")
            self.notes.add(f"{render(node)} is the noise of the sampling rule in "
                           f"{self.bindings.noises[self.bindings.noise_key(node)].label}")
            return self.value(bound, syms, depth)
        expanded = self.bindings.expand(node)
        if expanded is not None:
            return self.value(expanded, syms, depth)
        if node.index is not None and is_index_expression(node.index) and node.name in {"alpha", "beta"} \
                and marks in ((), ("bar",)):
            off = _offset(node.index, None)
            if off is None:
                raise NotClosed(f"index {render(node.index)}")
            base, k = off
            if node.name == "beta":
                return 1 - self._alpha(base, k, (), syms)
            return self._alpha(base, k, marks, syms)
        signature = self.bindings.signature(node) if (
            is_learned(node) or head_of(node) in self.bindings.definitions) else None
        if signature is not None:
            app = n.FuncApp(node.name, node.index, signature, *((marks,) if marks else ()))
            self.notes.add(f"{render(node)} read as {render(app)}")
            return self.value(app, syms, depth)
        if node.index is None and not marks:
            if node.name == "pi":
                return sp.pi
            if node.name == "I":
                return sp.Integer(1)
            if node.name == "d":
                self.notes.add("d read as 1: one coordinate of isotropic Gaussians")
                return sp.Integer(1)
        symbol = _symbol(_key(node), _positive(node))
        if is_learned(node):
            syms.learned[symbol] = learned_group(node)
        return symbol

    def _alpha(self, base: str, k: int, marks: tuple, syms: _Symbols) -> sp.Expr:
        if not base:
            if marks == ("bar",):
                out = sp.Integer(1)
                for i in range(1, k + 1):
                    out *= self._alpha("", i, (), syms)
                return out
            if k < 1:
                raise Divergent(f"α_{k} is outside the schedule")
            return syms.concrete.setdefault(k, _symbol(f"α_{k}", True))
        table = syms.alpha_bar if marks == ("bar",) else syms.alpha
        return table.setdefault((base, k), _symbol(f"{'ᾱ' if marks else 'α'}_{_brace(_offset_text(base, k))}", True))

    def _s_FuncApp(self, node: n.FuncApp, syms, depth):
        marks = tuple(getattr(node, "marks", ()))
        if _is_schedule_head(node) and len(node.args) == 1:
            # alpha_{t-1}(1 - alpha_t): a schedule value is a number, so this is a product
            head = n.Var(node.name, node.index, *((marks,) if marks else ()))
            return self.value(head, syms, depth) * self.value(node.args[0], syms, depth)
        if node.index is None and not marks and len(node.args) == 1:
            if node.name in {"exp", "log", "sigmoid", "sqrt"}:
                u = self.value(node.args[0], syms, depth)
                return {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
                        "sigmoid": lambda v: 1 / (1 + sp.exp(-v))}[node.name](u)
        expanded = self.bindings.expand(node)
        if expanded is not None:
            return self.value(expanded, syms, depth)
        constraint = self.bindings.constraints.get(head_of(node))
        if constraint is not None:
            return self._solve(node, constraint, syms, depth)
        if node.name == "SNR" and node.index is None and len(node.args) == 1:
            self.notes.add("SNR(t) read as ᾱ_t/(1 − ᾱ_t), the field's convention")
            t = node.args[0]
            abar = self.value(n.Var("alpha", t, *((("bar",),) if _has_marks() else ())), syms, depth) \
                if _has_marks() else None
            if abar is None:
                raise NotClosed("SNR without the bar accent in the notation")
            return abar / (1 - abar)
        if node.name == "C" and node.index is None:
            raise NotApplicable("a placeholder constant C(...)")
        args = []
        for a in node.args:
            args.append(_canonical_index_text(a) if isinstance(a, n.Var) else render(a))
        key = f"{_key(node)}({', '.join(args)})"
        symbol = _symbol(key, False)
        if is_learned(node):
            self.notes.add(f"{render(node)} is a learned output: a free value")
            syms.learned[symbol] = learned_group(node)
        return symbol

    def _solve(self, node: n.FuncApp, constraint, syms, depth) -> sp.Expr:
        """The value the constraint row forces on a new learned function at this use."""
        unknown = _symbol(f"{_key(node)}(·)", False)
        pattern = constraint.pattern
        left = substitute_params(constraint.left, pattern.args, node.args) if pattern.args else constraint.left
        right = substitute_params(constraint.right, pattern.args, node.args) if pattern.args else constraint.right
        saved = self.bindings.constraints.pop(constraint.unknown)
        try:
            lv = self._with_unknown(left, node, unknown, syms, depth)
            rv = self._with_unknown(right, node, unknown, syms, depth)
        finally:
            self.bindings.constraints[constraint.unknown] = saved
        solutions = [s for s in sp.solve(sp.Eq(lv, rv), unknown) if s.is_real is not False]
        if len(solutions) != 1:
            raise NotClosed(f"{render(node)} is not fixed uniquely by {constraint.label}")
        self.notes.add(f"{render(node)} is fixed by {constraint.label}")
        return solutions[0]

    def _with_unknown(self, expr, use, unknown, syms, depth):
        head = head_of(use)
        original = self._s_FuncApp

        def patched(node, s, d):
            if isinstance(node, n.FuncApp) and head_of(node) == head:
                return unknown
            return original(node, s, d)

        self._s_FuncApp = patched
        try:
            return self.value(expr, syms, depth)
        finally:
            del self._s_FuncApp

    def _s_Add(self, node, syms, depth):
        return sp.Add(*[self.value(t, syms, depth) for t in node.terms])

    def _s_Neg(self, node, syms, depth):
        return -self.value(node.arg, syms, depth)

    def _s_Mul(self, node, syms, depth):
        return sp.Mul(*[self.value(f, syms, depth) for f in node.factors])

    def _s_Div(self, node, syms, depth):
        den = self.value(node.den, syms, depth)
        if den == 0:
            raise Divergent("division by zero")
        return self.value(node.num, syms, depth) / den

    def _s_Pow(self, node, syms, depth):
        if isinstance(node.base, n.FuncApp) and _is_schedule_head(node.base) and len(node.base.args) == 1:
            # alpha_{t-1}(1 - alpha_t)^2 read as alpha_{t-1} * (1 - alpha_t)^2
            marks = tuple(getattr(node.base, "marks", ()))
            head = n.Var(node.base.name, node.base.index, *((marks,) if marks else ()))
            return self.value(head, syms, depth) * self.value(n.Pow(node.base.args[0], node.exp), syms, depth)
        if type(node.base).__name__ == "Operator" and node.base.name == "norm" and \
                isinstance(node.exp, n.Num) and node.exp.value == "2":
            v = self.value(node.base.args[0], syms, depth)
            return v ** 2
        return self.value(node.base, syms, depth) ** self.value(node.exp, syms, depth)

    def _s_Sqrt(self, node, syms, depth):
        return sp.sqrt(self.value(node.arg, syms, depth))

    def _s_Log(self, node, syms, depth):
        return sp.log(self.value(node.arg, syms, depth))

    def _s_Exp(self, node, syms, depth):
        return sp.exp(self.value(node.arg, syms, depth))

    def _s_Annotated(self, node, syms, depth):
        return self.value(node.body, syms, depth)

    def _s_Operator(self, node, syms, depth):
        if node.name in {"transpose", "tr", "det", "diag"}:
            return self.value(node.args[0], syms, depth)
        if node.name in {"abs", "norm"}:
            return sp.Abs(self.value(node.args[0], syms, depth))
        raise NotApplicable(f"operator {node.name}")

    # -- resolving the schedule ------------------------------------------------------------------
    def resolve(self, expr: sp.Expr, syms: _Symbols) -> sp.Expr:
        """Replace the offsets of alpha and bar alpha by positive free symbols, bar alpha by
        running products from the lowest offset used (for each step symbol: t, i, ...)."""
        subs = {}
        bases = {b for b, _ in syms.alpha} | {b for b, _ in syms.alpha_bar}
        for base in sorted(bases):
            alphas = {k: s for (b, k), s in syms.alpha.items() if b == base}
            bars = {k: s for (b, k), s in syms.alpha_bar.items() if b == base}
            offsets = sorted(set(alphas) | set(bars))
            a_vals = {k: 1 / (1 + _symbol(f"A_{_brace(_offset_text(base, k))}", True)) for k in
                      range(min(offsets), max(offsets) + 1)}
            for k, sym in alphas.items():
                subs[sym] = a_vals[k]
            if bars:
                lowest = min(bars)
                start = 1 / (1 + _symbol(f"B_{_brace(_offset_text(base, lowest))}", True))
                for k, sym in bars.items():
                    value = start
                    for j in range(lowest + 1, k + 1):
                        value = value * a_vals[j]
                    subs[sym] = value
        for key, sym in syms.concrete.items():
            if isinstance(key, int):
                subs[sym] = 1 / (1 + _symbol(f"A_{key}", True))
        return expr.xreplace(subs) if subs else expr

    # -- judging ---------------------------------------------------------------------------------
    def sides(self, left: n.Node, right: n.Node):
        from elbo_suite.identities.semantics.chain.family import free_index_symbols
        names = frozenset(self.spec.names) if self.spec is not None else frozenset({"x", "z"})
        self.steps = tuple(free_index_symbols(left, right, names=names))
        syms = _Symbols()
        lv = self.value(left, syms)
        rv = self.value(right, syms)
        return self.resolve(lv, syms), self.resolve(rv, syms), syms

    def judge(self, left: n.Node, relation: str, right: n.Node):
        from elbo_suite.identities.semantics.chain.family import ChainResult

        self.notes = set()
        argmin = isinstance(left, n.Argmax) and isinstance(right, n.Argmax)
        if relation != "=":
            return ChainResult("n/a", f"relation '{relation}' is not schedule algebra")
        try:
            if argmin:
                return self._argmin(left, right)
            lv, rv, _ = self.sides(left, right)
        except NotApplicable as exc:
            return ChainResult("n/a", str(exc))
        except (NotClosed, Divergent, ZeroDivisionError) as exc:
            return ChainResult("undecided", f"no closed form in the schedule algebra: {exc}",
                               sorted(self.notes))
        notes = sorted(self.notes)
        found = counterexample(lv, rv, tries=2)
        if found is not None:
            text = _describe(found)
            return ChainResult("refuted", f"{NAME} {text}", [text] + notes)
        if lv.has(sp.exp) or rv.has(sp.exp):
            # exp{...} = exp{...}: compare the exponents (both sides positive products)
            ll, lr = _log_form(lv), _log_form(rv)
            diff = canonical_difference(ll, lr) if ll is not None and lr is not None else \
                canonical_difference(lv, rv)
        else:
            diff = canonical_difference(lv, rv)
        if diff == 0:
            note = "left − right ≡ 0 for every step t and every schedule in (0, 1)"
            return ChainResult("proved", note, [note] + notes)
        found = counterexample(lv, rv)
        if found is None:
            return ChainResult("undecided", "the difference did not reduce to 0, and no rational "
                               "point separated the two sides", [f"left − right = {sp.sstr(diff)}"] + notes)
        text = _describe(found)
        return ChainResult("refuted", f"{NAME} {text}", [text, f"left − right = {sp.sstr(diff)}"] + notes)

    def _argmin(self, left: n.Argmax, right: n.Argmax):
        from elbo_suite.identities.semantics.chain.family import ChainResult

        if left.op != right.op or set(left.over) != set(right.over):
            return ChainResult("refuted", f"the two sides optimise differently: {left.op} over "
                               f"{', '.join(left.over)} vs {right.op} over {', '.join(right.over)}")
        f, g, syms = self.sides(left.body, right.body)
        groups = set(left.over) or {"theta"}
        params = sorted((s for s, grp in syms.learned.items() if grp in groups), key=lambda s: s.name)
        notes = sorted(self.notes)
        if not params:
            return ChainResult("undecided", "no learned quantity of " + ", ".join(sorted(groups)) +
                               " in the objectives", notes)
        relation = _positive_affine(f, g, params)
        if relation is not None:
            c, const = relation
            if c == 1 and const == 0:
                note = "the two objectives are identical"
            else:
                note = (f"the right objective is {sp.sstr(c)} × the left one" +
                        (f" plus {sp.sstr(const)}" if const != 0 else "") +
                        ", a positive multiple plus a term free of the parameters: same minimisers")
            return ChainResult("proved", note, [note, "parameters: " + ", ".join(p.name for p in params)]
                               + notes)
        minimisers = _minimisers(f, params), _minimisers(g, params)
        if None not in minimisers and minimisers[0] != minimisers[1]:
            text = (f"{NAME}: the left objective is minimised at {_show_solution(minimisers[0])} but "
                    f"the right one at {_show_solution(minimisers[1])}")
            return ChainResult("refuted", text, [text] + notes)
        return ChainResult("undecided", "the objectives are not a positive multiple of each other plus "
                           "a constant, and their minimisers could not be compared", notes)


def canonical_difference(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a - b in a normal form where radicals of rational functions of positive symbols are
    factored, so that a zero difference reduces to 0."""
    return _canon(sp.sympify(a - b))


@lru_cache(maxsize=2048)
def _canon(expr: sp.Expr) -> sp.Expr:
    def fix(e):
        base = sp.factor(sp.cancel(sp.together(e.base)))
        return sp.Pow(base, e.exp)
    expr = expr.replace(lambda e: isinstance(e, sp.Pow) and e.exp.is_Rational and not e.exp.is_Integer,
                        fix)
    expr = sp.powsimp(sp.expand_power_base(expr, force=False), force=False)
    out = sp.cancel(sp.together(expr))
    if out != 0 and out.atoms(sp.log, sp.exp) and sp.count_ops(out) < 120:
        out = sp.simplify(out)  # small enough for the general simplifier
    return out


def _log_form(e: sp.Expr) -> sp.Expr | None:
    """log(e) for a product of positive factors, exp(a) contributing a; None when e may be <= 0."""
    out = sp.Integer(0)
    for f in sp.Mul.make_args(e):
        if isinstance(f, sp.exp):
            out += f.args[0]
        elif isinstance(f, sp.Pow) and isinstance(f.base, sp.exp):
            out += f.exp * f.base.args[0]
        elif f.is_positive:
            out += sp.log(f)
        else:
            return None
    return out


def counterexample(a: sp.Expr, b: sp.Expr, tries: int = 6) -> tuple[dict, sp.Float, sp.Float] | None:
    """Exact rational point (positive symbols positive) where a and b differ at 30 digits."""
    free = sorted(sp.sympify(a).free_symbols | sp.sympify(b).free_symbols, key=lambda s: s.name)
    pools_pos = [Fraction(1, 2), Fraction(2), Fraction(3, 2), Fraction(1, 3), Fraction(5, 4),
                 Fraction(3), Fraction(2, 3)]
    pools_real = [Fraction(1, 3), Fraction(-1, 2), Fraction(2, 3), Fraction(1), Fraction(-3, 4),
                  Fraction(3, 2), Fraction(1, 5)]
    for k in range(tries):
        point = {}
        for j, s in enumerate(free):
            pool = pools_pos if s.is_positive else pools_real
            point[s] = sp.Rational(*_pair(pool[(j + 2 * k) % len(pool)]))
        av, _ = numeric_value(a, point)
        bv, _ = numeric_value(b, point)
        if av is None or bv is None:
            continue
        if abs(av - bv) > sp.Float("1e-15", DIGITS) * (1 + abs(av) + abs(bv)):
            return point, av, bv
    return None


def _pair(f: Fraction) -> tuple[int, int]:
    return f.numerator, f.denominator


@lru_cache(maxsize=None)
def _symbol(name: str, positive: bool) -> sp.Symbol:
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)


def _key(node) -> str:
    marks = "".join(getattr(node, "marks", ()))
    idx = ""
    if node.index is not None:
        idx = "_" + (_canonical_index_text(node.index) if is_index_expression(node.index) else render(node.index))
    return f"{marks}{node.name}{idx}"


def _canonical_index_text(node: n.Node) -> str:
    if isinstance(node, n.Var) and node.index is not None and is_index_expression(node.index):
        off = _offset(node.index, None)
        if off is not None:
            base, k = off
            return f"{node.name}_{_brace(_offset_text(base, k))}" if base else f"{node.name}_{k}"
    if is_index_expression(node):
        off = _offset(node, None)
        if off is not None:
            base, k = off
            return _offset_text(base, k) if base else str(k)
    return render(node)


def _offset_text(base: str, k: int) -> str:
    return base if k == 0 else f"{base}{k:+d}"


def _brace(text: str) -> str:
    return text if len(text) == 1 else "{" + text + "}"


def _is_schedule_head(node: n.FuncApp) -> bool:
    """alpha_t(...), beta_{t-1}(...), pi(...): a number times a bracket, never a function."""
    return (node.name in {"alpha", "beta"} and node.index is not None and is_index_expression(node.index)) \
        or (node.name == "pi" and node.index is None and not getattr(node, "marks", ()))


def _positive(node: n.Var) -> bool:
    return node.name in {"sigma", "tau", "lambda", "beta", "alpha", "gamma", "Sigma"}


def _has_marks() -> bool:
    return "marks" in n.Var.__dataclass_fields__


def _describe(found) -> str:
    point, av, bv = found
    shown = []
    for s in sorted(point, key=lambda x: x.name):
        value = point[s]
        if s.name.startswith("A_"):
            shown.append(f"α_{s.name[2:]}={sp.sstr(1 / (1 + value))}")
        elif s.name.startswith("B_"):
            shown.append(f"ᾱ_{s.name[2:]}={sp.sstr(1 / (1 + value))}")
        else:
            shown.append(f"{s.name}={sp.sstr(value)}")
    return f"at {', '.join(shown)}: left = {sp.N(av, 8)}, right = {sp.N(bv, 8)}"


def _positive_affine(f: sp.Expr, g: sp.Expr, params: list) -> tuple | None:
    """(c, d) with g = c f + d, c > 0 and c, d free of the parameters; None otherwise."""
    for p in params:
        df = sp.diff(f, p)
        if _canon(sp.sympify(df)) == 0:
            continue
        c = _canon(sp.sympify(sp.diff(g, p) / df))
        if c.free_symbols & set(params):
            return None
        rest = _canon(sp.sympify(g - c * f))
        if rest.free_symbols & set(params):
            return None
        if c.is_positive is False or c == 0:
            return None
        if c.is_positive is None:
            found = counterexample(c, sp.Integer(0))
            if found is None or found[1] <= 0:
                return None
        return c, rest
    if all(_canon(sp.sympify(sp.diff(g, p))) == 0 for p in params):
        return sp.Integer(1), _canon(sp.sympify(g - f))
    return None


def _minimisers(f: sp.Expr, params: list):
    grad = [sp.together(sp.diff(f, p)) for p in params]
    try:
        solutions = sp.solve(grad, params, dict=True)
    except NotImplementedError:
        return None
    if len(solutions) != 1:
        return None
    return tuple(sorted((k.name, sp.simplify(v)) for k, v in solutions[0].items()))


def _show_solution(solution) -> str:
    return ", ".join(f"{name} = {sp.sstr(value)}" for name, value in solution)


def clear_caches() -> None:
    """Forget cached normal forms (for cold timings)."""
    _canon.cache_clear()
