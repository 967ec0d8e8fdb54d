"""The document's own Markov-chain model, read from its definitions, and its joint densities in a
concrete world.

A definition row factorises a joint density of one letter into conditional densities, with a
product over an index:

    p(x, z_{1:T}) = p(z_T) p_theta(x|z_1) prod_{t=2}^T p_theta(z_{t-1}|z_t)
    q(x_{1:T}|x_0) = prod_{t=1}^T q(x_t|x_{t-1})

and other rows give some factors a Gaussian law (q(x_t|x_{t-1}) = N(x_t; sqrt(alpha_t) x_{t-1},
(1 - alpha_t) I), p(x_T) = N(x_T; 0, I)). In a world of length T every factor becomes a Gaussian:
its law when the document gives one, otherwise a learned linear-Gaussian step whose mean is the
document's learned mean mu (an affine map with free coefficients) and whose variance is a free
positive number. The conditioning variables of a letter's joint (x_0 for q) get a free Gaussian
data law, so that every marginal and conditional of the letter exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.chain.indices import index_value, is_index_expression, solve_index
from elbo_suite.identities.semantics.errors import NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import render


@dataclass(frozen=True)
class Factor:
    density: n.Density  # as written, indices generic in `index`
    index: str | None = None  # the product's index (t), None for a factor outside a product
    lower: n.Node | None = None
    upper: n.Node | None = None


@dataclass
class Letter:
    """One letter's joint (p or q): its variables, what it conditions on, its factors."""

    letter: str
    variables: tuple[n.Node, ...]
    given: tuple[n.Node, ...]
    factors: list[Factor]
    label: str  # the defining row


@dataclass(frozen=True)
class Law:
    density: n.Density  # q(x_t|x_{t-1}), p(x_T)
    normal: n.Normal
    label: str


@dataclass
class ChainSpec:
    letters: dict[str, Letter] = field(default_factory=dict)
    laws: list[Law] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        """Names of the chain's variables (x, z)."""
        out = set()
        for letter in self.letters.values():
            for v in letter.variables + letter.given:
                if isinstance(v, n.Var):
                    out.add(v.name)
        for law in self.laws:
            for v in law.density.variables + law.density.given:
                if isinstance(v, n.Var):
                    out.add(v.name)
        return out

    @property
    def indexed_names(self) -> set[str]:
        out = set()
        for letter in self.letters.values():
            for v in letter.variables + letter.given:
                if isinstance(v, n.Var) and v.index is not None:
                    out.add(v.name)
        for law in self.laws:
            for v in law.density.variables + law.density.given:
                if isinstance(v, n.Var) and v.index is not None:
                    out.add(v.name)
        return out

    def defined(self) -> bool:
        return bool(self.letters)

    def letter_of(self, density: n.Density) -> Letter | None:
        return self.letters.get(density.kind)

    def is_factor(self, density: n.Density) -> bool:
        """Whether a density is written as one of the factors of its letter's joint."""
        letter = self.letter_of(density)
        if letter is None:
            return False
        shape = _shape(density)
        return any(_shape(f.density) == shape for f in letter.factors)


def _shape(d: n.Density) -> tuple:
    return (d.kind, tuple(render(v) for v in d.variables), tuple(render(v) for v in d.given))


# -- reading definitions ------------------------------------------------------------------------
def factorisation(left: n.Node, right: n.Node) -> tuple[tuple[n.Node, ...], tuple[n.Node, ...], list[Factor]] | None:
    """(variables, given, factors) when `left = right` factorises a joint density into
    conditional densities and products of them over an index; None otherwise."""
    if not isinstance(left, n.Density):
        return None
    factors: list[Factor] = []
    items = right.factors if isinstance(right, n.Mul) else (right,)
    for item in items:
        if isinstance(item, n.Density) and item.kind == left.kind:
            factors.append(Factor(item))
        elif isinstance(item, n.BigOp) and item.op == "prod" and item.index is not None and \
                isinstance(item.index, n.Var):
            body = item.body.factors if isinstance(item.body, n.Mul) else (item.body,)
            for d in body:
                if not (isinstance(d, n.Density) and d.kind == left.kind):
                    return None
                factors.append(Factor(d, item.index.name, item.lower, item.upper))
        else:
            return None
    if not factors:
        return None
    chained = any(f.index is not None for f in factors) or any(
        isinstance(v, n.Var) and v.index is not None and isinstance(v.index, n.Slice)
        for v in left.variables + left.given)
    if not chained:
        return None
    return left.variables, left.given, factors


