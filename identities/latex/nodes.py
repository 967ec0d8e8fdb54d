"""AST of the derivation notation: one frozen dataclass per construct.

Variables carry an optional index (``x_t``, ``x_{t-1}``, ``x_{1:T}``), an optional sample label
(``z^{(l)}``) and marks that make a different symbol of the same letter (``\\bar\\alpha_t`` is
``Var("alpha", Var("t"), marks=("bar",))``, distinct from ``\\alpha_t``; ``\\theta^*`` has mark
``"*"``; ``\\mathcal{L}`` has mark ``"cal"``). Bold and roman are typography and leave no mark.
The shapes produced for the field's notation are listed in CONTRACTS.md (i12-reader entry).
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
    name: str  # "x", "z", "epsilon", "mu", "I", "ELBO", ... (bold is typography and dropped)
    index: Node | None = None  # subscript: x_t, x_{t-1}, x_{1:T}, mu_phi, L_{VLB}
    sample: Node | None = None  # z^{(l)}: the l-th Monte Carlo draw of z
    marks: tuple[str, ...] = ()  # accents and styles that make another symbol: "bar", "tilde",
    #   "hat", "dot", "ddot", "check", "breve", "cal", "scr", "frak", "bb", and superscript marks
    #   "*", "'", "dagger", in the order written (innermost first)


@dataclass(frozen=True)
class FuncApp(Node):
    name: str  # mu, sigma, f, SNR, ... applied to arguments: mu_phi(x), \hat x_\theta(x_t, t)
    index: Node | None
    args: tuple[Node, ...]
    marks: tuple[str, ...] = ()  # as on Var: \hat x_\theta(x_t,t) has ("hat",)


@dataclass(frozen=True)
class Density(Node):
    kind: str  # "p" (the model), "q" (the variational density), or another letter written so
    subscript: Node | None  # theta, phi: parameters, not a different density
    variables: tuple[Node, ...]  # p(x, z): (x, z)
    given: tuple[Node, ...]  # p(z | x): (x,)
    marks: tuple[str, ...] = ()  # \tilde p(x), p^*(x)
    params: tuple[Node, ...] = ()  # p(x; theta): what follows a top-level ';'


@dataclass(frozen=True)
class Normal(Node):
    variable: Node | None  # N(z; mu, sigma^2 I): z
    mean: Node
    cov: Node
    separator: str  # ";" as usual, "," when written N(z, mu, Sigma), "|" when N(z | mu, Sigma)


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
    # The subscript, read as: a Density or Normal (E_{q(z|x)}, E_{z ~ q(z|x)}: the law); a Var
    # naming a density or a variable (E_q, E_{q_phi}, E_z); a Sampling when the law is not a
    # density of the variable (E_{t ~ U(1,T)}); a Tuple of these (E_{x_0, eps}); None if absent.
    dist: Node | None
    body: Node
    given: tuple[Node, ...] = ()  # E[x_0 | x_t]: what the expectation conditions on


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
    domain: Node | None = None  # \sum_{x \in X}: X


@dataclass(frozen=True)
class Argmax(Node):
    op: str  # "argmax", "argmin", "max", "min", "sup", "inf"
    over: tuple[str, ...]  # parameter names: ("phi", "theta")
    body: Node


@dataclass(frozen=True)
class Annotated(Node):
    body: Node  # \underbrace{body}_{note}
    note: str  # the note as words
    label: Node | None = None  # the note parsed, when it is math (\underbrace{..}_{\mu_q(x_t, x_0)})


@dataclass(frozen=True)
class Sampling(Node):
    variable: Node  # epsilon ~ N(0, I)
    dist: Node


@dataclass(frozen=True)
class Tuple(Node):
    items: tuple[Node, ...]  # x_0, eps in E_{x_0, eps}; 1, ..., T in t = 1, ..., T
    delimiter: str = ""  # "" bare, "(" parenthesised, "{" a set \{1, ..., T\}, "[" an interval


@dataclass(frozen=True)
class Dots(Node):
    """\\dots, \\cdots, \\ldots: the terms left out of a pattern."""


@dataclass(frozen=True)
class Constant(Node):
    word: str  # "const", "C": an unspecified constant ("= ... + const", "up to a constant")


@dataclass(frozen=True)
class Operator(Node):
    # A named operator of the field, by its canonical name:
    #   "det", "tr", "diag", "Var", "Cov", "abs" (|x|, also |Sigma| for a determinant), "norm"
    #   (\|x\|, sub = the norm's index), "transpose" (x^T, x^\top), "grad" (\nabla_theta f: sub =
    #   theta), "factorial", "evaluated" (\left. f \right|_{t=0}: sub = the condition), and the
    #   accents on an expression that is not a symbol ("bar", "tilde", "hat").
    # Var/Cov carry the distribution like an expectation: sub = the law or variables.
    name: str
    args: tuple[Node, ...]
    sub: Node | None = None


@dataclass(frozen=True)
class Derivative(Node):
    body: Node  # \frac{\partial f}{\partial theta}: f; an operator \frac{d}{dt} applies to the next factor
    wrt: Node  # theta
    partial: bool = True  # \partial rather than d
    order: Node | None = None  # \frac{d^2 f}{dt^2}: 2


@dataclass(frozen=True)
class Compare(Node):
    """A chain of relations inside a side condition or a subscript: 1 <= t <= T, x in X."""

    parts: tuple[Node, ...]
    relations: tuple[str, ...]


@dataclass(frozen=True)
class Quantified(Node):
    quantifier: str  # "forall", "exists"
    variables: tuple[Node, ...]  # \forall t, x: (t, x)
    condition: Node | None = None  # \forall t \in {1..T}: Compare(t in {...}); None if bare


@dataclass(frozen=True)
class Text(Node):
    words: str  # prose inside math that is not notation ("for all data points")


@dataclass(frozen=True)
class Side(Node):
    """A side condition or clause written after the row's statement."""

    word: str  # the word that introduces it: "for", "where", "with", "if", "s.t.", "forall", or
    #   the separator: "," or "quad"
    statement: Node  # Compare, Sampling, Quantified, Tuple or Text


@dataclass(frozen=True)
class Row:
    """One displayed row: expressions joined by relations, plus side clauses."""

    parts: tuple[Node | None, ...]  # parts[0] is None for a continuation row ("&= ...")
    relations: tuple[str, ...]  # "=", ">=", "<=", "≈", "<", ">", ":=", "≠", "∝", "~", "∈", "≪",
    #   "≫", "→", and the logical connectives "⇒", "⇔" between the parts
    aside: bool = False  # relation written as a parenthesised aside "(\leq ...)"
    clauses: tuple[Sampling, ...] = ()  # "\text{with } eps \sim N(...)", ", eps ~ N(0, I)"
    notes: tuple[str, ...] = ()  # readings the parser had to make, e.g. N(e,0,I) read as N(e;0,I)
    labels: tuple[str, ...] = ()  # per relation: its label, "(i)" in \overset{(i)}{=}; "" if none
    conditions: tuple[Side, ...] = ()  # side conditions other than sampling clauses
    remarks: tuple[str, ...] = ()  # annotations in words: "Jensen", "by Bayes' rule"
    lead: str = ""  # a leading word: "where", "let", "therefore", "since", "hence", ...
