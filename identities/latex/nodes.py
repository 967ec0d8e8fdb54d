"""AST of the derivation notation: one frozen dataclass per construct.

Variables carry an optional index (``x_t``, ``x_{t-1}``, ``x_{1:T}``) and an optional sample
label (``z^{(l)}``), so products and sums over ``t`` and indexed latents parse into the same
tree as the single-latent ELBO.
"""

from __future__ import annotations

from dataclasses import dataclass


class Node:
    """Base of all AST nodes."""


@dataclass(frozen=True)
class Num(Node):
    value: str  # decimal digits as written


@dataclass(frozen=True)
class Slice(Node):
    lower: Node
    upper: Node  # x_{1:T} is Var("x", index=Slice(1, T))


@dataclass(frozen=True)
class Var(Node):
    name: str  # "x", "z", "epsilon", "mu", "I", ... (bold is typography and dropped)
    index: Node | None = None  # subscript: x_t, x_{t-1}, x_{1:T}, mu_phi
    sample: Node | None = None  # z^{(l)}: the l-th Monte Carlo draw of z


@dataclass(frozen=True)
class FuncApp(Node):
    name: str  # mu, sigma, f, ... applied to arguments: mu_phi(x)
    index: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Density(Node):
    kind: str  # "p" (the model) or "q" (the variational density)
    subscript: Node | None  # theta, phi: parameters, not a different density
    variables: tuple[Node, ...]  # p(x, z): (x, z)
    given: tuple[Node, ...]  # p(z | x): (x,)


@dataclass(frozen=True)
class Normal(Node):
    variable: Node | None  # N(z; mu, sigma^2 I): z
    mean: Node
    cov: Node
    separator: str  # ";" as usual, "," when written N(z, mu, Sigma)


@dataclass(frozen=True)
class Add(Node):
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple[Node, ...]
    elementwise: bool = False  # written with \odot


@dataclass(frozen=True)
class Div(Node):
    num: Node
    den: Node


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exp: Node


@dataclass(frozen=True)
class Log(Node):
    arg: Node


@dataclass(frozen=True)
class Exp(Node):
    arg: Node


@dataclass(frozen=True)
class Sqrt(Node):
    arg: Node


@dataclass(frozen=True)
class Integral(Node):
    body: Node
    variable: Node  # d z
    lower: Node | None = None
    upper: Node | None = None


@dataclass(frozen=True)
class Expectation(Node):
    dist: Node | None  # E_{q(z|x)}[...]: the density written in the subscript
    body: Node


@dataclass(frozen=True)
class KL(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class BigOp(Node):
    op: str  # "sum" or "prod"
    index: Node | None  # l in \sum_{l=1}^{L}
    lower: Node | None
    upper: Node | None
    body: Node


@dataclass(frozen=True)
class Argmax(Node):
    op: str  # "argmax", "argmin", "max", "min"
    over: tuple[str, ...]  # parameter names: ("phi", "theta")
    body: Node


@dataclass(frozen=True)
class Annotated(Node):
    body: Node  # \underbrace{body}_{note}
    note: str


@dataclass(frozen=True)
class Sampling(Node):
    variable: Node  # epsilon ~ N(0, I)
    dist: Node


@dataclass(frozen=True)
class Row:
    """One displayed row: expressions joined by relations, plus side clauses."""

    parts: tuple[Node | None, ...]  # parts[0] is None for a continuation row ("&= ...")
    relations: tuple[str, ...]  # "=", ">=", "<=", "≈", "<", ">", ":=" between the parts
    aside: bool = False  # relation written as a parenthesised aside "(\leq ...)"
    clauses: tuple[Sampling, ...] = ()  # "\text{with } eps \sim N(...)"
    notes: tuple[str, ...] = ()  # readings the parser had to make, e.g. N(e,0,I) read as N(e;0,I)
