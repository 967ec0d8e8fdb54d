"""Verify a document: read its display rows, parse them, and judge every row.

A row whose left side is empty continues the chain of its block: it claims that the previous
row's right side stands in its relation to its own right side. When the previous row was
refuted, the row is also checked against the last row of the chain that holds (the anchor),
through the composed relation, and takes that verdict; so one wrong step yields one refutation,
and a later correct step is not blamed for it. Modelling rows ('density = N(...)') are recorded
as definitions and followed by the families in later rows.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import sympy as sp

import sympy.core.random as sympy_random

from elbo_suite.identities import budget, checks, roles
from elbo_suite.identities.budget import Budget, ProgressCallback
from elbo_suite.identities.budget import run as budget_run
from elbo_suite.identities.checks import DEFINITION, REFUTED, UNVERIFIED, VERIFIED, Outcome
from elbo_suite.identities.errors import CannotParse, DocumentTooLarge
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.latex.macros import MacroTable
from elbo_suite.identities.reader import DisplayRow, read_document, read_path
from elbo_suite.identities.repair import repair
from elbo_suite.identities.repair.search import harvest
from elbo_suite.identities.semantics.chain.document import ChainDocument
from elbo_suite.identities.semantics.chain.family import NAME as CHAIN_FAMILY
from elbo_suite.identities.semantics.data_averaged import DataAveragedFamily
from elbo_suite.identities.semantics.discrete import DiscreteFamily
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable, NotClosed
from elbo_suite.identities.semantics.evaluate import Context, render, var_key
from elbo_suite.identities.semantics.gaussian import LinearGaussianFamily
from elbo_suite.identities.semantics.numeric import canonical
from elbo_suite.identities.semantics.symbols import doc_symbol
from elbo_suite.identities.verdict import DocumentVerification, RowVerdict

_COMPOSE = {("=", "="): "=", ("=", ">="): ">=", (">=", "="): ">=", (">=", ">="): ">=",
            ("=", "<="): "<=", ("<=", "="): "<=", ("<=", "<="): "<=",
            ("=", "∝"): "∝", ("∝", "="): "∝", ("∝", "∝"): "∝", ("=", "~"): "~"}


# Logical connectives between statements (latex/nodes.Row.relations): not relations between values.
CONNECTIVES = {"⇒", "⇐", "⇔", "∴", "∵"}


def compose(a: str | None, b: str) -> str | None:
    if a is None:
        return b
    return _COMPOSE.get((a, b))


class _Verifier:
    def __init__(self, renderer: str | None = None, row_seconds: float = budget.DEFAULT.seconds):
        self.renderer = renderer  # the numbering conventions to read the document under
        self.row_seconds = row_seconds  # the CPU budget of one row (budget.Budget.seconds)
        self.row_started = 0.0  # CPU clock when the current row started
        self.families = [LinearGaussianFamily(), DiscreteFamily(), DataAveragedFamily()]
        self.gaussian_definitions: dict[str, tuple[str, sp.Expr, sp.Expr]] = {}  # var -> (label, mean, var)
        self.macros = MacroTable()  # the document's own definitions, expanded before parsing
        self.known = roles.Known()  # what the rows so far define (roles.py)
        self.index: int | None = None  # the row being judged, 0-based in the document
        self.document = ChainDocument()  # indexed chains: definitions, schedule algebra, chain family
        self.subject: n.Node | None = None  # the expression the current chain of rows starts from
        self.label = ""
        self.block_texts: list[str] = []  # the rows of the current block so far (repair's context)
        self.recent_texts: list[str] = []  # the last rows before this block (repair's context too)
        self.screening = False  # inside the repair search's cheap pre-check
        self.step_labels: tuple[str, ...] = ()  # the labels of the relations being followed (Row.labels)
        self.step_label = ""  # the label of the relation being judged: =_{const}, \overset{(i)}{=}

    # -- a relation between two expressions ---------------------------------------------------
    def judge(self, left: n.Node, rel: str, right: n.Node) -> Outcome:
        if self.document.applies(left, right, self.subject):
            return self.document.judge(left, rel, right, self.subject, self.label)
        if rel == "=" and isinstance(left, n.Argmax) and isinstance(right, n.Argmax):
            return self.document.judge_argmin(left, right)
        if rel == "=":
            return self.equal(left, right)
        if rel in {">=", "<="}:
            return checks.combine(checks.check_inequality(self.families, left, rel, right), rel)
        if rel == "≈":
            return checks.check_estimator(self.families, left, right,
                                          compare_maximisers=not self.screening)
        if rel in {"<", ">"}:
            out = checks.combine(checks.check_inequality(self.families, left, rel, right), rel)
            if out.verdict == VERIFIED:
                return Outcome(UNVERIFIED, "the non-strict form holds, strictness not checked: "
                               + out.evidence, out.details)
            return out
        return Outcome(UNVERIFIED, f"relation '{rel}' is not checked", [])

    def equal(self, left: n.Node, right: n.Node) -> Outcome:
        """'=', or '= up to a term free of the learned parameters' where the row says so (a '+ const'
        term, a relation labelled =_{const} or \\overset{c}{=})."""
        bare_left, dropped_left = checks.without_constants(left)
        bare_right, dropped_right = checks.without_constants(right)
        if not (dropped_left or dropped_right or checks.states_a_constant(self.step_label)):
            return checks.combine(checks.check_equal(self.families, left, right), "=")
        weak = checks.combine(checks.check_up_to_constant(self.families, bare_left, bare_right), "=")
        said = "as the row states with its '+ const'" if dropped_left or dropped_right else \
            f"as the row states ('{self.step_label}')"
        if weak.verdict in {VERIFIED, REFUTED}:
            what = "holds" if weak.verdict == VERIFIED else "fails"
            return Outcome(weak.verdict, f"'=' up to a term free of the learned parameters, {said}, {what}: "
                           + weak.evidence.removeprefix("counterexample: "), weak.details, category=weak.category)
        strong = checks.combine(checks.check_equal(self.families, bare_left, bare_right), "=")
        if strong.verdict == VERIFIED:
            return strong
        return Outcome(UNVERIFIED, f"'=' up to a term free of the learned parameters, {said}: {weak.evidence}",
                       weak.details + strong.details, category=weak.category)

    # -- rows of special shape ----------------------------------------------------------------
    def definition(self, row: n.Row, label: str) -> Outcome:
        density, normal = row.parts[0], row.parts[1]
        notes = [f.define(density, normal) for f in self.families]
        key = render(density)
        try:
            mean = self.families[0].scalar(self.families[0].evaluate(normal.mean))
            cov = self.families[0].scalar(self.families[0].evaluate(normal.cov))
            self.gaussian_definitions.setdefault(var_key(density.variables[0]), [])
            self.gaussian_definitions[var_key(density.variables[0])].append(
                (label, density, mean, cov))
        except (NotClosed, NotApplicable):
            pass
        return Outcome(DEFINITION, f"modelling choice: {key} is defined as {render(normal)}; "
                       "later rows use it", [f"[{f.name}] {note}" for f, note in zip(self.families, notes)])

    def reparameterisation(self, row: n.Row, label: str) -> Outcome:
        """'v = A + B ε with ε ~ N(μ, Σ)': the law of v by change of variables, compared with a
        density defined earlier for v when there is one."""
        target, expr = row.parts[0], row.parts[1]
        noise = row.clauses[0]
        if not isinstance(noise.dist, n.Normal):
            return Outcome(UNVERIFIED, f"noise distribution {render(noise.dist)} is not a Gaussian")
        eps_name = var_key(noise.variable)
        gauss = self.families[0]
        eps = doc_symbol("noise:" + eps_name)
        try:
            noise_mean = gauss.scalar(gauss.evaluate(noise.dist.mean))
            noise_var = gauss.scalar(gauss.evaluate(noise.dist.cov))
            value = _affine(expr, eps_name, eps)
        except (NotClosed, NotApplicable, Divergent, CannotParse) as exc:
            return Outcome(UNVERIFIED, f"cannot read the reparameterisation: {exc}")
        poly = sp.Poly(sp.expand(value), eps)
        if poly.degree() > 1:
            return Outcome(UNVERIFIED, f"{render(expr)} is not affine in {eps_name}: no Gaussian law "
                           "by a linear change of variables")
        scale = poly.coeff_monomial(eps)
        shift = poly.coeff_monomial(1)
        mean = sp.simplify(shift + scale * noise_mean)
        var = sp.simplify(scale ** 2 * noise_var)
        notes = list(row.notes)
        law = f"N({sp.sstr(mean)}, {sp.sstr(var)})"
        if noise.dist.variable is not None and var_key(noise.dist.variable) != eps_name:
            notes.append(f"the noise density is written over {var_key(noise.dist.variable)}, "
                         f"not {eps_name}")
        method = (f"change of variables: {var_key(target)} = {sp.sstr(shift)} + {sp.sstr(scale)}·{eps_name} "
                  f"with {eps_name} ~ N({sp.sstr(noise_mean)}, {sp.sstr(noise_var)}) has law {law}")
        candidates = self.gaussian_definitions.get(var_key(target), [])
        used = {str(s) for s in (mean.free_symbols | var.free_symbols)}
        matching = [c for c in candidates
                    if all(any(f"({var_key(g)})" in u or u == var_key(g) for u in used)
                           for g in c[1].given)]
        if not matching and candidates:
            # The variable already has a law; a sampling rule that cannot be matched with it
            # must not pass as a new definition.
            labels = ", ".join(c[0] for c in candidates)
            return Outcome(UNVERIFIED, f"{method}; {var_key(target)} already has a Gaussian law from "
                           f"{labels}, but this row's parameters do not name what it is conditioned on, "
                           "so the two cannot be matched", [method] + notes)
        if not matching:
            return Outcome(DEFINITION, f"reparameterisation: defines {var_key(target)} by {method}",
                           [method] + notes)
        best = max(matching, key=lambda c: len(c[1].given))
        ref_label, density, ref_mean, ref_var = best
        same = canonical(mean - ref_mean) == 0 and canonical(var - ref_var) == 0
        ref = f"{render(density)} = N({sp.sstr(ref_mean)}, {sp.sstr(ref_var)}) of {ref_label}"
        if same:
            return Outcome(VERIFIED, f"{method} = {ref} (Gaussian family, affine change of variables)",
                           [method, f"matches {ref}"] + notes)
        free = sorted(mean.free_symbols | var.free_symbols | ref_mean.free_symbols |
                      ref_var.free_symbols, key=lambda s: s.name)
        point = {s: (sp.Rational(1, 2) * (k + 2) if s.is_positive else sp.Rational(k + 1, 3))
                 for k, s in enumerate(free)}
        where = ", ".join(f"{s.name}={point[s]}" for s in free)
        cex = (f"at {where}: the law is N({sp.sstr(mean.xreplace(point))}, "
               f"{sp.sstr(var.xreplace(point))}) but {ref_label} gives N({sp.sstr(ref_mean.xreplace(point))}, "
               f"{sp.sstr(ref_var.xreplace(point))})")
        if mean.xreplace(point) == ref_mean.xreplace(point) and var.xreplace(point) == ref_var.xreplace(point):
            return Outcome(UNVERIFIED, f"{method}; could not match it with {ref}", [method] + notes)
        return Outcome(REFUTED, f"counterexample: {cex}", [method, f"differs from {ref}", cex] + notes)

    # -- the document -------------------------------------------------------------------------
    def run(self, text: str, source: str, renderer: str | None = None, *, on_header=None,
            on_start=None, on_row=None, skip: dict[int, str] | None = None) -> DocumentVerification:
        """Judge every row in order. The hooks let budget.py watch each row (``on_start(k)``,
        ``on_row(k, verdict)``) and resume after a row it stopped (``skip``: row -> why)."""
        read = read_document(text, renderer=renderer if renderer is not None else self.renderer)
        self.macros = read.macros
        doc = DocumentVerification(source, conventions=read.conventions.describe(),
                                   warnings=list(read.warnings))
        drows = read.rows
        parsed = [_parse(drow.tex, self.macros) for drow in drows]
        # Names a later row defines ("where L_T = ...") are not refuted through before then.
        self.known.later = roles.prepass([p if isinstance(p, n.Row) else None for p in parsed])
        self.document.prescan([p for p in parsed if isinstance(p, n.Row)])
        if on_header is not None:
            on_header({"source": source, "rows": [_base(drow) for drow in drows],
                       "conventions": doc.conventions, "warnings": list(doc.warnings)})
        k = 0
        chain: list[tuple[n.Node, str | None, str, str]] = []  # (expr, relation into it, verdict, label)
        for block in read.blocks:
            # A block that opens with '= ...' right after another (no prose between) continues it.
            first = parsed[k] if block.rows else None
            if not (isinstance(first, n.Row) and first.parts and first.parts[0] is None
                    and not block.rows[0].prose.strip()):
                chain = []
            self.recent_texts = (self.recent_texts + self.block_texts)[-16:]
            self.block_texts = []
            done = []
            for drow in block.rows:
                if skip and k in skip:
                    chain.clear()
                    verdict = budget.timed_out(_base(drow), budget.DEFAULT, skip[k])
                else:
                    if on_start is not None:
                        on_start(k)
                    verdict = self.safe_row(drow, chain, parsed[k], k)
                doc.rows.append(verdict)
                if on_row is not None:
                    on_row(k, verdict)
                self.block_texts.append(drow.tex)
                if isinstance(parsed[k], n.Row):
                    done.append((parsed[k], verdict.label))
                k += 1
            self.document.end_block(done)
        return doc

    def safe_row(self, drow: DisplayRow, chain: list, parsed, index: int) -> RowVerdict:
        """row(), failing alone: whatever goes wrong in one row is that row's unverified verdict."""
        sympy_random.seed(index)  # Wang's factorisation draws random points: same work every run
        self.row_started = time.process_time()
        try:
            return self.row(drow, chain, parsed, index)
        except budget.RowTimeout as exc:
            chain.clear()
            return budget.timed_out(_base(drow), budget.DEFAULT, str(exc))
        except RecursionError:
            chain.clear()
            what = "undecided: the expression is nested too deeply to evaluate"
        except MemoryError:
            chain.clear()
            return budget.timed_out(_base(drow), budget.DEFAULT,
                                    "timed out: the evaluation ran out of the row's memory budget")
        except NotClosed as exc:  # limits.TooLarge and other 'no closed form' from deep inside
            chain.clear()
            what = f"undecided: {exc}"
        except Exception as exc:  # a bug: reported on the row, never out of the document
            chain.clear()
            what = f"undecided: could not judge this row ({type(exc).__name__}: {exc})"
        return RowVerdict(relation="", verdict=UNVERIFIED, evidence=what, details=what,
                          category="undecided", **_base(drow))

    def row(self, drow: DisplayRow, chain: list, parsed=None, index: int | None = None) -> RowVerdict:
        base = _base(drow)
        label = base["label"]
        self.label = label
        self.index = index
        row = parsed if parsed is not None else _parse(drow.tex, self.macros)
        if isinstance(row, CannotParse):
            chain.clear()
            return RowVerdict(relation="", verdict=UNVERIFIED, evidence=str(row),
                              details=f"{row}\nrow: {drow.tex}", category="cannot parse", **base)
        relation = row.relations[0] if row.relations else ""
        notes = list(row.notes)
        self.known.observe(row)
        role = roles.role_of(row, self.known, roles.hint_of(drow.tex, getattr(drow, "prose", "")))

        def finish(outcome: Outcome, **extra) -> RowVerdict:
            details = "\n".join(outcome.details + [f"note: {x}" for x in notes if x not in outcome.details])
            # Readings the checker had to make stay visible in the one-line evidence too.
            evidence = outcome.evidence + "".join(f" [note: {x}]" for x in notes)
            verdict = RowVerdict(relation=relation, verdict=outcome.verdict, evidence=evidence,
                                 details=details or outcome.evidence, notes=list(notes),
                                 category=category_of(outcome), weaker=outcome.weaker, **base, **extra)
            self.document.note_annotations(row, label)
            self.document.note_learned(row)
            return verdict

        if role.kind == roles.DISPLAY:
            # it claims nothing, but the rows that continue it ("&= ...") start from it
            chain.clear()
            chain.append((self.known.substitute(row.parts[0]), None, VERIFIED, f"the expression of {label}"))
            return finish(Outcome(DEFINITION, role.reason))
        connectives = [r for r in row.relations if r in CONNECTIVES]
        if connectives:
            # 'A ⇒ B': A is a hypothesis and B holds under it; neither is a claim on its own
            chain.clear()
            return finish(Outcome(UNVERIFIED, f"statements joined by '{connectives[0]}': the premise is a "
                                  "hypothesis the model families do not follow, so no step is judged alone",
                                  category="outside the model families"))
        self.document.declare(row)
        defined = self.document.definition(row, label) or self.document.sampling_law(row, label)
        if defined is not None:
            chain.clear()
            self.known.record(role, row, label)
            if len(row.parts) > 1 and row.parts[1] is not None:
                # "f(x) = A \\ &= B": the rows that continue a definition start from its value
                chain.append((row.parts[1], None, VERIFIED, f"the value {label} binds"))
            return finish(defined)
        if self.document.claimed(row):
            role = roles.Role(roles.CLAIM)  # the chain's notation says what this row derives
        elif role.kind != roles.DEFINITION:
            bound = self.document.first_binding(row, label)
            if bound is not None:  # sigma^2 = 1/A = ...: the first relation binds, the rest claim
                role = roles.Role(roles.DEFINITION, (bound.head,), 1,
                                  f"assignment to {render(row.parts[0])}, a name no earlier row binds")
        if row.parts[0] is not None and isinstance(row.parts[0], n.Density) and \
                isinstance(row.parts[1], n.Normal) and len(row.parts) == 2 and relation in {"=", ":="} \
                and not self.document.derived(row.parts[0]):
            chain.clear()
            self.known.record(role, row, label)
            return finish(self.definition(row, label))
        if row.clauses and row.parts[0] is not None and isinstance(row.parts[0], n.Var) and relation == "=":
            chain.clear()
            if self.document.applies(row.parts[0]) and self.document.spec.defined():
                self.subject = row.parts[0]
                outcome = self.document.judge(row.parts[0], "=", row.parts[1], row.parts[0], label)
                extra = {"holds_if": self._repair(drow.tex, [], label)} if outcome.verdict == REFUTED else {}
                return finish(outcome, **extra)
            outcome = self.reparameterisation(row, label)
            if outcome.verdict == DEFINITION:
                self.known.record(role, row, label)
            return finish(outcome)
        if row.clauses:
            notes.append("clauses " + ", ".join(render(c) for c in row.clauses) + " are not used")
        if role.kind == roles.DEFINITION:
            chain.clear()
            self.known.record(role, row, label)
            claims = list(zip(row.relations[role.first_claim:], row.parts[role.first_claim + 1:]))
            if not claims:
                if role.binds and len(row.parts) == 2:  # "&= ..." rows below continue from the value
                    chain.append((self.known.substitute(row.parts[role.first_claim]), None, VERIFIED,
                                  f"the value {label} binds"))
                return finish(Outcome(DEFINITION, "definition: " + role.reason))
            # The relations after the binding one claim something about the bound value.
            chain.append((self.known.substitute(row.parts[role.first_claim]), None, VERIFIED,
                          f"the value {label} binds"))
            self.step_labels = tuple(row.labels[role.first_claim:])
            outcome, step_info, anchor_info = self.follow(chain, claims, label, continuation=True)
            if outcome.verdict == REFUTED:
                self.known.unbind(role)
            outcome = Outcome(outcome.verdict, f"{role.reason}; the rest of the row: {outcome.evidence}",
                              outcome.details, category=outcome.category)
            return finish(outcome, step_from_previous=step_info, anchor=anchor_info)
        if row.parts[0] is None:
            if not chain:
                # Nothing to judge it against; the rows that continue it start from its expression.
                chain.append((self.known.substitute(row.parts[-1]), None, VERIFIED, f"the expression of {label}"))
                return finish(Outcome(UNVERIFIED, "a continuation row with no previous row to continue"))
        else:
            chain.clear()
            chain.append((self.known.substitute(row.parts[0]), None, VERIFIED, f"the left side of {label}"))
        self.subject = chain[0][0]
        snapshot = list(chain[:-1]) if row.parts[0] is not None else list(chain)
        self.step_labels = tuple(row.labels)
        outcome, step_info, anchor_info = self.follow(chain, list(zip(row.relations, row.parts[1:])), label,
                                                      continuation=row.parts[0] is None)
        extra = {}
        if outcome.verdict == REFUTED:
            extra["holds_if"] = self._repair(drow.tex, snapshot, label)
        return finish(outcome, step_from_previous=step_info, anchor=anchor_info, **extra)

    def follow(self, chain: list, steps: list, label: str, continuation: bool):
        """Judge each (relation, expression) step from the end of the chain, with the anchor rule."""
        outcomes = []
        step_info = None
        anchor_info = None
        for k, (rel, part) in enumerate(steps):
            self.step_label = self.step_labels[k] if k < len(self.step_labels) else ""
            part = self.known.substitute(part)
            prev_expr, _, prev_verdict, _ = chain[-1]
            step = self.claim(prev_expr, rel, part)
            outcome = step
            # The anchor: the last expression of the chain that holds (each entry keeps the verdict
            # of the step into it; the chain's first expression holds by construction).
            anchor = max((i for i, entry in enumerate(chain) if entry[2] == VERIFIED), default=-1)
            if prev_verdict == REFUTED and 0 <= anchor < len(chain) - 1 and step.verdict != VERIFIED:
                # (a step that holds from the refuted row is correct: it is not blamed for the
                # earlier error, and becomes the chain's new anchor)
                composed = None
                for _, r, _, _ in chain[anchor + 1:]:
                    composed = compose(composed, r)
                composed = compose(composed, rel) if composed is not None else None
                step_info = {"from": "previous row", "relation": rel, "verdict": step.verdict,
                             "evidence": step.evidence}
                if composed is None:
                    outcome = Outcome(UNVERIFIED, "the previous row fails and the relations from the last "
                                      "row that holds do not compose; step as written: " + step.evidence,
                                      step.details)
                else:
                    anchored = self.claim(chain[anchor][0], composed, part)
                    anchor_info = {"from": self._label_of(chain, anchor), "relation": composed,
                                   "verdict": anchored.verdict, "evidence": anchored.evidence}
                    outcome = Outcome(anchored.verdict,
                                      f"against {anchor_info['from']} (last step that holds), '{composed}': "
                                      f"{anchored.evidence}; the step from the refuted previous row, "
                                      f"as written: {step.verdict} ({step.evidence})",
                                      [f"step from the previous row ({rel}): {step.verdict}: {step.evidence}"]
                                      + step.details +
                                      [f"against {anchor_info['from']} ({composed}): {anchored.verdict}"]
                                      + anchored.details, weaker=anchored.weaker,
                                      category=anchored.category)
            chain.append((part, rel, outcome.verdict, label))
            outcomes.append(outcome)
            if step_info is None:
                step_info = {"from": "previous row" if continuation else "left side",
                             "relation": rel, "verdict": step.verdict, "evidence": step.evidence}
        return _worst(outcomes), step_info, anchor_info

    def claim(self, left: n.Node, rel: str, right: n.Node) -> Outcome:
        """judge(), where a counterexample counts only if it is a real error of the document."""
        self.document.judged_by = None
        outcome = self.judge(left, rel, right)
        if outcome.verdict != REFUTED:
            return outcome
        if self.document.applies(left, right, self.subject):
            blockers = roles.refutation_blockers([_identity(left), _identity(right)], self.known, self.index)
            # the chain families instantiate the document's own model: their counterexamples set
            # random variables and schedules consistently; only a name the document leaves
            # undefined (or defines later) keeps a counterexample from being a refutation
            keep = ("defined only by a later row", "does not define in display math")
            if self.document.judged_by != CHAIN_FAMILY:
                # the schedule algebra reads random variables as free symbols: a row that relates
                # different ones (x_t = 2 x_{t-1}) is a relation in law it does not test
                keep += ("which a point value does not test",)
            blockers = [b for b in blockers if b.endswith(keep)]
            blockers += self.document.unmodelled(left, right, self.known.bound)
        else:
            blockers = roles.refutation_blockers([left, right], self.known, self.index)
        if not blockers:
            return outcome
        return Outcome(UNVERIFIED, "not refuted: a point where the sides differ exists only if "
                       + "; ".join(blockers) + f" (at such a point: {outcome.evidence})",
                       outcome.details + [f"not a refutation: {b}" for b in blockers])

    def _repair(self, tex: str, snapshot: list, label: str) -> str:
        """The first single edit after which the row's steps hold (see identities/repair)."""
        def holds(edited: str, quick: bool = False) -> bool:
            row = _parse(edited, self.macros)
            if isinstance(row, CannotParse) or not row.relations:
                return False
            chain = list(snapshot)
            if row.parts[0] is not None:
                chain = [(self.known.substitute(row.parts[0]), None, VERIFIED, label)]
            elif not chain:
                return False
            self.document.chain.quick = self.screening = quick
            self.step_labels = tuple(row.labels)
            try:
                outcome, _, _ = self.follow(chain, list(zip(row.relations, row.parts[1:])), label,
                                            continuation=row.parts[0] is None)
            finally:
                self.document.chain.quick = self.screening = False
            return outcome.verdict == VERIFIED

        # The search for a correction is a courtesy: it stops within a share of the row's budget,
        # and the refutation stands whether or not it finds one.
        deadline = self.row_started + REPAIR_SHARE * self.row_seconds

        def in_time(edited: str, quick: bool = False) -> bool:
            if time.process_time() > deadline:
                raise _RepairOutOfTime
            return holds(edited, quick)

        context = harvest(self.block_texts + [tex] + self.recent_texts[::-1])
        try:
            return repair(tex, in_time, context, screen=lambda edited: in_time(edited, quick=True))
        except (_RepairOutOfTime, budget.RowTimeout):
            return ""

    @staticmethod
    def _label_of(chain, index) -> str:
        return chain[index][3]


