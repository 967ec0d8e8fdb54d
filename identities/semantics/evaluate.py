"""Interpretation of the AST in one model family: the walk shared by every family.

A family supplies the leaves (variables, densities, Gaussian densities), integration over
the latent variable and the draw distribution of Monte Carlo samples; this module supplies
the rest of the notation (arithmetic, log, expectations, KL, sums over draws) once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics import limits
from elbo_suite.identities.semantics.errors import NotApplicable, NotClosed
from elbo_suite.identities.semantics.symbols import doc_symbol


_TRAILING_MARKS = ("*", "'", "''")


def marked_name(name: str, marks: tuple[str, ...] = ()) -> str:
    """A name with the marks that make it another symbol: bar{alpha}, cal{L}, theta*, x'."""
    for mark in marks:
        if mark in _TRAILING_MARKS or mark.startswith("^"):
            name = f"{name}{mark}"
        else:
            name = f"{mark}{{{name}}}"
    return name


def var_key(node: n.Node) -> str:
    """A variable's name with its marks and index: z, x_t, x_{1:T}, bar{alpha}_{t}, theta*;
    bold is typography."""
    if isinstance(node, n.Var):
        name = marked_name(node.name, node.marks)
        if node.index is None:
            return name
        return f"{name}_{{{render(node.index)}}}"
    if isinstance(node, n.Num) and node.value == "0":
        return "0"
    raise NotApplicable(f"{render(node)} is not a variable")


def render(node: n.Node | None) -> str:
    """Compact plain-text rendering of a node, for evidence lines."""
    if node is None:
        return ""
    if isinstance(node, n.Num):
        return node.value
    if isinstance(node, n.Var):
        name = marked_name(node.name, node.marks)
        s = name if node.index is None else f"{name}_{render(node.index)}"
        return s + (f"^({render(node.sample)})" if node.sample is not None else "")
    if isinstance(node, n.Slice):
        return f"{render(node.lower)}:{render(node.upper)}"
    if isinstance(node, n.FuncApp):
        return f"{function_head(node)}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, n.Density):
        kind = marked_name(node.kind, node.marks)
        head = kind if node.subscript is None else f"{kind}_{render(node.subscript)}"
        inner = ", ".join(render(v) for v in node.variables)
        if node.given:
            inner += "|" + ", ".join(render(v) for v in node.given)
        return f"{head}({inner})"
    if isinstance(node, n.Normal):
        v = render(node.variable) + "; " if node.variable is not None else ""
        return f"N({v}{render(node.mean)}, {render(node.cov)})"
    if isinstance(node, n.Add):
        out = render(node.terms[0])
        for t in node.terms[1:]:
            out += f" - {render(t.arg)}" if isinstance(t, n.Neg) else f" + {render(t)}"
        return out
    if isinstance(node, n.Neg):
        return f"-{render(node.arg)}"
    if isinstance(node, n.Mul):
        sep = " ⊙ " if node.elementwise else " "
        return sep.join(_paren(f) for f in node.factors)
    if isinstance(node, n.Div):
        return f"{_paren(node.num)}/{_paren(node.den)}"
    if isinstance(node, n.Pow):
        return f"{_paren(node.base)}^{_paren(node.exp)}"
    if isinstance(node, n.Log):
        return f"log {_paren(node.arg)}"
    if isinstance(node, n.Exp):
        return f"exp {_paren(node.arg)}"
    if isinstance(node, n.Sqrt):
        return f"sqrt({render(node.arg)})"
    if isinstance(node, n.Integral):
        return f"∫ {render(node.body)} d{render(node.variable)}"
    if isinstance(node, n.Expectation):
        given = " | " + ", ".join(render(g) for g in node.given) if node.given else ""
        return f"E_{render(node.dist)}[{render(node.body)}{given}]"
    if isinstance(node, n.KL):
        return f"KL({render(node.left)} || {render(node.right)})"
    if isinstance(node, n.BigOp):
        sym = "Σ" if node.op == "sum" else "Π"
        lo = f"{render(node.index)}={render(node.lower)}" if node.lower is not None else render(node.index)
        return f"{sym}_{{{lo}}}^{{{render(node.upper)}}} {_paren(node.body)}"
    if isinstance(node, n.Argmax):
        return f"{node.op}_{{{','.join(node.over)}}} {render(node.body)}"
    if isinstance(node, n.Annotated):
        return render(node.body)
    if isinstance(node, n.Sampling):
        return f"{render(node.variable)} ~ {render(node.dist)}"
    if isinstance(node, n.Tuple):
        inner = ", ".join(render(x) for x in node.items) if node.delimiter != "|" else \
            "|".join(render(x) for x in node.items)
        close = {"(": ")", "[": "]", "{": "}"}.get(node.delimiter, "")
        return f"{node.delimiter if node.delimiter != '|' else ''}{inner}{close}"
    if isinstance(node, n.Dots):
        return "..."
    if isinstance(node, n.Constant):
        return node.word
    if isinstance(node, n.Operator):
        sub = f"_{{{render(node.sub)}}}" if node.sub is not None else ""
        return f"{node.name}{sub}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, n.Derivative):
        d = "∂" if node.partial else "d"
        return f"{d}({render(node.body)})/{d}{render(node.wrt)}"
    if isinstance(node, n.Compare):
        out = render(node.parts[0])
        for rel, part in zip(node.relations, node.parts[1:]):
            out += f" {rel} {render(part)}"
        return out
    if isinstance(node, n.Quantified):
        cond = f": {render(node.condition)}" if node.condition is not None else ""
        return f"{node.quantifier} {', '.join(render(v) for v in node.variables)}{cond}"
    if isinstance(node, n.Text):
        return f"'{node.words}'"
    if isinstance(node, n.Side):
        return f"{node.word} {render(node.statement)}"
    return type(node).__name__


