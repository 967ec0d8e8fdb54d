"""An expression's value in one world of the chain: a function (QExp) of the chain variables and
noises the expression leaves free, with every other symbol a number of the world.

Readings this makes, each reported as a note when a row uses it:
- a bare x in a chain x_0..x_T is the data x_0;
- d, the dimension, is 1: the checks follow one coordinate of isotropic Gaussians, I is 1;
- alpha_t is the schedule, bar alpha_t its running product (the document's definition when it
  gives one), beta_t = 1 - alpha_t;
- a learned function (subscript theta/phi/eta, or a hat) is an affine map of its variable
  arguments with free coefficients; a learned symbol written without arguments takes the
  arguments of its first use with arguments in the document;
- inside a score, nabla log p(x_t), p is the law of the data pushed through the forward chain;
- mu_{x_t} (a mean subscripted by a chain variable) is the mean of x_t given x_0 in the forward
  chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.bindings import (Bindings, head_of, is_learned, is_noise,
                                                      learned_group, walk)
from elbo_suite.identities.semantics.chain.algebra import Numbers, QExp, p_const, p_scale, p_var
from elbo_suite.identities.semantics.chain.indices import index_value, is_index_expression
from elbo_suite.identities.semantics.chain.model import (ChainSpec, Letter, concrete_factors,
                                                         letter_variables, matching_law,
                                                         variable_keys)
from elbo_suite.identities.semantics.chain.world import World
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import render

_POSITIVE_NAMES = {"sigma", "tau", "lambda", "beta", "alpha", "gamma", "kappa", "rho"}
_MATH_FUNCTIONS = {"exp", "log", "sigmoid", "softplus", "sqrt"}


class UnknownConstant(Exception):
    """A placeholder constant C(...) met where a value is needed."""


@dataclass
class Scope:
    env: dict = field(default_factory=dict)  # index symbol -> integer
    score: bool = False  # inside nabla log p(...): p is the forward chain's law
    constants_zero: bool = False  # C(...) read as 0 (the relation check handles it)


class ChainEvaluator:
    """Values of expressions in one world; caches the world's joint densities."""

    def __init__(self, spec: ChainSpec, bindings: Bindings, world: World, nums: Numbers,
                 notes: set | None = None):
        self.spec, self.bindings, self.world, self.nums = spec, bindings, world, nums
        self.notes = notes if notes is not None else set()
        self._joints: dict = {}
        self._marginals: dict = {}
        self.depth = 0

    # -- entry ---------------------------------------------------------------------------------
    def value(self, node: n.Node, scope: Scope) -> QExp:
        self.depth += 1
        if self.depth > 200:
            raise NotClosed("definitions refer to each other without end")
        try:
            method = getattr(self, "_v_" + type(node).__name__, None)
            if method is None:
                raise NotClosed(f"{type(node).__name__} is not interpreted on the chain")
            return method(node, scope)
        finally:
            self.depth -= 1

    def const(self, c) -> QExp:
        return QExp.const(c, self.nums)

    def number(self, node: n.Node, scope: Scope):
        return self.value(node, scope).number()

    # -- leaves --------------------------------------------------------------------------------
    def _v_Num(self, node, scope):
        from fractions import Fraction
        return self.const(Fraction(node.value))

    def _v_Var(self, node: n.Var, scope: Scope) -> QExp:
        marks = tuple(getattr(node, "marks", ()))
        if node.sample is not None:
            raise NotClosed(f"the Monte Carlo draw {render(node)} is random")
        if node.index is None and not marks and node.name in scope.env:
            return self.const(scope.env[node.name])
        if node.index is None and not marks and node.name == "T":
            return self.const(self.world.T)
        if node.name in self.spec.names and not marks:
            keys = variable_keys(node, self.env(scope), self.spec)
            if len(keys) != 1:
                raise NotClosed(f"{render(node)} names several variables where one value is needed")
            if node.index is None and node.name in self.spec.indexed_names:
                self.notes.add(f"{node.name} read as {node.name}_0, the data")
            self._check_range(keys)
            return QExp.var(keys[0], self.nums)
        if is_noise(node, self.bindings.noise_names):
            bound = self.bindings.noise(node, tuple(scope.env))
            if bound is not None:
                return self.value(bound, scope)
            return QExp.var(self.noise_key(node, scope), self.nums)
        expanded = self.bindings.expand(node)
        if expanded is not None:
            return self.value(expanded, scope)
        if node.name == "mu" and node.index is not None and isinstance(node.index, n.Var) and \
                node.index.name in self.spec.names and node.index.index is not None:
            return self._mean_of(node.index, scope)
        schedule = self._schedule(node, marks, scope)
        if schedule is not None:
            return schedule
        signature = self.bindings.signature(node) if (
            is_learned(node) or head_of(node) in self.bindings.definitions) else None
        if signature is not None:
            self.notes.add(f"{render(node)} read as {render(n.FuncApp(node.name, node.index, signature))}")
            return self.value(n.FuncApp(node.name, node.index, signature, *self._marks_arg(node)), scope)
        if node.name == "I" and node.index is None:
            return self.const(1)  # the identity (also \mathcal{I}, \mathbb{I}): one coordinate
        if node.index is None and not marks:
            if node.name == "pi":
                return self.const(self.nums.pi)
            if node.name == "I":
                return self.const(1)
            if node.name == "d":
                self.notes.add("d read as 1: one coordinate of isotropic Gaussians")
                return self.const(1)
            if node.name == "infty":
                raise NotClosed("infinity")
        group = learned_group(node) if is_learned(node) else ""
        key = f"{node.name}{''.join(marks)}_{render(node.index)}"
        if node.index is not None and is_index_expression(node.index):
            try:
                key = f"{node.name}{''.join(marks)}_{index_value(node.index, self.env(scope))}"
            except NotApplicable:
                pass  # a label that looks like an index (mu_x): the name as written
        self.notes.add(f"{render(node)} is a free parameter")
        if node.name in _POSITIVE_NAMES or node.name == "Sigma":
            return self.const(self.world.positive(key, group))
        return self.const(self.world.real(key, group))

    def env(self, scope: Scope) -> dict:
        return {"T": self.world.T, **scope.env}

    @staticmethod
    def _marks_arg(node):
        marks = getattr(node, "marks", ())
        return (marks,) if marks else ()

    def noise_key(self, node: n.Var, scope: Scope) -> str:
        idx = ""
        if node.index is not None:
            idx = str(index_value(node.index, self.env(scope))) if is_index_expression(node.index) else render(node.index)
        return f"noise:{node.name}{''.join(getattr(node, 'marks', ()))}{idx}"

    def _check_range(self, keys):
        for k in keys:
            digits = k.lstrip("abcdefghijklmnopqrstuvwxyz")
            if digits and not 0 <= int(digits) <= self.world.T:
                raise IndexError(f"{k} is outside the chain's 0..{self.world.T}")

    def _schedule(self, node: n.Var, marks: tuple, scope: Scope) -> QExp | None:
        if node.index is None or not is_index_expression(node.index):
            return None
        if node.name == "alpha" and marks in ((), ("bar",)):
            k = index_value(node.index, self.env(scope))
            if marks == ("bar",):
                return self.const(self.world.alpha_bar(k))
            return self.const(self.world.alpha(k))
        if node.name == "beta" and not marks:
            return self.const(1 - self.world.alpha(index_value(node.index, self.env(scope))))
        return None

    # -- functions -----------------------------------------------------------------------------
    def _v_FuncApp(self, node: n.FuncApp, scope: Scope) -> QExp:
        marks = tuple(getattr(node, "marks", ()))
        if len(node.args) == 1 and ((node.index is not None and (
                (node.name in {"alpha", "beta"} and is_index_expression(node.index))
                or (node.name in self.spec.names and not marks))) or (node.name == "pi" and node.index is None)):
            # alpha_{t-1}(1 - alpha_t), x_t(...): a number or a variable times a bracket
            head = n.Var(node.name, node.index, *self._marks_arg(node))
            return self.value(head, scope) * self.value(node.args[0], scope)
        if node.name in _MATH_FUNCTIONS and node.index is None and not marks and len(node.args) == 1:
            u = self.value(node.args[0], scope)
            if node.name == "exp":
                return u.exp()
            if node.name == "log":
                return u.log()
            if node.name == "sqrt":
                return u.power(self.nums.num(1) / 2)
            if node.name == "sigmoid":
                return self.const(1) / (self.const(1) + (-u).exp()) if u.is_number() else \
                    _raise(NotClosed("sigmoid of a non-constant"))
            if node.name == "softplus":
                return (self.const(1) + u.exp()).log()
        if node.name == "C" and node.index is None:
            if scope.constants_zero:
                return self.const(0)
            raise UnknownConstant(render(node))
        expanded = self.bindings.expand(node)
        if expanded is not None:
            return self.value(expanded, scope)
        if head_of(node) in self.bindings.constraints:
            raise NotClosed(f"{render(node)} is fixed only implicitly by "
                            f"{self.bindings.constraints[head_of(node)].label}")
        return self._learned(node, scope)

    def _learned(self, node: n.FuncApp, scope: Scope) -> QExp:
        """b + sum_j a_j arg_j over the arguments that are variables; the others (t) select the map."""
        group = learned_group(node) if is_learned(node) else ""
        labels, variable_args = [], []
        for a in node.args:
            v = self.value(a, scope)
            if v.is_number():
                labels.append(_fmt(v.number()))
            else:
                variable_args.append(v)
        name = f"{node.name}{''.join(getattr(node, 'marks', ()))}_{render(node.index)}"
        key = f"{name}({','.join(labels)})"
        self.notes.add(f"{render(n.FuncApp(node.name, node.index, node.args))} is a learned map, "
                       "read as affine with free coefficients" if group else
                       f"{render(node)} is a free function, read as affine with free coefficients")
        out = self.const(self.world.real(f"{key}:b", group))
        for j, v in enumerate(variable_args):
            if not v.is_polynomial():
                raise NotClosed(f"{render(node)} of a non-polynomial argument")
            out = out + v.scaled(self.nums.num(self.world.slope(f"{key}:a{j}", group)))
        return out

    def _mean_of(self, variable: n.Var, scope: Scope) -> QExp:
        """mu_{x_t}: the mean of x_t given x_0 in the forward chain."""
        keys = variable_keys(variable, self.env(scope), self.spec)
        letter = self._forward_letter()
        given = [k for k in self._given_of(letter)]
        if keys[0] in given:
            return QExp.var(keys[0], self.nums)  # the data's own mean given itself
        density = self.density(letter, keys, given)
        self.notes.add(f"mu_{render(variable)} read as the mean of {render(variable)} given "
                       f"{', '.join(given)} in the forward chain")
        mean, _ = gaussian_moments(density, keys[0])
        return mean

    # -- densities -----------------------------------------------------------------------------
    def _forward_letter(self) -> Letter:
        for name in ("q", "p"):
            if name in self.spec.letters and self.spec.letters[name].given:
                return self.spec.letters[name]
        raise NotApplicable("the document defines no forward chain conditioned on the data")

    def _given_of(self, letter: Letter) -> list[str]:
        return letter_variables(letter, self.spec, self.world.T)[1]

    def _v_Density(self, node: n.Density, scope: Scope) -> QExp:
        letter_name = node.kind
        if scope.score and node.kind == "p" and node.subscript is None:
            letter = self._forward_letter()
            self.notes.add("p inside the score read as the law of the data pushed through the "
                           "forward chain")
        else:
            letter = self.spec.letters.get(letter_name)
            if letter is None:
                raise NotApplicable(f"{render(node)}: the document defines no joint for {letter_name}")
        variables = [k for v in node.variables for k in variable_keys(v, self.env(scope), self.spec)]
        given = [k for v in node.given for k in variable_keys(v, self.env(scope), self.spec)]
        self._check_range(variables + given)
        overlap = [k for k in variables if k in given]
        if overlap:
            self.notes.add(f"{render(node)} at {_env(scope)}: {', '.join(overlap)} is also given, "
                           "read as fixed")
            variables = [k for k in variables if k not in given]
        if not variables:
            return self.const(1)
        return self.density(letter, variables, given)

    def density(self, letter: Letter, variables: list[str], given: list[str]) -> QExp:
        joint_vars = self.joint(letter)[1]
        missing = [k for k in variables + given if k not in joint_vars]
        if missing:
            raise NotApplicable(f"{', '.join(missing)} is not a variable of {letter.letter}'s joint")
        top = self.marginal(letter, tuple(sorted(set(variables) | set(given))))
        if not given:
            return top
        return top / self.marginal(letter, tuple(sorted(set(given))))

    def marginal(self, letter: Letter, keep: tuple) -> QExp:
        key = (letter.letter, keep, self.world.theta)
        if key not in self._marginals:
            joint, allvars = self.joint(letter)
            drop = [v for v in allvars if v not in keep]
            self._marginals[key] = joint.integrate(drop)
        return self._marginals[key]

    def joint(self, letter: Letter) -> tuple[QExp, list[str]]:
        key = (letter.letter, self.world.theta)
        if key in self._joints:
            return self._joints[key]
        factors = concrete_factors(letter, self.spec, self.world.T)
        variables, given = letter_variables(letter, self.spec, self.world.T)
        out = self.const(1)
        covered = set()
        for f in factors:
            out = out * self._factor_density(f)
            covered |= set(f.children)
        allvars = list(dict.fromkeys(variables + given + [p for f in factors for p in f.parents]))
        for v in allvars:
            if v not in covered:
                # a conditioning variable of the letter (x_0 of q): the free data law
                mean, var = self.world.data_mean(), self.world.data_var()
                out = out * QExp.gaussian(p_var(v), p_const(self.nums.num(mean)), self.nums.num(var),
                                          self.nums)
        self._joints[key] = (out, allvars)
        return self._joints[key]

    def _factor_density(self, f) -> QExp:
        found = matching_law(self.spec, f.density, f.children, f.parents, self.world.T)
        if len(f.children) != 1:
            raise NotClosed(f"factor {render(f.density)} over several variables")
        child = f.children[0]
        if found is not None:
            law, env = found
            scope = Scope(env=dict(env))
            mean = self.value(law.normal.mean, scope)
            var = self.value(law.normal.cov, scope)
            if not mean.is_polynomial():
                raise NotClosed(f"the mean of {render(law.density)} is not a polynomial")
            return QExp.gaussian(p_var(child), mean.as_poly(), var.number(), self.nums)
        # a learned step: mean mu_<sub>(parents, index), free variance
        sub = f.density.subscript
        group = learned_group(n.FuncApp("mu", sub, ())) if sub is not None else ""
        label = f"{f.density.kind}{render(sub) if sub is not None else ''}({child}|{','.join(f.parents)})"
        if f.parents:
            parent_index = f.parents[0].lstrip("abcdefghijklmnopqrstuvwxyz")
            args = tuple(_var_of(p) for p in f.parents)
            if parent_index:
                args = args + (n.Num(parent_index),)
            mean = self.value(n.FuncApp("mu", sub, args), Scope()) if sub is not None else \
                self._affine(label, f.parents, group)
        else:
            mean = self.const(self.world.real(f"{label}:mean", group))
        var = self.world.positive(f"{label}:var")
        if not mean.is_polynomial():
            raise NotClosed(f"the learned mean of {label} is not a polynomial")
        return QExp.gaussian(p_var(child), mean.as_poly(), self.nums.num(var), self.nums)

    def _affine(self, label: str, parents, group: str) -> QExp:
        out = self.const(self.world.real(f"{label}:b", group))
        for j, p in enumerate(parents):
            out = out + QExp.var(p, self.nums).scaled(self.nums.num(self.world.slope(f"{label}:a{j}", group)))
        return out

    def _v_Normal(self, node: n.Normal, scope: Scope) -> QExp:
        if node.variable is None:
            raise NotClosed(f"{render(node)} without its variable")
        at = self.value(node.variable, scope)
        mean = self.value(node.mean, scope)
        var = self.value(node.cov, scope)
        if not (at.is_polynomial() and mean.is_polynomial()):
            raise NotClosed(f"{render(node)}: a non-polynomial mean")
        return QExp.gaussian(at.as_poly(), mean.as_poly(), var.number(), self.nums)

    # -- arithmetic ----------------------------------------------------------------------------
    def _v_Add(self, node, scope):
        out = self.value(node.terms[0], scope)
        for t in node.terms[1:]:
            out = out + self.value(t, scope)
        return out

    def _v_Neg(self, node, scope):
        return -self.value(node.arg, scope)

    def _v_Mul(self, node, scope):
        out = self.value(node.factors[0], scope)
        for f in node.factors[1:]:
            out = out * self.value(f, scope)
        return out

    def _v_Div(self, node, scope):
        return self.value(node.num, scope) / self.value(node.den, scope)

    def _v_Pow(self, node, scope):
        base = node.base
        if isinstance(base, n.FuncApp) and len(base.args) == 1 and ((base.index is not None and (
                (base.name in {"alpha", "beta"} and is_index_expression(base.index))
                or (base.name in self.spec.names and not getattr(base, "marks", ())))) or
                (base.name == "pi" and base.index is None)):
            head = n.Var(base.name, base.index, *self._marks_arg(base))
            return self.value(head, scope) * self.value(n.Pow(base.args[0], node.exp), scope)
        if type(node.base).__name__ == "Operator" and node.base.name == "norm":
            if isinstance(node.exp, n.Num) and node.exp.value == "2":
                v = self.value(node.base.args[0], scope)
                return v * v
        exponent = self.value(node.exp, scope).number()
        return self.value(node.base, scope).power(exponent)

    def _v_Sqrt(self, node, scope):
        return self.value(node.arg, scope).power(self.nums.num(1) / 2)

    def _v_Log(self, node, scope):
        return self.value(node.arg, scope).log()

    def _v_Exp(self, node, scope):
        return self.value(node.arg, scope).exp()

    def _v_Annotated(self, node, scope):
        return self.value(node.body, scope)

    # -- operators of the field ----------------------------------------------------------------
    def _v_Operator(self, node, scope):
        name = node.name
        if name in {"transpose", "tr", "det", "diag"}:
            return self.value(node.args[0], scope)
        if name in {"abs", "norm"}:
            v = self.value(node.args[0], scope)
            if v.is_number():
                return self.const(abs(v.number()))
            raise NotClosed(f"|{render(node.args[0])}| of a non-constant")
        if name == "grad":
            inner = Scope(dict(scope.env), True, scope.constants_zero)
            body = node.args[0]
            wrt = node.sub
            if wrt is None:
                dens = [x for x in walk(body) if isinstance(x, n.Density)]
                if len(dens) != 1 or not dens[0].variables:
                    raise NotClosed("a gradient without its variable")
                wrt = dens[0].variables[0]
                self.notes.add(f"∇ read as ∇_{render(wrt)}")
            keys = variable_keys(wrt, self.env(scope), self.spec)
            if len(keys) != 1:
                raise NotClosed("a gradient with respect to several variables")
            return self.value(body, inner).derivative(keys[0])
        raise NotClosed(f"operator {name} is not interpreted on the chain")

    def _v_Constant(self, node, scope):
        if scope.constants_zero:
            return self.const(0)
        raise UnknownConstant(getattr(node, "word", "C"))

    def _v_Dots(self, node, scope):
        raise NotClosed("the row elides its terms (\\dots): nothing to check")

    # -- integrals, expectations, KL, sums -----------------------------------------------------
    def keys_of(self, node: n.Node, scope: Scope) -> list[str]:
        if isinstance(node, n.Var) and is_noise(node, self.bindings.noise_names):
            return [self.noise_key(node, scope)]
        return variable_keys(node, self.env(scope), self.spec)

    def _v_Integral(self, node, scope):
        if node.lower is not None or node.upper is not None:
            raise NotClosed("an integral with bounds")
        keys = self.keys_of(node.variable, scope)
        return self.value(node.body, scope).integrate(keys)

    def _v_Expectation(self, node, scope):
        dist = node.dist
        given = getattr(node, "given", ())
        if dist is None and given:
            return self._conditional_mean(node.body, given, scope)
        if dist is None:
            raise NotClosed("an expectation without its distribution")
        if isinstance(dist, n.Density):
            variables = [k for v in dist.variables for k in self.keys_of(v, scope)]
            given = [k for v in dist.given for k in self.keys_of(v, scope)]
            variables = [k for k in variables if k not in given]
            weight = self.value(dist, scope)
            return (weight * self.value(node.body, scope)).integrate(variables)
        if isinstance(dist, n.Normal) and dist.variable is not None:
            keys = self.keys_of(dist.variable, scope)
            return (self.value(dist, scope) * self.value(node.body, scope)).integrate(keys)
        if isinstance(dist, n.Sampling):
            return self._sampled(dist, node.body, scope)
        raise NotClosed(f"expectation over {render(dist)}")

    def _conditional_mean(self, body: n.Node, given: tuple, scope: Scope) -> QExp:
        """E[body | given] under the forward chain with its data law (noises independent)."""
        keys = [k for g in given for k in self.keys_of(g, scope)]
        value = self.value(body, scope)
        chain_vars = sorted(v for v in value.variables() if not v.startswith("noise:") and v not in keys)
        noises = sorted(v for v in value.variables() if v.startswith("noise:") and v not in keys)
        weight = self.const(1)
        for v in noises:
            weight = weight * QExp.gaussian(p_var(v), p_const(self.nums.num(0)), self.nums.num(1), self.nums)
        if chain_vars:
            weight = weight * self.density(self._forward_letter(), chain_vars,
                                           [k for k in keys if not k.startswith("noise:")])
        self.notes.add("E[· | " + ", ".join(keys) + "] taken under the forward chain")
        return (weight * value).integrate(chain_vars + noises)

    def _sampled(self, dist: n.Sampling, body: n.Node, scope: Scope) -> QExp:
        law = dist.dist
        if isinstance(law, n.Normal):
            keys = self.keys_of(dist.variable, scope)
            normal = n.Normal(dist.variable, law.mean, law.cov, ";")
            return (self.value(normal, scope) * self.value(body, scope)).integrate(keys)
        if isinstance(law, (n.FuncApp, n.Var)) and law.name == "U" and isinstance(dist.variable, n.Var):
            bounds = law.args if isinstance(law, n.FuncApp) else ()
            if len(bounds) == 1 and type(bounds[0]).__name__ == "Tuple":
                bounds = bounds[0].items
            if len(bounds) != 2:
                raise NotClosed(f"uniform law {render(law)} without two bounds")
            lo, hi = (index_value(b, self.env(scope)) for b in bounds)
            if hi < lo:
                raise Divergent(f"an empty uniform range {lo}..{hi}")
            total = self.const(0)
            for k in range(lo, hi + 1):
                inner = Scope({**scope.env, dist.variable.name: k}, scope.score, scope.constants_zero)
                total = total + self.value(body, inner)
            return total.scaled(self.nums.num(1) / (hi - lo + 1))
        raise NotClosed(f"expectation over {render(law)}")

    def _v_KL(self, node, scope):
        left = node.left
        if isinstance(left, n.Density):
            keys = [k for v in left.variables for k in self.keys_of(v, scope)]
            given = [k for v in left.given for k in self.keys_of(v, scope)]
            keys = [k for k in keys if k not in given]
        elif isinstance(left, n.Normal) and left.variable is not None:
            keys = self.keys_of(left.variable, scope)
        else:
            raise NotClosed(f"KL with first argument {render(left)}")
        right = node.right
        if isinstance(left, n.Normal) and isinstance(right, n.Normal) and right.variable is not None \
                and left.variable is not None and right.variable != left.variable:
            # KL(N(x; .) || N(y; .)): both densities are over the same space, the names are dummies
            right = n.Normal(left.variable, right.mean, right.cov, right.separator)
            self.notes.add("the KL's second Gaussian read over the first one's variable")
        lv = self.value(left, scope)
        rv = self.value(right, scope)
        return (lv * (lv.log() - rv.log())).integrate(keys)

    def _v_BigOp(self, node, scope):
        if node.index is None or node.lower is None or node.upper is None:
            raise NotClosed(f"{node.op} without explicit bounds")
        if not isinstance(node.index, n.Var):
            raise NotClosed(f"{node.op} over {render(node.index)}")
        if any(isinstance(x, n.Var) and x.sample is not None for x in walk(node.body)):
            raise NotClosed("a sum over Monte Carlo draws")
        env = {**scope.env, "T": self.world.T}
        lo, hi = index_value(node.lower, env), index_value(node.upper, env)
        out = self.const(0 if node.op == "sum" else 1)
        for k in range(lo, hi + 1):
            inner = Scope({**scope.env, node.index.name: k}, scope.score, scope.constants_zero)
            v = self.value(node.body, inner)
            out = out + v if node.op == "sum" else out * v
        return out

    def _v_Argmax(self, node, scope):
        raise NotClosed(f"{node.op} is compared as an objective, not as a value")


