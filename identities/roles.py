"""Row roles: whether a displayed row introduces a name (a definition) or claims something.

A definition is never refuted. A row defines when it

- uses a defining relation: ``:=``, ``\\triangleq``, ``\\equiv``, ``\\stackrel{def}{=}``;
- assigns to a name no earlier row has bound: ``\\alpha_t = 1-\\beta_t``, ``\\rho = 0.05``,
  ``\\beta_1 = 10^{-4}``, ``L_\\text{VLB} = \\mathbb{E}_q[\\ldots]``, a learned function's
  parameterisation ``\\mu_\\theta(x_t,t) = \\ldots``;
- states a constraint or a range on free parameters: ``\\beta > 1``, ``t_1 < t_2``,
  ``0<\\beta_t<1``, ``\\eta \\in \\mathbb{R}^+``;
- gives a variable its law (a sampling statement) while it has none yet:
  ``x_t = \\sqrt{1-\\beta_t}x_{t-1} + \\sqrt{\\beta_t}\\epsilon``, ``z \\sim \\mathcal{N}(0, I)``;
- makes a modelling choice: a density set equal to a distribution, ``q(z|x) = \\mathcal{N}(\\ldots)``,
  or a model's factorisation written for the first time, ``p(x_{0:T}) = p(x_T)\\prod_t p(x_{t-1}|x_t)``.

The first relation of such a row binds; the relations after it (``\\tilde\\beta_t = A = B``) are
claims about the bound name and are checked. A later row that assigns to a bound name is a claim,
checked against the definition, unless the text around it announces a new definition ("let",
"define", "where", "we choose", 令, 定义, 设): prose is a hint, never a requirement.

``Known`` is the environment of a document: what its rows have bound so far, which variables are
random (they appear in densities) and which have a law.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.evaluate import render

DEFINITION, CLAIM, DISPLAY = "definition", "claim", "display"

DEFINING_RELATIONS = {":=", "≡", "=:", "≜"}
ORDER_RELATIONS = {"<", ">", "<=", ">=", "∈", "in"}
SAMPLING_RELATIONS = {"~", "∼", "sim"}
# Prose that announces a definition: in the row (\text{where}) or in the line before it.
HINT_WORDS = re.compile(
    r"(?<![A-Za-z])(let|define[sd]?|denote[sd]?|where|we (?:choose|set|take|use|write)|set|with|"
    r"given|suppose|assume)(?![A-Za-z])|令|定义|设|记|其中|假设", re.IGNORECASE)
# Nodes that make an expression more than arithmetic on parameters.
_MODEL_NODES = (n.Density, n.Normal, n.Expectation, n.KL, n.Integral, n.Argmax)
_NOISE_NAMES = {"epsilon", "varepsilon", "xi", "eta_noise"}


def head_of(node: n.Node) -> tuple | None:
    """The identity of a named quantity: (name, marks, subscript) for f_q(..), f_q, \\bar f."""
    if isinstance(node, n.Annotated):
        return head_of(node.body)
    if isinstance(node, (n.Var, n.FuncApp)):
        return (node.name, tuple(getattr(node, "marks", ())), render(node.index))
    return None


def show_head(head: tuple) -> str:
    name, marks, index = head
    shown = "".join(f"{m} " for m in marks) + name
    return shown + (f"_{index}" if index else "")


def walk(node: object):
    if isinstance(node, n.Node):
        yield node
        for f in node.__dataclass_fields__:
            yield from walk(getattr(node, f))
    elif isinstance(node, tuple):
        for x in node:
            yield from walk(x)


def _var_key(node: n.Node) -> str:
    """A variable's identity: its marks, name and index (x_t, bar alpha_t, z^(l) as z)."""
    if isinstance(node, n.Var):
        marks = "".join(f"{m} " for m in getattr(node, "marks", ()))
        return marks + node.name + (f"_{{{render(node.index)}}}" if node.index is not None else "")
    return render(node)


