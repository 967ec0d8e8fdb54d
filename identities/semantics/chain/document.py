"""The chain semantics of one document: what its rows define, which family judges a step, and the
outcome of that judgment.

Rows are read in order. A row that factorises a joint over indexed variables, gives a factor of
such a joint its Gaussian law, or names a function (mu_q(x_t, x_0) = ...) is a definition: it is
recorded, never judged. Every other step that uses the chain's notation is judged by one of two
families, and only by them (the single-latent families do not know indexed variables):
- the schedule algebra when both sides are plain algebra (symbolic proof for a generic t);
- the linear-Gaussian chain when a side needs the model (densities, expectations, KL terms,
  scores, random noises): checked on instances at T = 1..4.
"""

from __future__ import annotations

from elbo_suite.identities.checks import DEFINITION, REFUTED, UNVERIFIED, VERIFIED, Outcome
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.semantics.bindings import (Bindings, Constraint, Definition, head_of,
                                                      is_learned, is_noise, walk)
from elbo_suite.identities.semantics.chain.family import (NAME as CHAIN, ChainResult,
                                                          MarkovChainFamily, RowContext)
from elbo_suite.identities.semantics.chain.indices import index_value, is_index_expression
from elbo_suite.identities.semantics.errors import NotApplicable
from elbo_suite.identities.semantics.chain.model import ChainSpec, Law, Letter, factorisation
from elbo_suite.identities.semantics.evaluate import render
from elbo_suite.identities.semantics.schedule import NAME as SCHEDULE, ScheduleFamily, needs_model

_SCHEDULE_NAMES = {"alpha", "beta"}
_UNMODELLED = {"sigma", "gamma", "lambda", "tau", "kappa"}


