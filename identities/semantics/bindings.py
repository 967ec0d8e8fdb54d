"""What a document has named so far: functions and symbols it defines, the signatures of the
learned functions it uses, and the noises its sampling rules introduce.

    mu_q(x_t, x_0) = (sqrt(alpha_t)(1 - abar_{t-1}) x_t + ...)/(1 - abar_t)     defines mu_q
    sigma_q^2(t) = ...                                                       defines sigma_q(t)^2
    mu_theta(x_t, t) = (... xhat_theta(x_t, t))/(1 - abar_t)   re-parameterises the learned mean
    SNR(t) = exp(-omega_eta(t))      with SNR already defined: fixes the new learned omega_eta
    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0     names eps_0 the noise that makes x_t

A use of a defined name is replaced by its definition, arguments substituted (an index shift
x_t -> x_{t-1} shifts every index of the body); a name used without its arguments takes the
arguments of its first use with arguments anywhere in the document (mu_q is mu_q(x_t, x_0)).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.evaluate import render

LEARNED_SUBSCRIPTS = {"theta", "phi", "eta", "psi"}
NOISE_NAMES = frozenset({"epsilon"})  # noise by the field's convention; documents declare more


def head_of(node: n.Node) -> tuple | None:
    """The identity of a named quantity: (name, marks, subscript) for f_q(..), f_q, \\hat f."""
    if isinstance(node, n.FuncApp):
        return (node.name, tuple(getattr(node, "marks", ())), render(node.index))
    if isinstance(node, n.Var):
        return (node.name, tuple(getattr(node, "marks", ())), render(node.index))
    return None


def is_learned(node: n.Node) -> bool:
    """A function of the model's parameters: subscript theta/phi/eta, or a hat (an estimate)."""
    if not isinstance(node, (n.FuncApp, n.Var)):
        return False
    marks = getattr(node, "marks", ())
    sub = node.index
    subs = _names_in(sub) if sub is not None else set()
    return bool(subs & LEARNED_SUBSCRIPTS) or "hat" in marks


def learned_group(node: n.Node) -> str:
    sub = node.index
    subs = _names_in(sub) if sub is not None else set()
    for g in ("theta", "phi", "eta", "psi"):
        if g in subs:
            return g
    return "theta" if "hat" in getattr(node, "marks", ()) else ""


def _names_in(node: object) -> set[str]:
    out: set[str] = set()
    if isinstance(node, n.Var):
        out.add(node.name)
    if isinstance(node, n.Node):
        for f in node.__dataclass_fields__:
            out |= _names_in(getattr(node, f))
    elif isinstance(node, tuple):
        for x in node:
            out |= _names_in(x)
    return out


def walk(node: object):
    if isinstance(node, n.Node):
        yield node
        for f in node.__dataclass_fields__:
            yield from walk(getattr(node, f))
    elif isinstance(node, tuple):
        for x in node:
            yield from walk(x)


@dataclass
class Definition:
    head: tuple
    params: tuple[n.Node, ...]  # argument patterns as written; () for a bare symbol
    body: n.Node
    label: str
    squared: bool = False  # defined through its square (sigma_q^2(t) = ...)


@dataclass
class Constraint:
    """A row that fixes a new learned function implicitly: SNR(t) = exp(-omega_eta(t))."""

    unknown: tuple  # head of the function it fixes
    pattern: n.Node  # its use as written in the row (omega_eta(t))
    left: n.Node
    right: n.Node
    label: str


@dataclass
class Noise:
    """eps := (subject - rest) / scale, read off a sampling rule subject = rest + scale * eps."""

    subject: n.Node
    rest: n.Node
    scale: n.Node
    label: str