@dataclass(frozen=True)
class Role:
    kind: str  # DEFINITION, CLAIM or DISPLAY
    binds: tuple[tuple, ...] = ()  # heads the row introduces
    first_claim: int = 0  # relations[first_claim:] are claims to check; a claim row has 0
    reason: str = ""  # one line: why the row is a definition

    @property
    def claims(self) -> bool:
        return self.kind == CLAIM


@dataclass
class Known:
    """What the rows read so far have established."""

    bound: dict[tuple, str] = field(default_factory=dict)  # head -> label of the defining row
    laws: dict[str, str] = field(default_factory=dict)  # random variable -> label giving its law
    random: set[str] = field(default_factory=set)  # variables that appear in densities or clauses
    random_names: set[str] = field(default_factory=set)  # their letters: x_0 makes x_t random too
    values: dict[tuple, tuple[n.Node, n.Node]] = field(default_factory=dict)  # head -> (as written, value)
    later: dict[tuple, int] = field(default_factory=dict)  # head -> first row (0-based) binding it

    def is_bound(self, head: tuple | None) -> bool:
        return head is not None and head in self.bound

    def observe(self, row: n.Row) -> None:
        """Note the random variables of a parsed row: the arguments of its densities and the
        variables its clauses sample ('where z_t ~ N(0, I)')."""
        found: list[n.Node] = []
        for node in walk(row.parts):
            if isinstance(node, n.Density):
                found += [x for v in node.variables + node.given for x in walk(v) if isinstance(x, n.Var)]
            if isinstance(node, n.Normal) and node.variable is not None:
                found.append(node.variable)
        for clause in row.clauses:
            found += [x for x in walk(clause.variable) if isinstance(x, n.Var)]
        for x in found:
            if isinstance(x, n.Var) and x.name not in {"I", "cdot"}:
                self.random.add(_var_key(x))
                self.random_names.add(x.name)

    def is_random(self, node: n.Node) -> bool:
        return isinstance(node, n.Var) and node.sample is None and (
            _var_key(node) in self.random or node.name in self.random_names or node.name in _NOISE_NAMES)

    def record(self, role: Role, row: n.Row, label: str) -> None:
        if role.kind != DEFINITION:
            return
        for head in role.binds:
            self.bound[head] = label
        left = row.parts[0]
        if isinstance(left, n.Var) and (_var_key(left) in self.random or _sampling(row)
                                        or role.reason.startswith("a sampling statement")):
            self.laws.setdefault(_var_key(left), label)
        elif len(role.binds) == 1 and role.binds[0][0] != "density" and role.first_claim == 1 \
                and len(row.parts) > 1 and row.parts[1] is not None:
            self.values[role.binds[0]] = (left, self.substitute(row.parts[1]))
        if isinstance(left, n.Density) and len(row.parts) > 1 and isinstance(row.parts[1], n.Normal):
            for v in left.variables:
                if isinstance(v, n.Var):
                    self.laws.setdefault(_var_key(v), label)

    def unbind(self, role: Role) -> None:
        """A definition whose own claims fail binds nothing: which side was meant is unknown."""
        for head in role.binds:
            self.bound.pop(head, None)
            self.values.pop(head, None)

    def substitute(self, node):
        """Replace each use of a bound name by its value (a function only at the arguments it
        was defined with)."""
        if not self.values or node is None:
            return node
        if isinstance(node, tuple):
            return tuple(self.substitute(x) for x in node)
        if not isinstance(node, n.Node):
            return node
        if isinstance(node, (n.Var, n.FuncApp)) and getattr(node, "sample", None) is None:
            found = self.values.get(head_of(node))
            if found is not None:
                written, value = found
                if isinstance(node, n.Var) or (isinstance(written, n.FuncApp)
                                               and render(written) == render(node)):
                    return value
        changes = {f: self.substitute(getattr(node, f)) for f in node.__dataclass_fields__}
        if all(changes[f] is getattr(node, f) for f in changes):
            return node
        return type(node)(**changes)