class ChainDocument:
    def __init__(self):
        self.spec = ChainSpec()
        self.bindings = Bindings()
        self.chain = MarkovChainFamily(self.spec, self.bindings)
        self.schedule = ScheduleFamily(self.bindings, self.spec)
        self.indexed = False  # the document writes indexed variables or a schedule somewhere
        self.judged_by: str | None = None  # the family that judged the last row (judge())

    # -- the whole document, before any row is judged ------------------------------------------
    def prescan(self, rows: list[n.Row]) -> None:
        # names inside densities are the model's random variables, never noises
        modelled = {v.name for row in rows for part in row.parts if part is not None
                    for x in walk(part) if isinstance(x, n.Density)
                    for v in x.variables + x.given if isinstance(v, n.Var)}
        for row in rows:
            declared = [c.variable for c in row.clauses if _centred_gaussian(c.dist)]
            sides = [c.statement for c in getattr(row, "conditions", ())]
            declared += [x.variable for x in sides if isinstance(x, n.Sampling) and _centred_gaussian(x.dist)]
            if any(_centred_gaussian(c.dist) for c in row.clauses):
                # "where z_{t-1}, z_{t-2}, ... ~ N(0, I)": the listed variables are the noises
                declared += [x for x in sides if type(x).__name__ == "Tuple"]
            if row.relations and row.relations[0] == "~" and row.parts[0] is not None and \
                    _centred_gaussian(row.parts[1]):
                declared.append(row.parts[0])
            for variable in declared:
                names = [x for x in (variable.items if type(variable).__name__ == "Tuple" else (variable,))
                         if isinstance(x, n.Var)]
                for x in names:
                    if x.name not in modelled:
                        self.bindings.declare_noise(n.Var(x.name))
            for part in row.parts:
                if part is None:
                    continue
                self.bindings.learn_signatures(part)
                if _chain_notation(part):
                    self.indexed = True

    @property
    def active(self) -> bool:
        return self.indexed and (self.spec.defined() or bool(self.spec.laws) or
                                 bool(self.bindings.definitions))

    # -- definitions ---------------------------------------------------------------------------
    def definition(self, row: n.Row, label: str) -> Outcome | None:
        if len(row.relations) != 1 or row.relations[0] not in {"=", ":="} or row.parts[0] is None:
            return None
        left, right = row.parts
        found = factorisation(left, right)
        if found is not None and self._same_model(left, found):
            found = None  # the model written again: a claim about it
        if found is not None:
            # a new factorisation of a letter starts a new model (the HVAE's q, then the VDM's q)
            variables, given, factors = found
            self.spec.letters[left.kind] = Letter(left.kind, variables, given, factors, label)
            self.chain.reset()
            return Outcome(DEFINITION, f"model: {render(left)} factorises as a Markov chain into "
                           f"{len(factors)} kinds of factor; later rows use this joint",
                           [f"{render(left)} = {render(right)}"])
        if isinstance(left, n.Density) and isinstance(right, n.Normal) and self._is_law(left):
            self.spec.laws.append(Law(left, right, label))
            self.chain.reset()
            return Outcome(DEFINITION, f"model: the factor {render(left)} has the Gaussian law "
                           f"{render(right)}; later rows use it", [])
        if not self.indexed:
            return None
        if isinstance(left, n.Pow) and isinstance(left.base, n.Var) and \
                (left.base.name in self.spec.names or left.base.name in _SCHEDULE_NAMES):
            return None  # x_t^2 = ..., alpha_t^2 = ...: claims about the chain
        item = self.bindings.definition_of_row(left, right, label)
        if item is None:
            return None
        self.bindings.add(item)
        self.chain.reset()
        if isinstance(item, Constraint):
            name = render(item.pattern)
            return Outcome(DEFINITION, f"names a learned function: {name} is fixed by this row "
                           "(later rows solve it for its value)", [])
        name = render(left)
        verb = "re-parameterises" if any(is_learned(x) for x in walk(right)
                                          if isinstance(x, (n.FuncApp, n.Var))) else "defines"
        return Outcome(DEFINITION, f"notation: {verb} {name} for later rows", [f"{name} := {render(right)}"])

    def _same_model(self, left: n.Density, found) -> bool:
        letter = self.spec.letters.get(left.kind)
        if letter is None:
            return False
        variables, given, factors = found
        return [render(v) for v in letter.variables + letter.given] == \
            [render(v) for v in variables + given] and \
            [(render(f.density), f.index, render(f.lower), render(f.upper)) for f in letter.factors] == \
            [(render(f.density), f.index, render(f.lower), render(f.upper)) for f in factors]

    def claimed(self, row: n.Row) -> bool:
        """A row the roles would take for a definition but the chain's notation makes a claim:
        bar alpha at a generic step is the schedule's running product, never a new name."""
        if not self.active or not row.relations or row.parts[0] is None:
            return False
        left = row.parts[0]
        if isinstance(left, n.Density) and self.derived(left):
            return True  # a law of the chain's own joint: derived, so checked
        if isinstance(left, n.FuncApp) and head_of(left) in self.bindings.definitions and \
                len(row.parts) > 1 and row.parts[1] is not None and \
                self.bindings.definition_of_row(left, row.parts[1], "") is None:
            return True  # mu_q(x_t, x_0) written again: checked against its definition
        if isinstance(left, n.Var) and left.name in self.spec.names and not row.clauses and \
                self.spec.defined() and not any(is_noise(x, self.bindings.noise_names) and self.bindings.noise(x) is None
                                                for p in row.parts[1:] if p is not None for x in walk(p)):
            return True  # a chain variable has its law from the model; x_0 = ... is a claim
        return isinstance(left, n.Var) and left.name == "alpha" and \
            "bar" in getattr(left, "marks", ()) and left.index is not None and \
            any(isinstance(x, n.Var) and x.index is None and x.name != "T" for x in walk(left.index))

    def derived(self, density: n.Node) -> bool:
        """A density of a defined chain that is not one of its factors: its law is a claim."""
        return isinstance(density, n.Density) and self.spec.letter_of(density) is not None and \
            any(isinstance(v, n.Var) and v.index is not None for v in density.variables + density.given) \
            and not self._is_law(density)

    def _is_law(self, density: n.Density) -> bool:
        """A Gaussian law for a factor of a joint (or for a one-step transition) is a modelling
        choice; for any other density of a defined joint it is a claim to check."""
        if not any(isinstance(v, n.Var) and v.index is not None for v in density.variables + density.given):
            return False
        if self.spec.is_factor(density):
            return True
        letter = self.spec.letter_of(density)
        if letter is None:
            return _transition(density)
        return False

    def sampling_law(self, row: n.Row, label: str) -> Outcome | None:
        """'x_t = a x_{t-1} + b eps': when the chain gives x_t's step no Gaussian law yet, this
        sampling rule is that law (a definition), N(x_t; a x_{t-1}, b^2)."""
        if not self.spec.defined() or len(row.relations) != 1 or row.relations[0] != "=":
            return None
        subject, recipe = row.parts[0], row.parts[1]
        if not (isinstance(subject, n.Var) and subject.name in self.spec.names and subject.index is not None):
            return None
        split = _noise_split(recipe, self.bindings.noise_names)
        if split is None:
            return None
        rest, scale = split
        parents = tuple(dict.fromkeys(x for x in walk(rest) if isinstance(x, n.Var) and x.name in self.spec.names
                                      and x.index is not None))
        density = n.Density("q", None, (subject,), parents)
        letter = self.spec.letter_of(density)
        if letter is None or not self.spec.is_factor(density):
            return None  # not one step of a defined chain: the rule is checked, not adopted
        if any(law.density.kind == "q" for law in self.spec.laws):
            return None  # the forward step already has a law: this rule is checked against it
        normal = n.Normal(subject, rest, n.Pow(scale, n.Num("2")), ";")
        self.spec.laws.append(Law(_pattern_of(letter, density), normal, label))
        self.chain.reset()
        return Outcome(DEFINITION, f"model: the sampling rule gives the forward step its law "
                       f"N({render(rest)}, ({render(scale)})^2); later rows use it", [])

    def first_binding(self, row: n.Row, label: str):
        """For a row 'name = value = ...': the binding its first relation makes, if the chain's
        bindings read it as one (sigma^2 = 1/A = ..., mu_theta(x_t, t) = ... = ...)."""
        if not self.indexed or len(row.relations) < 2 or row.relations[0] != "=" or row.parts[0] is None:
            return None
        item = self.bindings.definition_of_row(row.parts[0], row.parts[1], label)
        if item is None or not isinstance(item, Definition):
            return None
        self.bindings.add(item)
        self.chain.reset()
        return item

    def declare(self, row: n.Row) -> None:
        """'with eps ~ N(0, I)': the row's noise is a fresh one, whatever an earlier rule named."""
        for clause in row.clauses:
            if is_noise(clause.variable, self.bindings.noise_names):
                self.bindings.forget_noise(clause.variable)
                self.chain.reset()

    def note_annotations(self, row: n.Row, label: str) -> None:
        for part in row.parts:
            for x in walk(part):
                if isinstance(x, n.Annotated):
                    note = getattr(x, "label", None)
                    if isinstance(note, n.Node):
                        item = self.bindings.name_from_annotation(note, _strip_identity(x.body), label)
                        if item is not None:
                            self.bindings.add(item)
                            self.chain.reset()

    def note_learned(self, row: n.Row) -> None:
        for part in row.parts:
            if part is not None:
                self.bindings.note_learned(part)

    def end_block(self, rows: list[tuple[n.Row, str]]) -> None:
        """Noises named by the block's sampling rules become available to later blocks."""
        subject = None
        for row, label in rows:
            for clause in row.clauses:
                if is_noise(clause.variable, self.bindings.noise_names):
                    self.bindings.forget_noise(clause.variable)
            if row.parts and row.parts[0] is not None:
                subject = row.parts[0]
            if not (isinstance(subject, n.Var) and subject.name in self.spec.names):
                continue
            for rel, part in zip(row.relations, row.parts[1:]):
                if rel == "=" and part is not None and any(is_noise(x, self.bindings.noise_names) for x in walk(part)):
                    if self.bindings.learn_noise(subject, part, label):
                        self.chain.reset()

    # -- judging -------------------------------------------------------------------------------
    def applies(self, *nodes: n.Node) -> bool:
        return self.active and any(_chain_notation(x) or self._named(x) or _gaussian_kl(x)
                                   for x in nodes if x is not None)

    def _named(self, node: n.Node) -> bool:
        return any(isinstance(x, (n.FuncApp, n.Var)) and head_of(x) in self.bindings.definitions
                   for x in walk(node))

    def judge(self, left: n.Node, relation: str, right: n.Node, subject: n.Node | None,
              label: str) -> Outcome:
        if type(left).__name__ == "Dots" and subject is not None:
            left = subject  # x_t = ... = \dots = rhs: the row after the gap continues from x_t
        if type(right).__name__ == "Dots":
            return Outcome(UNVERIFIED, "the row elides its terms (\\dots): nothing to check",
                           category="undecided")
        fresh = self._forward_noises(subject, right)
        if fresh:
            # "x_{t-1} = sqrt(abar_{t-1}) x_0 + sqrt(1 - abar_{t-1}) z_{t-1}": a new sampling rule
            # from earlier variables; its noise is a fresh one, whatever an earlier rule named so
            with self.bindings.hidden(fresh):
                self.chain.reset()
                try:
                    return self.judge(left, relation, right, subject, label)
                finally:
                    self.chain.reset()
        model = needs_model(left, self.bindings) or needs_model(right, self.bindings)
        results: list[ChainResult] = []
        self.judged_by = None
        if not model and relation == "=":
            results.append(self.schedule.judge(left, relation, right))
            self.judged_by = SCHEDULE
            if results[-1].status in {"proved", "refuted"}:
                return _outcome(results[-1], SCHEDULE, relation)
        if self.spec.defined():
            self.judged_by = CHAIN
            results.append(self.chain.judge(left, relation, right, RowContext(subject, label)))
            return _outcome(results[-1], CHAIN, relation, results[:-1])
        if results:
            return _outcome(results[-1], SCHEDULE, relation)
        return Outcome(UNVERIFIED, f"the row needs the model ({model}), but the document defines no "
                       "joint density of its chain", [])


    def unmodelled(self, left: n.Node, right: n.Node, bound) -> list[str]:
        """Schedule-like symbols the chain does not model and the document does not define
        (sigma_t, gamma_t, lambda_t): a counterexample that sets them freely proves nothing."""
        out = []
        for x in list(walk(left)) + list(walk(right)):
            if isinstance(x, n.Var) and x.name in _UNMODELLED and x.index is not None and \
                    head_of(x) not in bound and head_of(x) not in self.bindings.definitions:
                out.append(f"{render(x)} is a schedule quantity the document does not define")
        return list(dict.fromkeys(out))

    def _forward_noises(self, subject, right) -> set:
        """Keys of bound noises in `right` when `subject = right` samples the subject from earlier
        chain variables (a forward rule); empty otherwise (solving for an earlier variable, as in
        x_0 = (x_t - sqrt(1 - abar_t) eps_0)/sqrt(abar_t), keeps the named noise)."""
        if not (isinstance(subject, n.Var) and subject.name in self.spec.names and subject.index is not None):
            return set()
        noises = {self.bindings.noise_key(x) for x in walk(right)
                  if is_noise(x, self.bindings.noise_names) and self.bindings.noise(x) is not None}
        if not noises:
            return set()
        env = {"T": 9}
        for x in walk(subject.index):
            if isinstance(x, n.Var) and x.index is None:
                env.setdefault(x.name, 5)
        try:
            mine = index_value(subject.index, env)
            others = [x for x in walk(right) if isinstance(x, n.Var) and x.name in self.spec.names
                      and x.index is not None and not isinstance(x.index, n.Slice)]
            for x in others:
                for y in walk(x.index):
                    if isinstance(y, n.Var) and y.index is None:
                        env.setdefault(y.name, 5)
            if all(index_value(x.index, env) < mine for x in others):
                return noises
        except NotApplicable:
            return set()
        return set()

    def judge_argmin(self, left: n.Argmax, right: n.Argmax) -> Outcome:
        """arg min = arg min outside any chain: the objectives compared in the schedule algebra,
        learned quantities as free symbols."""
        self.judged_by = SCHEDULE
        return _outcome(self.schedule.judge(left, "=", right), SCHEDULE, "=")