@dataclass
class Bindings:
    definitions: dict[tuple, Definition] = field(default_factory=dict)
    constraints: dict[tuple, Constraint] = field(default_factory=dict)
    signatures: dict[tuple, tuple[n.Node, ...]] = field(default_factory=dict)
    noises: dict[str, Noise] = field(default_factory=dict)
    seen_learned: set = field(default_factory=set)
    noise_names: set = field(default_factory=lambda: set(NOISE_NAMES))  # + declared: z_t ~ N(0, I)

    def declare_noise(self, variable: n.Node) -> None:
        """A variable the document samples from a centred Gaussian is a noise (Weng's z_t)."""
        for x in walk(variable):
            if isinstance(x, n.Var):
                self.noise_names.add(x.name)

    # -- document-wide signatures -------------------------------------------------------------
    def learn_signatures(self, node: n.Node) -> None:
        for x in walk(node):
            if isinstance(x, n.FuncApp) and x.args:
                self.signatures.setdefault(head_of(x), x.args)

    def note_learned(self, node: n.Node) -> None:
        for x in walk(node):
            if isinstance(x, (n.FuncApp, n.Var)) and is_learned(x):
                self.seen_learned.add(head_of(x))

    # -- definitions ----------------------------------------------------------------------------
    def definition_of_row(self, left: n.Node, right: n.Node, label: str) -> Definition | Constraint | None:
        """The definition a row `left = right` makes, if it makes one (see the module doc)."""
        squared = False
        target = left
        if isinstance(left, n.Pow) and isinstance(left.exp, n.Num) and left.exp.value == "2":
            target, squared = left.base, True
        if squared and isinstance(target, n.Var) and target.sample is None and \
                head_of(target) not in self.definitions and not any(
                    head_of(x) == head_of(target) for x in walk(right)):
            return Definition(head_of(target), (), right, label, squared)  # sigma^2 = ...
        if not isinstance(target, n.FuncApp) or not _plain_params(target.args):
            return None
        head = head_of(target)
        new_learned = [x for x in walk(right) if isinstance(x, (n.FuncApp, n.Var)) and is_learned(x)
                       and head_of(x) not in self.seen_learned and head_of(x) != head]
        old = self.definitions.get(head)
        if old is None and not any(head_of(x) == head for x in walk(right)):
            if head in self.seen_learned and not new_learned and is_learned(target):
                return None  # a learned function already in use is not redefined by its own name
            return Definition(head, target.args, right, label, squared)
        if old is not None and new_learned:
            old_learned = any(is_learned(x) for x in walk(old.body) if isinstance(x, (n.FuncApp, n.Var)))
            if old_learned or is_learned(target):
                return Definition(head, target.args, right, label, squared)  # re-parameterised
            fresh = [x for x in new_learned if isinstance(x, n.FuncApp)]
            if len({head_of(x) for x in fresh}) == 1:
                return Constraint(head_of(fresh[0]), fresh[0], left, right, label)
        return None

    def add(self, item: Definition | Constraint) -> None:
        if isinstance(item, Definition):
            self.definitions[item.head] = item
        else:
            self.constraints[item.unknown] = item

    def name_from_annotation(self, note: n.Node, body: n.Node, label: str) -> Definition | None:
        """An underbrace that names its term (\\underbrace{...}_{\\mu_q(x_t, x_0)})."""
        if isinstance(note, n.FuncApp) and _plain_params(note.args) and head_of(note) not in self.definitions:
            return Definition(head_of(note), note.args, body, label)
        return None

    # -- uses -----------------------------------------------------------------------------------
    def expand(self, node: n.Node) -> n.Node | None:
        """The definition of a named use, arguments substituted; None when it is not defined."""
        head = head_of(node)
        d = self.definitions.get(head)
        if d is None:
            return None
        args = node.args if isinstance(node, n.FuncApp) else ()
        body = d.body
        if d.squared:
            body = n.Sqrt(body)
        if not args:
            return body
        if len(args) != len(d.params):
            return None
        return substitute_params(body, d.params, args)

    def signature(self, node: n.Var) -> tuple[n.Node, ...] | None:
        return self.signatures.get(head_of(node))

    # -- noises ---------------------------------------------------------------------------------
    def noise_key(self, node: n.Var) -> str:
        return f"{node.name}{''.join(getattr(node, 'marks', ()))}_{render(node.index)}"

    def learn_noise(self, subject: n.Node, expr: n.Node, label: str) -> list[str]:
        """Bind each noise that appears alone in a sampling rule subject = rest + scale * noise."""
        terms = expr.terms if isinstance(expr, n.Add) else (expr,)
        noisy = [(k, t) for k, t in enumerate(terms) if _noises(t, self.noise_names)]
        if len(noisy) != 1:
            return []
        k, term = noisy[0]
        found = _noises(term, self.noise_names)
        if len(found) != 1:
            return []
        noise = found[0]
        factors = term.factors if isinstance(term, n.Mul) else (term,)
        if noise not in factors or sum(1 for f in factors if f == noise) != 1:
            return []
        others = tuple(f for f in factors if f != noise)
        scale = others[0] if len(others) == 1 else (n.Mul(others) if others else n.Num("1"))
        rest_terms = tuple(t for j, t in enumerate(terms) if j != k)
        rest = (rest_terms[0] if len(rest_terms) == 1 else n.Add(rest_terms)) if rest_terms else n.Num("0")
        key = self.noise_key(noise)
        old = self.noises.get(key)
        if old is not None and (old.subject == subject or
                                any(x == old.subject for x in walk(expr))):
            # the same rule restated, or solved for another variable: the first binding stands
            return []
        # a new sampling rule for another variable that reuses the noise's name: the latest rule
        # is what the name means from here on
        self.noises[key] = Noise(subject, rest, scale, label)
        return [key]

    def hidden(self, keys: set):
        """A context in which the given noises count as fresh (a new sampling rule reuses a name)."""
        bindings = self

        class _Hidden:
            def __enter__(self):
                self.saved = {k: bindings.noises.pop(k) for k in list(keys) if k in bindings.noises}

            def __exit__(self, *exc):
                bindings.noises.update(self.saved)

        return _Hidden()

    def noise(self, node: n.Var, steps: tuple = ()) -> n.Node | None:
        """The noise's definition; `steps` are the step symbols of the row that uses it: a rule
        written at step t, used in a row that counts steps with i, is read at step i."""
        b = self.noises.get(self.noise_key(node))
        if b is None:
            return None
        value = n.Div(n.Add((b.subject, n.Neg(b.rest))), b.scale)
        own = sorted({x.name for v in walk(b.subject) if isinstance(v, n.Var) and v.index is not None
                      for x in walk(v.index) if isinstance(x, n.Var) and x.index is None and x.name != "T"})
        steps = [x for x in steps if x != "T"]
        if len(own) == 1 and len(steps) == 1 and own[0] not in steps:
            value = _subst(value, {}, {own[0]: n.Var(steps[0])})
        return value

    def forget_noise(self, node: n.Var) -> None:
        self.noises.pop(self.noise_key(node), None)