def hint_of(tex: str, prose: str = "") -> str:
    """The defining word a row carries (\\text{where} ...) or its preceding prose line has."""
    words = " ".join(re.findall(r"\\(?:text|textrm|mathrm|quad|qquad)\s*\{([^}]*)\}", tex))
    for source in (words, prose):
        m = HINT_WORDS.search(source or "")
        if m:
            return m.group(0)
    return ""


def role_of(row: n.Row, known: Known, hint: str = "") -> Role:
    """The role of a parsed row, given what earlier rows established."""
    if not row.relations:
        return Role(DISPLAY, reason="a displayed expression without a relation: it names a quantity "
                    "and claims nothing")
    left, rel = row.parts[0], row.relations[0]
    if left is None:
        return Role(CLAIM)
    if rel in DEFINING_RELATIONS:
        heads = _heads(left)
        return Role(DEFINITION, heads, 1, f"'{rel}' introduces {_names(heads, left)}")
    if rel in SAMPLING_RELATIONS:
        return _sampling_role(row, known)
    if rel in ORDER_RELATIONS:
        return _constraint_role(row, known)
    if rel != "=":
        return Role(CLAIM)
    right = row.parts[1]
    if isinstance(left, n.Density):
        return _density_role(row, known)
    head = head_of(left)
    if head is None:
        return Role(CLAIM)
    if isinstance(left, n.Var) and (known.is_random(left) or _mentions_noise(right, row)):
        if _var_key(left) in known.laws:
            return Role(CLAIM)
        return Role(DEFINITION, (head,), 1, f"a sampling statement: gives {render(left)} its law")
    if known.is_bound(head):
        if hint:
            return Role(DEFINITION, (head,), 1, f"redefines {show_head(head)} (the text says '{hint}'; "
                        f"first bound by {known.bound[head]})")
        return Role(CLAIM)
    what = "parameterisation of the learned function" if _learned(left) else "assignment to"
    return Role(DEFINITION, (head,), 1, f"{what} {render(left)}, a name no earlier row binds")


# -- the kinds of definition ------------------------------------------------------------------
def _heads(node: n.Node) -> tuple[tuple, ...]:
    head = head_of(node)
    if head is not None:
        return (head,)
    if isinstance(node, n.Density):
        return (("density", (), render(node)),)
    return ()


def _names(heads: tuple[tuple, ...], node: n.Node) -> str:
    return ", ".join(show_head(h) for h in heads) if heads and heads[0][0] != "density" else render(node)


def _sampling(row: n.Row) -> bool:
    return bool(row.relations) and row.relations[0] in SAMPLING_RELATIONS


def _sampling_role(row: n.Row, known: Known) -> Role:
    left = row.parts[0]
    keys = [_var_key(x) for x in walk(left) if isinstance(x, n.Var)]
    if keys and all(k not in known.laws for k in keys):
        return Role(DEFINITION, tuple(h for h in (head_of(left),) if h), len(row.relations),
                    f"a sampling statement: gives {render(left)} its law")
    return Role(CLAIM)


def _parameter_like(node: n.Node | None) -> bool:
    """Arithmetic on names and numbers: no densities, expectations, divergences or integrals."""
    return node is not None and not any(isinstance(x, _MODEL_NODES) for x in walk(node))


def _constraint_role(row: n.Row, known: Known) -> Role:
    parts = [p for p in row.parts]
    if not all(_parameter_like(p) for p in parts):
        return Role(CLAIM)
    names = {head_of(x) for p in parts for x in walk(p) if isinstance(x, (n.Var, n.FuncApp))}
    names.discard(None)
    if any(known.is_bound(h) for h in names) or any(
            isinstance(x, n.Var) and _var_key(x) in known.random for p in parts for x in walk(p)):
        return Role(CLAIM)
    # A constraint ranges over names: at least one side is a bare name, a number or a set.
    if not any(isinstance(p, (n.Var, n.Num)) or head_of(p) is not None for p in parts):
        return Role(CLAIM)
    return Role(DEFINITION, (), len(row.relations),
                "a constraint on free parameters: an assumption, not a claim")