# -- a world's joint densities ------------------------------------------------------------------
def variable_keys(node: n.Node, env: dict[str, int], spec: ChainSpec) -> list[str]:
    """World variable names of a chain variable as written (x_{t-1} -> ['x2'] at t = 3)."""
    if not isinstance(node, n.Var) or node.name not in spec.names:
        raise NotApplicable(f"{render(node)} is not a variable of the chain")
    if node.index is None:
        if node.name in spec.indexed_names:
            return [f"{node.name}0"]  # the data, written without its index
        return [node.name]
    if isinstance(node.index, n.Slice):
        lo, hi = index_value(node.index.lower, env), index_value(node.index.upper, env)
        return [f"{node.name}{k}" for k in range(lo, hi + 1)]
    if not is_index_expression(node.index):
        raise NotApplicable(f"{render(node)}: subscript {render(node.index)} is not a time index")
    return [f"{node.name}{index_value(node.index, env)}"]


def in_range(keys: list[str], world_T: int) -> bool:
    for k in keys:
        digits = k.lstrip("abcdefghijklmnopqrstuvwxyz")
        if digits and not 0 <= int(digits) <= world_T:
            return False
    return True


@dataclass(frozen=True)
class ConcreteFactor:
    children: tuple[str, ...]
    parents: tuple[str, ...]
    density: n.Density
    env: tuple  # sorted items of the index values it was expanded with


def concrete_factors(letter: Letter, spec: ChainSpec, T: int) -> list[ConcreteFactor]:
    out = []
    base = {"T": T}
    for f in letter.factors:
        if f.index is None:
            envs = [base]
        else:
            lo = index_value(f.lower, base)
            hi = index_value(f.upper, base)
            envs = [{**base, f.index: k} for k in range(lo, hi + 1)]
        for env in envs:
            children = tuple(k for v in f.density.variables for k in variable_keys(v, env, spec))
            parents = tuple(k for v in f.density.given for k in variable_keys(v, env, spec))
            if not in_range(list(children + parents), T):
                raise NotClosed(f"factor {render(f.density)} at {env} is outside x_0..x_T")
            out.append(ConcreteFactor(children, parents, f.density, tuple(sorted(env.items()))))
    return out


def letter_variables(letter: Letter, spec: ChainSpec, T: int) -> tuple[list[str], list[str]]:
    env = {"T": T}
    variables = [k for v in letter.variables for k in variable_keys(v, env, spec)]
    given = [k for v in letter.given for k in variable_keys(v, env, spec)]
    return variables, given


def matching_law(spec: ChainSpec, density: n.Density, children: tuple[str, ...],
                 parents: tuple[str, ...], T: int) -> tuple[Law, dict[str, int]] | None:
    """The law a concrete factor takes from a definition with generic indices, and the index
    values that instantiate it."""
    for law in reversed(spec.laws):
        d = law.density
        if d.kind != density.kind or len(d.variables) != len(children) or len(d.given) != len(parents):
            continue
        env = _unify(d.variables + d.given, children + parents, spec, T)
        if env is not None:
            return law, env
    return None


def _unify(pattern: tuple[n.Node, ...], keys: tuple[str, ...], spec: ChainSpec, T: int) -> dict | None:
    env: dict[str, int] = {"T": T}
    symbols: set[str] = set()
    for v in pattern:
        if isinstance(v, n.Var) and v.index is not None and not isinstance(v.index, n.Slice):
            for s in _free_symbols(v.index):
                if s != "T":
                    symbols.add(s)
    if len(symbols) > 1:
        return None
    symbol = next(iter(symbols), None)
    for v, key in zip(pattern, keys):
        if not isinstance(v, n.Var) or v.name not in spec.names:
            return None
        name = key.rstrip("0123456789")
        digits = key[len(name):]
        if name != v.name:
            return None
        if v.index is None:
            if digits and v.name in spec.indexed_names and digits != "0":
                return None
            continue
        if isinstance(v.index, n.Slice) or not digits:
            return None
        target = int(digits)
        if symbol is not None and symbol not in env:
            value = solve_index(v.index, symbol, target, env)
            if value is None:
                return None
            env[symbol] = value
        try:
            if index_value(v.index, env) != target:
                return None
        except NotApplicable:
            return None
    return env


def _free_symbols(node: n.Node) -> set[str]:
    from elbo_suite.identities.semantics.chain.indices import index_symbols
    return index_symbols(node)