def function_head(node: n.FuncApp) -> str:
    """mu_theta, hat{x}_theta: a function's name with its marks and subscript."""
    name = marked_name(node.name, node.marks)
    return name if node.index is None else f"{name}_{render(node.index)}"


def _paren(node: n.Node) -> str:
    s = render(node)
    return f"({s})" if isinstance(node, (n.Add, n.Neg, n.Mul, n.Div)) else s


def mentions(node: object, predicate) -> bool:
    """Whether any sub-node satisfies predicate."""
    if isinstance(node, n.Node) and predicate(node):
        return True
    if isinstance(node, tuple):
        return any(mentions(x, predicate) for x in node)
    if isinstance(node, n.Node):
        return any(mentions(getattr(node, f), predicate) for f in node.__dataclass_fields__)
    return False


# The variational density: q(z|x), q_phi, and Q(z|x) where the text writes laws with capitals
# (P for the model, Q for the approximation). Every other letter is a density of the model.
VARIATIONAL = {"q", "Q"}


def is_variational(node: n.Density) -> bool:
    return node.kind in VARIATIONAL


def marked_density(node: n.Density) -> str | None:
    """Why a density is not one of the model's or q's: p̂, p̃, p̄, p* name other laws (the data, an
    unnormalised density, an estimate, the optimum); None for p, p_theta, q_phi, P, Q."""
    marks = [m for m in node.marks if m not in {"bold", "bm", "boldsymbol", "mathbf", "rm"}]
    if not marks:
        return None
    return f"{render(node)} is a density other than the model's or q's (marked {', '.join(marks)})"


def has_bounds(node: n.Integral) -> bool:
    """Whether an integral has limits; \\int_z f dz names its variable below the sign, not a bound."""
    if node.upper is not None:
        return True
    return node.lower is not None and node.lower != node.variable


@dataclass
class Context:
    bound: tuple[str, ...] = ()  # doc variables integrated over here (the family's z)
    draws: tuple[str, ...] = ()  # sum indices l over Monte Carlo draws z^{(l)} in scope
    random: list[bool] = field(default_factory=lambda: [False])  # set when draws were averaged

    def binding(self, name: str) -> "Context":
        return Context(self.bound + (name,), self.draws, self.random)

    def drawing(self, index: str) -> "Context":
        return Context(self.bound, self.draws + (index,), self.random)