def _density_role(row: n.Row, known: Known) -> Role:
    left, right = row.parts[0], row.parts[1]
    key = ("density", (), render(left))
    if isinstance(right, n.Normal):
        return Role(DEFINITION, (key,), 1, f"modelling choice: {render(left)} is a Gaussian")
    if known.is_bound(key) or not _is_factorisation(left, right):
        return Role(CLAIM)
    return Role(DEFINITION, (key,), 1, f"modelling choice: the factorisation of {render(left)}")


def _is_factorisation(left: n.Density, right: n.Node) -> bool:
    """A joint density written for the first time as a chain-rule product of densities of the same
    model: each variable of the left side stands once as a variable of a factor (a product over an
    index, a Markov chain, is taken as written)."""
    if any(isinstance(x, n.BigOp) and x.op == "prod" for x in walk(right)):
        return all(isinstance(f, n.Density) for f in _factors(right))
    factors = _factors(right)
    if len(factors) < 2 or any(not isinstance(f, n.Density) for f in factors):
        return False
    written = sorted(_var_key(v) for v in left.variables)
    produced = sorted(_var_key(v) for f in factors for v in f.variables)
    return len(written) > 1 and written == produced


def _factors(node: n.Node) -> list[n.Node]:
    if isinstance(node, n.Mul):
        return [f for x in node.factors for f in _factors(x)]
    if isinstance(node, n.BigOp) and node.op == "prod":
        return _factors(node.body)
    if isinstance(node, n.Annotated):
        return _factors(node.body)
    return [node]


def _learned(node: n.Node) -> bool:
    index = getattr(node, "index", None)
    return isinstance(node, n.FuncApp) and any(
        isinstance(x, n.Var) and x.name in {"theta", "phi", "psi", "eta"} for x in walk(index))


def _mentions_noise(node: n.Node, row: n.Row) -> bool:
    declared = {_var_key(c.variable) for c in row.clauses if isinstance(c.variable, n.Var)}
    return any(isinstance(x, n.Var) and (x.name in _NOISE_NAMES or _var_key(x) in declared)
               for x in walk(node))


def prepass(rows: list[n.Row | None]) -> dict[tuple, int]:
    """Heads the document binds anywhere, and the first row (0-based) that binds each: a claim
    that uses a name the document defines only later is not refuted through it."""
    known = Known()
    first: dict[tuple, int] = {}
    for k, row in enumerate(rows):
        if row is None:
            continue
        known.observe(row)
        role = role_of(row, known)
        for head in role.binds:
            first.setdefault(head, k)
        known.record(role, row, str(k))
    return first


# -- when a counterexample is not a refutation -----------------------------------------------------
# Notation whose members the field relates by convention (alpha_t = 1 - beta_t, bar alpha_t the
# product of the alphas): a point that sets two of them independently proves nothing.
SCHEDULE_NAMES = {"alpha", "beta", "gamma", "sigma", "lambda", "SNR"}
COUNT_NAMES = {"L", "K", "N", "M", "T", "S", "D", "n", "k", "m"}


# A name bound this many rows after its use is a forward reference ("where L_T = ..."); bound
# much later, it is a new definition of a name the rows before used freely.
FORWARD_ROWS = 6


