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
from elbo_suite.identities.semantics.chain.indices import is_index_expression
from elbo_suite.identities.semantics.chain.model import ChainSpec, Law, Letter, factorisation
from elbo_suite.identities.semantics.evaluate import render
from elbo_suite.identities.semantics.schedule import NAME as SCHEDULE, ScheduleFamily, needs_model

_SCHEDULE_NAMES = {"alpha", "beta"}


class ChainDocument:
    def __init__(self):
        self.spec = ChainSpec()
        self.bindings = Bindings()
        self.chain = MarkovChainFamily(self.spec, self.bindings)
        self.schedule = ScheduleFamily(self.bindings)
        self.indexed = False  # the document writes indexed variables or a schedule somewhere

    # -- the whole document, before any row is judged ------------------------------------------
    def prescan(self, rows: list[n.Row]) -> None:
        for row in rows:
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
        if isinstance(left, n.Var) and left.name in self.spec.names and not row.clauses and \
                self.spec.defined() and not any(is_noise(x) and self.bindings.noise(x) is None
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

    def declare(self, row: n.Row) -> None:
        """'with eps ~ N(0, I)': the row's noise is a fresh one, whatever an earlier rule named."""
        for clause in row.clauses:
            if is_noise(clause.variable):
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
                if is_noise(clause.variable):
                    self.bindings.forget_noise(clause.variable)
            if row.parts and row.parts[0] is not None:
                subject = row.parts[0]
            if not (isinstance(subject, n.Var) and subject.name in self.spec.names):
                continue
            for rel, part in zip(row.relations, row.parts[1:]):
                if rel == "=" and part is not None and any(is_noise(x) for x in walk(part)):
                    if self.bindings.learn_noise(subject, part, label):
                        self.chain.reset()

    # -- judging -------------------------------------------------------------------------------
    def applies(self, *nodes: n.Node) -> bool:
        return self.active and any(_chain_notation(x) or self._named(x) for x in nodes if x is not None)

    def _named(self, node: n.Node) -> bool:
        return any(isinstance(x, (n.FuncApp, n.Var)) and head_of(x) in self.bindings.definitions
                   for x in walk(node))

    def judge(self, left: n.Node, relation: str, right: n.Node, subject: n.Node | None,
              label: str) -> Outcome:
        model = needs_model(left, self.bindings) or needs_model(right, self.bindings)
        results: list[ChainResult] = []
        if not model and relation == "=":
            results.append(self.schedule.judge(left, relation, right))
            if results[-1].status in {"proved", "refuted"}:
                return _outcome(results[-1], SCHEDULE, relation)
        if self.spec.defined():
            results.append(self.chain.judge(left, relation, right, RowContext(subject, label)))
            return _outcome(results[-1], CHAIN, relation, results[:-1])
        if results:
            return _outcome(results[-1], SCHEDULE, relation)
        return Outcome(UNVERIFIED, f"the row needs the model ({model}), but the document defines no "
                       "joint density of its chain", [])


    def judge_argmin(self, left: n.Argmax, right: n.Argmax) -> Outcome:
        """arg min = arg min outside any chain: the objectives compared in the schedule algebra,
        learned quantities as free symbols."""
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


def _strip_identity(node: n.Node) -> n.Node:
    """(1-a)(1-b)/(1-c) I names its scalar times the identity; keep it as written."""
    return node