# Share of the row's CPU budget (from the row's start) after which the "holds if" search stops.
REPAIR_SHARE = 0.6


class _RepairOutOfTime(Exception):
    """The "holds if" search has used its share of the row's budget."""


def _identity(node):
    """The expression with the identity matrix written plainly (\\mathcal{I}, \\mathbb{I} are I)."""
    if isinstance(node, tuple):
        return tuple(_identity(x) for x in node)
    if not isinstance(node, n.Node):
        return node
    if isinstance(node, n.Var) and node.name == "I" and node.index is None and getattr(node, "marks", ()):
        return n.Var("I")
    changes = {f: _identity(getattr(node, f)) for f in node.__dataclass_fields__}
    if all(changes[f] is getattr(node, f) for f in changes):
        return node
    return type(node)(**changes)


def _parse(tex: str, macros: MacroTable | None = None):
    """The parsed row, or the CannotParse that says why not."""
    try:
        return parse_row(tex, macros)
    except CannotParse as exc:
        return exc
    except RecursionError:
        return CannotParse("the row is nested too deeply to read")


def _base(drow: DisplayRow) -> dict:
    """The fields of a row's verdict that say which row it is."""
    label = drow.label
    return dict(number=drow.number, block=drow.block, row=drow.row, latex=drow.raw,
                tex=drow.tex, line=drow.line, label=label)