def gaussian_moments(density: QExp, key: str):
    """Mean (a polynomial in the other variables) and variance of a one-term Gaussian in `key`."""
    if len(density.terms) != 1:
        raise NotClosed("not a single Gaussian")
    q = density.terms[0].q
    a = q.get(((key, 2),), 0)
    if not a < 0:
        raise NotClosed(f"not a Gaussian in {key}")
    var = -1 / (2 * a)
    lin = {}
    for mono, c in q.items():
        powers = dict(mono)
        if powers.get(key) == 1:
            rest = tuple((v, e) for v, e in mono if v != key)
            lin[rest] = lin.get(rest, 0) + c
    if any(dict(m).get(key, 0) > 2 or (dict(m).get(key) == 2 and len(m) > 1) for m in q):
        raise NotClosed(f"not a Gaussian in {key}")
    mean = QExp.poly(p_scale(lin, var), density.nums)
    return mean, var


def _var_of(key: str) -> n.Node:
    name = key.rstrip("0123456789")
    digits = key[len(name):]
    return n.Var(name, n.Num(digits)) if digits else n.Var(name)


def _env(scope: Scope) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(scope.env.items())) or "every step"


def _fmt(x) -> str:
    f = float(x)
    return str(int(f)) if f == int(f) else repr(f)


def _raise(exc):
    raise exc