def _noises(node: n.Node, names=NOISE_NAMES) -> list[n.Var]:
    return [x for x in walk(node) if isinstance(x, n.Var) and x.name in names]


def is_noise(node: n.Node, names=NOISE_NAMES) -> bool:
    return isinstance(node, n.Var) and node.name in names


def _plain_params(args: tuple) -> bool:
    return all(isinstance(a, n.Var) and getattr(a, "sample", None) is None for a in args)


def substitute_params(body: n.Node, params: tuple[n.Node, ...], args: tuple[n.Node, ...]) -> n.Node:
    """The body with each parameter replaced by its argument; a parameter x_t given x_{t-1} also
    shifts the index symbol t to t-1 everywhere in the body."""
    mapping: dict[n.Node, n.Node] = {}
    symbols: dict[str, n.Node] = {}
    for p, a in zip(params, args):
        mapping[p] = a
        if isinstance(p, n.Var) and p.index is None and not getattr(p, "marks", ()) and len(p.name) == 1:
            symbols.setdefault(p.name, a)  # a time argument t
        if isinstance(p, n.Var) and isinstance(a, n.Var) and p.name == a.name and \
                isinstance(p.index, n.Var) and p.index.index is None and a.index is not None:
            symbols.setdefault(p.index.name, a.index)
    return _subst(body, mapping, symbols)


def _subst(node: object, mapping: dict, symbols: dict) -> object:
    if isinstance(node, n.Node):
        if node in mapping:
            return mapping[node]
        if isinstance(node, n.Var) and node.index is None and not getattr(node, "marks", ()) \
                and node.name in symbols and getattr(node, "sample", None) is None:
            return symbols[node.name]
        changes = {}
        for f in node.__dataclass_fields__:
            old = getattr(node, f)
            new = _subst(old, mapping, symbols)
            if new is not old:
                changes[f] = new
        return replace(node, **changes) if changes else node
    if isinstance(node, tuple):
        new = tuple(_subst(x, mapping, symbols) for x in node)
        return new if any(a is not b for a, b in zip(new, node)) else node
    return node