def category_of(outcome: Outcome) -> str:
    """Why an unverified row is unverified, as one of UNVERIFIED_CATEGORIES ('' otherwise)."""
    if outcome.verdict != UNVERIFIED:
        return ""
    if outcome.category:
        return outcome.category
    return "undecided"


def _worst(outcomes: list[Outcome]) -> Outcome:
    for verdict in (REFUTED, UNVERIFIED, VERIFIED):
        for o in outcomes:
            if o.verdict == verdict:
                return o
    return outcomes[0]


def _affine(expr: n.Node, eps_name: str, eps: sp.Symbol) -> sp.Expr:
    """The reparameterisation's right side as a sympy expression in the noise symbol."""
    class _Noise(LinearGaussianFamily):
        def _eval_Var(self, node, ctx):
            if node.sample is None and var_key(node) == eps_name:
                return self.const(eps)
            if node.name == "z" or node.name == "x":
                return self.const(doc_symbol(var_key(node)))
            return super()._eval_Var(node, ctx)

    fam = _Noise()
    return fam.scalar(fam.evaluate(expr, Context()))


# A document larger than this is refused up front (--max-bytes raises it): a megabyte of display
# math is thousands of rows, minutes of work.
MAX_BYTES = 1_048_576


def verify_document(text: str, *, source: str = "<text>", renderer: str | None = None,
                    budget: Budget = budget.DEFAULT, progress: ProgressCallback | None = None,
                    max_bytes: int | None = MAX_BYTES) -> DocumentVerification:
    """Verdicts for every displayed row of a Markdown+LaTeX document. ``renderer``: the numbering
    conventions to read it under, a key of reader.RENDERERS (by default what the document says);
    each row is judged within ``budget`` (CPU time and memory; see budget.py);
    ``progress(description, done, total)`` is called as rows finish."""
    size = len(text.encode("utf-8"))
    if max_bytes is not None and size > max_bytes:
        raise DocumentTooLarge(f"document {source} is {size:,} bytes, over the limit of {max_bytes:,} "
                               "bytes (expected a smaller document; raise the limit with --max-bytes)")
    return budget_run(functools.partial(_Verifier, renderer=renderer, row_seconds=budget.seconds), text, source,
                      budget, progress)


def verify_path(path: str | Path, *, renderer: str | None = None, budget: Budget = budget.DEFAULT,
                progress: ProgressCallback | None = None,
                max_bytes: int | None = MAX_BYTES) -> DocumentVerification:
    return verify_document(read_path(path), source=str(path), renderer=renderer, budget=budget,
                           progress=progress, max_bytes=max_bytes)