def refutation_blockers(nodes, known: Known, row_index: int | None = None) -> list[str]:
    """Why a counterexample to a claim between these expressions would not be a real error: it
    would have to give a value to a quantity the document defines a few rows on, to a constant or
    objective it never defines, to random variables the two sides do not share (a relation in
    law, which a point value does not test), or to two schedule symbols the field relates. Empty
    when a counterexample is a refutation."""
    reasons: list[str] = []
    bounds = {render(x.upper) for node in nodes for x in walk(node)
              if isinstance(x, n.BigOp) and x.upper is not None}
    schedule: set[tuple] = set()
    randoms = [set() for _ in nodes]
    for side, node in enumerate(nodes):
        for x in _free_names(node):
            head = head_of(x)
            if head in known.bound:
                continue
            if known.is_random(x):
                randoms[side].add(render(x))
            elif head in known.later and (row_index is None or
                                          0 < known.later[head] - row_index <= FORWARD_ROWS):
                reasons.append(f"{render(x)} is defined by a row further on")
            elif _opaque(x) and render(x) not in bounds:
                reasons.append(f"{render(x)} is a quantity the document does not define in display math")
            if isinstance(x, n.Var) and x.name in SCHEDULE_NAMES:
                schedule.add((x.name, tuple(getattr(x, "marks", ())), render(x.index) if x.index else ""))
    # The same random variables on both sides: an identity for every value they take, which a
    # point tests. Different ones, or one side a bare random variable: a relation in law.
    bare = any(isinstance(node, n.Var) and render(node) in randoms[k] for k, node in enumerate(nodes))
    # A side that is a function of x through its densities (log N(x; mu, s^2), p(x|z)) takes x at
    # a point as the other side does: a pointwise identity between functions of x, not one in law.
    pointwise = [r | {render(x) for x in _law_arguments(node) if known.is_random(x)}
                 for r, node in zip(randoms, nodes)]
    in_law = any(r != randoms[0] for r in randoms[1:]) and any(r != pointwise[0] for r in pointwise[1:])
    if randoms and (bare or in_law):
        names = sorted(set().union(*randoms))
        reasons.append(f"{', '.join(names)} {'is a random variable' if len(names) == 1 else 'are random variables'}: "
                       "the row relates random quantities in law, which a point value does not test")
    related = _related_schedule(schedule)
    if related:
        a, b = related
        reasons.append(f"{a} and {b} are schedule quantities that the field relates by convention "
                       "(alpha_t = 1 - beta_t, bar alpha_t the product of the alphas); the document "
                       "does not state how")
    return list(dict.fromkeys(reasons))


def _related_schedule(symbols: set) -> tuple[str, str] | None:
    """Two schedule symbols that the field's conventions tie together, or None. At the same step
    alpha_t, beta_t, bar alpha_t, sigma_t ... are functions of one another; bar alpha_t also holds
    every alpha_s, beta_s with s <= t and every other bar alpha. Different steps of one quantity
    (alpha_t, alpha_{t-1}) are independent."""
    items = sorted(symbols, key=str)
    for i, (name1, marks1, index1) in enumerate(items):
        for name2, marks2, index2 in items[i + 1:]:
            if (name1, marks1) == (name2, marks2):
                if name1 == "alpha" and "bar" in marks1:
                    return _show(name1, marks1, index1), _show(name2, marks2, index2)
                continue
            step1, step2 = _step(index1), _step(index2)
            same = index1 == index2 or (step1 is not None and step1 == step2)
            if same:
                return _show(name1, marks1, index1), _show(name2, marks2, index2)
            for (n_bar, m_bar, s_bar), (n_o, m_o, s_o) in (((name1, marks1, step1), (name2, marks2, step2)),
                                                           ((name2, marks2, step2), (name1, marks1, step1))):
                if n_bar == "alpha" and "bar" in m_bar and n_o in {"alpha", "beta"} and "bar" not in m_o:
                    if s_bar is None or s_o is None or s_bar[0] != s_o[0] or s_o[1] <= s_bar[1]:
                        return _show(name1, marks1, index1), _show(name2, marks2, index2)
    return None


def _step(index: str):
    """An index as (letter, offset): 't' -> ('t', 0), 't-1' -> ('t', -1), '3' -> ('', 3)."""
    text = index.replace(" ", "").strip("{}")
    m = re.fullmatch(r"([A-Za-z]?)([+-]\d+)?", text)
    if m and (m.group(1) or m.group(2)):
        return m.group(1), int(m.group(2) or 0)
    if text.isdigit():
        return "", int(text)
    return None