def _outcome(result: ChainResult, family: str, relation: str, earlier=()) -> Outcome:
    details = [f"[{family}] {result.status}: {result.note}"] + result.details + [
        f"[{SCHEDULE}] {r.status}: {r.note}" for r in earlier]
    if result.status == "proved":
        if family == SCHEDULE:
            evidence = f"'{relation}' proved symbolically in the {family}: {result.note}"
        else:
            evidence = f"'{relation}' holds on the {family}: {result.note}"
        return Outcome(VERIFIED, evidence, details)
    if result.status == "refuted":
        return Outcome(REFUTED, f"counterexample: {result.note}", details, weaker=result.weaker)
    if result.status == "n/a":
        return Outcome(UNVERIFIED, f"outside the model families: {result.note}", details)
    return Outcome(UNVERIFIED, f"could not decide: {result.note}", details)


def _centred_gaussian(node) -> bool:
    return isinstance(node, n.Normal) and isinstance(node.mean, n.Num) and node.mean.value == "0"


def _noise_split(recipe: n.Node, names):
    """(rest, scale) of rest + scale * noise, or None."""
    terms = recipe.terms if isinstance(recipe, n.Add) else (recipe,)
    noisy = [t for t in terms if any(is_noise(x, names) for x in walk(t))]
    if len(noisy) != 1:
        return None
    term = noisy[0]
    factors = term.factors if isinstance(term, n.Mul) else (term,)
    noises = [f for f in factors if is_noise(f, names)]
    if len(noises) != 1:
        return None
    others = tuple(f for f in factors if not is_noise(f, names))
    scale = others[0] if len(others) == 1 else (n.Mul(others) if others else n.Num("1"))
    rest_terms = tuple(t for t in terms if t is not term)
    rest = (rest_terms[0] if len(rest_terms) == 1 else n.Add(rest_terms)) if rest_terms else n.Num("0")
    return rest, scale