class Family:
    """A model family with free symbolic parameters in which expressions get values."""

    name = "family"
    description = ""
    latent = "z"

    @staticmethod
    def key(node: n.Density) -> str:
        """The density as written, e.g. 'p(z|x)': the name definitions are stored under."""
        inner = ",".join(var_key(v) for v in node.variables)
        if node.given:
            inner += "|" + ",".join(var_key(v) for v in node.given)
        return f"{marked_name(node.kind, node.marks)}({inner})"

    # leaves, supplied by each family -------------------------------------------------------
    def const(self, expr):
        raise NotImplementedError

    def latent_value(self):
        raise NotImplementedError

    def density(self, node: n.Density, ctx: Context):
        raise NotImplementedError

    def normal(self, node: n.Normal, ctx: Context):
        raise NotImplementedError

    def integrate(self, value, ctx: Context):
        raise NotImplementedError

    def draw_density(self, ctx: Context):
        """The density Monte Carlo draws z^{(l)} come from: the variational q."""
        return self.density(n.Density("q", None, (n.Var("z"),), (n.Var("x"),)), ctx)

    def scalar(self, value) -> sp.Expr:
        """A z-free value as a sympy expression (NotClosed when it depends on z)."""
        raise NotImplementedError

    # the shared walk -----------------------------------------------------------------------
    def evaluate(self, node: n.Node, ctx: Context | None = None):
        return self._eval(node, ctx or Context())

    def _eval(self, node: n.Node, ctx: Context):
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            raise NotClosed(f"{type(node).__name__} is not interpreted")
        return method(node, ctx)

    def _eval_Num(self, node: n.Num, ctx):
        limits.literal(node.value)
        return self.const(sp.Rational(node.value))

    def _eval_Var(self, node: n.Var, ctx):
        key = var_key(node)
        if node.sample is not None:
            if node.name != self.latent or render(node.sample) not in ctx.draws:
                raise NotClosed(f"the draw {render(node)} outside a sum over its draws is random")
            return self.latent_value()
        if key == self.latent or key in ctx.bound:
            return self.latent_value()
        if node.name == "I" and node.index is None:
            return self.const(1)  # identity covariance: one coordinate of a diagonal Gaussian
        if node.name == "pi" and node.index is None:
            return self.const(sp.pi)
        if node.name == "infty":
            raise NotClosed("infinity")
        return self.const(self.symbol(key))

    def symbol(self, key: str) -> sp.Symbol:
        return doc_symbol(key)

    def _eval_FuncApp(self, node: n.FuncApp, ctx):
        args = [var_key(a) for a in node.args]
        if self.latent in args or any(a in ctx.bound for a in args):
            raise NotClosed(f"{render(node)}: a free function of the integration variable")
        return self.const(self.symbol(f"{function_head(node)}({','.join(args)})"))

    def _eval_Density(self, node: n.Density, ctx):
        return self.density(node, ctx)

    def _eval_Normal(self, node: n.Normal, ctx):
        return self.normal(node, ctx)

    def _eval_Add(self, node: n.Add, ctx):
        out = self._eval(node.terms[0], ctx)
        for t in node.terms[1:]:
            out = out + self._eval(t, ctx)
        return out

    def _eval_Neg(self, node: n.Neg, ctx):
        return -self._eval(node.arg, ctx)

    def _eval_Mul(self, node: n.Mul, ctx):
        out = self._eval(node.factors[0], ctx)
        for f in node.factors[1:]:
            out = out * self._eval(f, ctx)
        return out

    def _eval_Div(self, node: n.Div, ctx):
        return self._eval(node.num, ctx) / self._eval(node.den, ctx)

    def _eval_Pow(self, node: n.Pow, ctx):
        exponent = self.scalar(self._eval(node.exp, ctx))
        base = self._eval(node.base, ctx)
        limits.power(self.magnitude(base), exponent)
        return base.power(exponent)

    def magnitude(self, value) -> sp.Expr:
        """A sympy expression whose size stands for the value's, for limits.power."""
        try:
            return self.scalar(value)
        except NotClosed:
            return sp.Add(*[sp.Symbol(f"term{k}") for k in range(2)])  # z-dependent: a sum

    def _eval_Sqrt(self, node: n.Sqrt, ctx):
        return self._eval(node.arg, ctx).power(sp.Rational(1, 2))

    def _eval_Log(self, node: n.Log, ctx):
        return self._eval(node.arg, ctx).log()

    def _eval_Exp(self, node: n.Exp, ctx):
        return self._eval(node.arg, ctx).exp()

    def _eval_Annotated(self, node: n.Annotated, ctx):
        return self._eval(node.body, ctx)

    def _variable_of(self, dist: n.Node) -> str:
        if isinstance(dist, n.Density):
            return var_key(dist.variables[0])
        if isinstance(dist, n.Normal) and dist.variable is not None:
            return var_key(dist.variable)
        raise NotClosed(f"cannot tell the variable of {render(dist)}")

    def _scope(self, variable: str, ctx: Context) -> Context:
        return ctx if variable == self.latent else ctx.binding(variable)

    def _eval_Integral(self, node: n.Integral, ctx):
        inner = self._scope(var_key(node.variable), ctx)
        if has_bounds(node):
            raise NotClosed("integral with bounds")
        return self.integrate(self._eval(node.body, inner), inner)

    def _eval_Expectation(self, node: n.Expectation, ctx):
        if node.given:
            raise NotClosed("a conditional expectation E[. | .]")
        if node.dist is None:
            raise NotClosed("expectation without its distribution")
        inner = self._scope(self._variable_of(node.dist), ctx)
        return self.integrate(self._eval(node.dist, inner) * self._eval(node.body, inner), inner)

    def _eval_KL(self, node: n.KL, ctx):
        node = self._over_one_variable(node)
        inner = self._scope(self._variable_of(node.left), ctx)
        left = self._eval(node.left, inner)
        right = self._eval(node.right, inner)
        return self.integrate(left * (left / right).log(), inner)

    def _over_one_variable(self, node: n.KL) -> n.KL:
        """KL(N(mu_1, s_1^2) || N(mu_2, s_2^2)): Gaussians written without their variable are laws
        of one variable, integrated over as the family's latent."""
        if not (isinstance(node.left, n.Normal) and node.left.variable is None):
            return node
        if not (isinstance(node.right, n.Normal) and node.right.variable is None):
            return node
        parameters = (node.left.mean, node.left.cov, node.right.mean, node.right.cov)
        if mentions(parameters, lambda x: isinstance(x, n.Var) and x.name == self.latent):
            raise NotClosed(f"{render(node)}: its parameters name the variable it would be integrated over")
        latent = n.Var(self.latent)
        return n.KL(replace(node.left, variable=latent), replace(node.right, variable=latent))

    def _eval_BigOp(self, node: n.BigOp, ctx):
        index = render(node.index) if node.index is not None else None
        if node.lower is None or node.upper is None or index is None:
            raise NotClosed(f"{node.op} without explicit bounds")
        count = self.scalar(self._eval(node.upper, ctx)) - self.scalar(self._eval(node.lower, ctx)) + 1
        draws = mentions(node.body, lambda x: isinstance(x, n.Var) and x.sample is not None
                         and render(x.sample) == index)
        if draws:
            if node.op != "sum":
                raise NotClosed("a product over Monte Carlo draws")
            ctx.random[0] = True
            body = self._eval(node.body, ctx.drawing(index))
            q = self.draw_density(ctx)
            return self.const(count) * self.integrate(q * body, ctx)
        if mentions(node.body, lambda x: isinstance(x, n.Var) and x.name == index and x.sample is None
                    or isinstance(x, n.Var) and x.index is not None and
                    mentions(x.index, lambda y: isinstance(y, n.Var) and y.name == index)):
            raise NotApplicable(f"{'sum' if node.op == 'sum' else 'product'} over {index} of "
                                f"indexed terms ({render(node.body)}): indexed latents are not "
                                "interpreted by this family")
        body = self._eval(node.body, ctx)
        return self.const(count) * body if node.op == "sum" else body.power(count)

    def _eval_Argmax(self, node: n.Argmax, ctx):
        raise NotClosed(f"{node.op} is compared only as an objective in an ≈ row")