def _show(name: str, marks: tuple, index: str) -> str:
    return "".join(f"{m} " for m in marks) + name + (f"_{index}" if index else "")


def _law_arguments(node, bound: frozenset = frozenset()):
    """The variables a density or Gaussian density of this expression is evaluated at, except
    those an expectation, integral, KL divergence or sum integrates out."""
    if isinstance(node, n.Expectation):
        inner = bound | _named(node.dist)
        yield from _law_arguments(node.body, inner)
        return
    if isinstance(node, n.Integral):
        yield from _law_arguments(node.body, bound | _named(node.variable))
        return
    if isinstance(node, n.KL):
        left = node.left.variables if isinstance(node.left, n.Density) else \
            (node.left.variable,) if isinstance(node.left, n.Normal) else ()
        inner = bound | _named(left)
        yield from _law_arguments(node.left, inner)
        yield from _law_arguments(node.right, inner)
        return
    if isinstance(node, n.BigOp):
        return  # an index may reach into the variables' names: left to the rules above
    if isinstance(node, n.Density):
        for x in walk(node.variables + node.given):
            if isinstance(x, n.Var) and render(x) not in bound:
                yield x
        return
    if isinstance(node, n.Normal) and node.variable is not None:
        for x in walk(node.variable):
            if isinstance(x, n.Var) and render(x) not in bound:
                yield x
    if isinstance(node, n.Node):
        for f in node.__dataclass_fields__:
            yield from _law_arguments(getattr(node, f), bound)
    elif isinstance(node, tuple):
        for x in node:
            yield from _law_arguments(x, bound)


def _named(node) -> frozenset:
    """The variables a law or an integration variable names: q(z|x) -> {z}; z -> {z}."""
    if isinstance(node, n.Density):
        return frozenset(render(x) for x in walk(node.variables) if isinstance(x, n.Var))
    if isinstance(node, n.Normal):
        return frozenset(render(x) for x in walk(node.variable) if isinstance(x, n.Var))
    if isinstance(node, n.Sampling):
        return frozenset(render(x) for x in walk(node.variable) if isinstance(x, n.Var))
    return frozenset(render(x) for x in walk(node) if isinstance(x, n.Var))


# Functionals of a law written with its random variables as arguments: I(x; z), H(z), H(x|z).
# Their arguments name the variables whose law is meant, not values at a point.
LAW_FUNCTIONALS = {"I", "H", "MI"}


def _free_names(node):
    """Names used in an expression, outside the variables of densities and distributions."""
    if isinstance(node, (n.Density,)):
        return
    if isinstance(node, n.Normal):
        for part in (node.mean, node.cov):
            yield from _free_names(part)
        return
    if isinstance(node, (n.Var, n.FuncApp)):
        yield node
        if isinstance(node, n.FuncApp) and node.name not in LAW_FUNCTIONALS:
            for a in node.args:
                yield from _free_names(a)
        return
    if isinstance(node, n.BigOp):
        for part in (node.lower, node.upper, node.body):
            if part is not None:
                yield from _free_names(part)
        return
    if isinstance(node, n.Integral):
        yield from _free_names(node.body)
        return
    if isinstance(node, n.Node):
        for f in node.__dataclass_fields__:
            yield from _free_names(getattr(node, f))
    elif isinstance(node, tuple):
        for x in node:
            yield from _free_names(x)


def _opaque(x: n.Node) -> bool:
    """A name that stands for something defined in words or not at all: an objective (L_VLB,
    \\mathcal{L}, ELBO), a constant (C), a capital-letter quantity."""
    if not isinstance(x, (n.Var, n.FuncApp)):
        return False
    marks = set(getattr(x, "marks", ()))
    if marks & {"cal", "scr", "frak", "bb"}:
        return True
    name = x.name
    if isinstance(x, n.FuncApp) and _learned(x):
        return False
    if len(name) > 1 and name not in _GREEK and name not in {"infty", "pi"}:
        return True
    return name.isupper() and name not in {"I"} and not (name in COUNT_NAMES and x.index is None)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
          "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