def _shape_of(d: n.Density) -> tuple:
    return (d.kind, tuple(render(v) for v in d.variables), tuple(render(v) for v in d.given))


def _pattern_of(letter, density: n.Density) -> n.Density:
    """The letter's own factor pattern the sampling rule's density matches (same shape)."""
    for f in letter.factors:
        d = f.density
        if d.kind == density.kind and len(d.variables) == len(density.variables) and \
                len(d.given) == len(density.given) and _shape_of(d) == _shape_of(density):
            return d
    return density


def _transition(density: n.Density) -> bool:
    """q(x_t | x_{t-1}), p(x_{t-1} | x_t), p(x_T): one indexed variable, at most one parent."""
    if len(density.variables) != 1 or len(density.given) > 1:
        return False
    v = density.variables[0]
    return isinstance(v, n.Var) and v.index is not None and is_index_expression(v.index) and \
        not isinstance(v.index, n.Slice)


def _chain_notation(node: n.Node) -> bool:
    for x in walk(node):
        if isinstance(x, n.Var) and x.index is not None and not isinstance(x.index, n.Var) and \
                is_index_expression(x.index):
            return True
        if isinstance(x, n.Var) and x.index is not None and isinstance(x.index, n.Var) and \
                x.index.name in {"t", "T", "s", "i", "k"}:
            return True
        if isinstance(x, n.Var) and x.name in _SCHEDULE_NAMES and x.index is not None:
            return True
    return False


def _gaussian_kl(node: n.Node) -> bool:
    """KL between two written Gaussians: the chain family computes it in closed form."""
    return any(isinstance(x, n.KL) and isinstance(x.left, n.Normal) and isinstance(x.right, n.Normal)
               for x in walk(node))


def _strip_identity(node: n.Node) -> n.Node:
    """(1-a)(1-b)/(1-c) I names its scalar times the identity; keep it as written."""
    return node
