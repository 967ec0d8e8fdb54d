"""A derivation's section of REPORT.md: its findings, one table of verdicts, and the rows as written.

Each fact appears once. The table gives every row's verdict and one-line evidence; the model
families every proof ranges over are stated once above it; below it each display block is shown
as GitHub renders it, followed only by what the table leaves out (a second family's
counterexample, a maximiser, a family's reading of a definition).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from elbo_suite.identities.verdict import DocumentVerification, RowVerdict
from elbo_suite.markdown import caption, cell
from elbo_suite.section import Finding, ReportContext, Section

_SYMBOL = {"verified": "✅ verified", "refuted": "❌ refuted", "definition": "📘 definition",
           "unverified": "❔ unverified"}
# A family's finding: "[name] status: what was shown in the <name> family <its scope>".
_FAMILY_LINE = re.compile(r"^\[(?P<family>[^\]]+)\] (?P<finding>.*?)(?: in the (?P<scope>(?P=family) family\b.*))?$")
# Numbering directives of the source: the report numbers the rows itself.
_NUMBERING = re.compile(r"\\(?:nonumber|notag)\b|\\(?:label|tag)\{[^{}]*\}")
MOST_UNVERIFIED_LISTED = 5  # in the findings; the table lists them all
MOST_REFUTED_DETAILED = 2  # refuted steps each with its own finding; more are named in one


def derivation_section(name: str) -> Callable[[ReportContext], Section]:
    """The section builder for `identities/derivations/<name>`: one line in the registry
    (elbo_suite/report_sections.py) adds a derivation to the report."""

    def build(context: ReportContext) -> Section:
        from elbo_suite.identities import embedded_derivation_path, verify_document

        path = embedded_derivation_path().parent / name
        context.step(f"verifying {name}", 0, 1)
        # Named by its place in the repository, so the report does not depend on where it was cloned.
        doc = verify_document(path.read_text(encoding="utf-8"), source=_repository_path(path))
        context.step(f"verifying {name}", 1, 1)
        return section(doc)

    return build


def _repository_path(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}/{path.name}"


def section(doc: DocumentVerification) -> Section:
    return Section(title=f"Derivation: `{doc.source}`", status=_status(doc), body=markdown_section(doc),
                   findings=findings(doc))


def _status(doc: DocumentVerification) -> str:
    return f"{doc.counts_line()} rows"


# -- findings -------------------------------------------------------------------------------------
def findings(doc: DocumentVerification) -> list[Finding]:
    """Every refuted step in words, with its evidence and correction; unverified rows after."""
    out = []
    refuted = [r for r in doc.rows if r.verdict == "refuted"]
    if len(refuted) <= MOST_REFUTED_DETAILED:
        out += [Finding(f"❌ {_step_in_words(doc, r)} does not hold: {_brief(_without_notes(r))}"
                        f"{_weaker(r)}{_holds_if(r, brief=True)}", problem=True) for r in refuted]
    elif refuted:  # one screen: each step named with what still holds; counterexamples in the table
        parts = []
        for rows in _by_weaker_claim(refuted):
            labels = ", ".join(f"**{r.label}**" for r in rows)
            first = rows[0]
            if first.holds_if:
                parts.append(f"{labels} (holds if {_edit_only(first.holds_if)})")
            elif first.weaker:
                parts.append(f"{labels} ({_weaker_name(first.weaker)})")
            else:
                parts.append(labels)
        out.append(Finding(f"❌ {len(refuted)} steps do not hold as written, each refuted by a counterexample in "
                           f"the table: " + "; ".join(parts), problem=True))
    unverified = [r for r in doc.rows if r.verdict == "unverified"]
    if len(unverified) == 1:
        (r,) = unverified
        kind = f" ({r.category})" if r.category else ""
        out.append(Finding(f"❔ **{r.label}** was not decided{kind}: {_brief(_without_notes(r))}", problem=True))
    elif unverified:
        listed = ", ".join(f"**{r.label}** ({r.category or 'unverified'})" for r in unverified[:MOST_UNVERIFIED_LISTED])
        more = len(unverified) - MOST_UNVERIFIED_LISTED
        tail = f" and {more} more" if more > 0 else ""
        out.append(Finding(f"❔ {len(unverified)} rows were not decided (reasons in the table): {listed}{tail}",
                           problem=True))
    warnings = doc.warnings
    out += [Finding(f"⚠️ the reader read past: {w}", problem=True) for w in warnings[:MOST_UNVERIFIED_LISTED]]
    if len(warnings) > MOST_UNVERIFIED_LISTED:
        out.append(Finding(f"⚠️ … and {len(warnings) - MOST_UNVERIFIED_LISTED} more faults the reader read past "
                           "(all below)", problem=True))
    return out


def _step_in_words(doc: DocumentVerification, row: RowVerdict) -> str:
    relation = f"`{row.relation}`" if row.relation else "the row"
    step = row.step_from_previous or {}
    if step.get("from") == "previous row":
        previous = _previous_row(doc, row)
        origin = f" from {previous.label}" if previous is not None else ""
        return f"**{row.label}**, the step {relation}{origin},"
    return f"**{row.label}**, {relation} between its two sides,"


def _previous_row(doc: DocumentVerification, row: RowVerdict) -> RowVerdict | None:
    index = doc.rows.index(row)
    previous = doc.rows[index - 1] if index > 0 else None
    return previous if previous is not None and previous.block == row.block else None


def _without_notes(row: RowVerdict) -> str:
    """The evidence without the notation readings (the table keeps them)."""
    text = row.evidence
    for note in row.notes:
        text = text.replace(f" [note: {note}]", "")
    return text


def _holds_if(row: RowVerdict, brief: bool = False) -> str:
    """The single-edit correction; `brief` (the findings) names the edit only (the table gives the
    corrected LaTeX)."""
    if not row.holds_if:
        return ""
    correction = re.sub(r"^\s*holds if\s+", "", row.holds_if.strip(), flags=re.I).rstrip(".")
    if brief:
        correction = _edit_only(correction)
    return f". **{row.label} holds if** {correction}."


def _edit_only(holds_if: str) -> str:
    """'holds if <edit> at column N: <corrected LaTeX>' -> '<edit>'."""
    text = re.sub(r"^\s*holds if\s+", "", holds_if.strip(), flags=re.I).rstrip(".")
    return re.sub(r" at column \d+", "", text.partition(": ")[0])


def _weaker_name(weaker: str) -> str:
    """'holds in expectation: E[...] = 0, ...' -> 'holds in expectation'."""
    return re.split(r"[:;]", weaker, maxsplit=1)[0].strip()


BRIEF_EVIDENCE = 150  # characters of evidence in a finding; the table gives the rest


# "name = <exact form> ≈ <decimal>": the exact form is in the table
_EXACT_BEFORE_DECIMAL = re.compile(r"(\b[\w\[\]()^,.]+) = [^=≈;]*? ≈")


def _brief(text: str, limit: int = BRIEF_EVIDENCE) -> str:
    """The evidence with values as numbers only (`left = -log(pi)/2 + log(5) ≈ 1.037` reads
    `left ≈ 1.037`), cut at a clause boundary before `limit` characters (the table keeps it all)."""
    text = _EXACT_BEFORE_DECIMAL.sub(r"\1 ≈", text)
    if len(text) <= limit:
        return text
    cut = max(text.rfind("; ", 0, limit), text.rfind(", ", 0, limit), text.rfind(" (", 0, limit))
    return text[:cut if cut > limit // 2 else limit].rstrip(" ,;(") + " …"


def _weaker(row: RowVerdict) -> str:
    return f"; {row.weaker}" if row.weaker else ""


def _by_weaker_claim(rows: list[RowVerdict]) -> list[list[RowVerdict]]:
    """Refuted rows in order; rows without a repair whose weaker claims are of one kind ("holds in
    expectation: E[left − right | x_t] = 0 ...") form one group, at the place of its first row."""
    groups: list[list[RowVerdict]] = []
    by_kind: dict[str, list[RowVerdict]] = {}
    for r in rows:
        kind = _weaker_kind(r.weaker) if r.weaker and not r.holds_if else ""
        if kind and kind in by_kind:
            by_kind[kind].append(r)
            continue
        groups.append([r])
        if kind:
            by_kind[kind] = groups[-1]
    return groups


def _weaker_kind(weaker: str) -> str:
    """The weaker claim without the step's own variables: what rows share."""
    return re.sub(r"\b[a-z]_\{?[\w+-]+\}?", "·", weaker)


# -- details --------------------------------------------------------------------------------------
def markdown_section(doc: DocumentVerification) -> str:
    """The counts, the families' scope, the verdict table and the blocks as written."""
    scopes = _family_scopes(doc)
    lines = [f"**{doc.counts_line()}.** Each row is judged against the row before it (after a "
             "refuted row, against the last row that holds). `=` is proved when left − right "
             "reduces to 0, `≥`/`≤` when the difference is a KL divergence or a Jensen gap, `≈` "
             "between objectives when they have the same expectation and maximiser, each with "
             "free symbolic parameters in every model family that can read the row:", ""]
    lines += [f"- **{family}**: {scope}" for family, scope in scopes.items()]
    if doc.conventions:
        lines += ["", f"Read as: {doc.conventions}."]
    lines += [f"- read past: {w}" for w in doc.warnings]
    lines += ["", "| Eq. | Row | Rel. | Verdict | Evidence |", "|---|---|---|---|---|"]
    for r in doc.rows:
        number = f"({r.number})" if r.number is not None else "—"
        verdict = _SYMBOL[r.verdict] + (f" ({r.category})" if r.category else "")
        evidence = r.evidence + (_holds_if(r) if r.verdict == "refuted" else "")
        lines.append(f"| {number} | {r.block}.{r.row} | {cell(r.relation or '—')} | {verdict} | {cell(evidence)} |")
    lines += ["", caption(_table_caption(doc)).rstrip(), "", "### The derivation as written", "",
              "Each display block as GitHub renders it, with the equation numbers the table uses; "
              "under a block, only what the table leaves out.", ""]
    for block in _blocks(doc):
        lines += ["```math", _block_tex(block), "```", ""]
        extras = [(r, _extra_details(r, scopes)) for r in block]
        listed = [f"- {r.label}: " + "; ".join(extra) for r, extra in extras if extra]
        lines += listed + ([""] if listed else [])
    return "\n".join(lines).rstrip() + "\n"


def _table_caption(doc: DocumentVerification) -> str:
    counts = doc.counts()
    wrong = [r.label for r in doc.rows if r.verdict in ("refuted", "unverified")]
    if not wrong:
        return (f"What to look at: every row holds ({counts['verified']} verified, "
                f"{counts['definition']} definitions, which claim nothing to check).")
    return (f"What to look at: the rows marked ❌ or ❔ ({', '.join(wrong)}); a refuted row's evidence "
            "gives parameter values at which its two sides differ, with both values, and the row "
            "after it is judged against the last row that holds.")


def _family_scopes(doc: DocumentVerification) -> dict[str, str]:
    """Each model family's scope, as the rows' details state it (in order of first appearance)."""
    scopes: dict[str, str] = {}
    for r in doc.rows:
        for line in r.details.splitlines():
            match = _FAMILY_LINE.match(line)
            if match and match["scope"]:
                scopes.setdefault(match["family"], match["scope"])
    return scopes


def _extra_details(row: RowVerdict, scopes: dict[str, str]) -> list[str]:
    """The lines of the row's details that the table's evidence does not already say.

    A line followed by family lines heads them ("against (5) (>=): verified"); it is shown,
    shortened to its verdict, only when one of its family lines is.
    """
    lines = [line for line in row.details.splitlines() if not line.startswith("note: ")]  # notes: in the evidence
    kept, header = [], None
    for index, line in enumerate(lines):
        match = _FAMILY_LINE.match(line)
        if match is None:
            heads = index + 1 < len(lines) and _FAMILY_LINE.match(lines[index + 1]) is not None
            header = ": ".join(line.split(": ")[:2]) if heads else None
            if not heads and not _said(line, row.evidence):
                kept.append(line)
            continue
        if _said(match["finding"], row.evidence):
            continue
        if header is not None:
            kept.append(header)  # "step from the previous row (>=): refuted"
            header = None
        text = f"[{match['family']}] {match['finding']}"
        if match["scope"] and match["scope"] != scopes.get(match["family"]):
            text += f" in the {match['scope']}"
        kept.append(text)
    return kept


def _said(line: str, evidence: str) -> bool:
    """Whether the evidence already states this line: the line itself, or what follows one of
    its "label: " prefixes, or all but its first word."""
    candidates = [line] + [line.split(": ", i)[-1] for i in range(1, line.count(": ") + 1)]
    if " " in line:
        candidates.append(line.split(" ", 1)[1])
    return any(len(text) >= 12 and text in evidence for text in candidates)


def _blocks(doc: DocumentVerification) -> list[list[RowVerdict]]:
    blocks: dict[int, list[RowVerdict]] = {}
    for r in doc.rows:
        blocks.setdefault(r.block, []).append(r)
    return list(blocks.values())


def _block_tex(rows: list[RowVerdict]) -> str:
    """The block as GitHub's math renderer accepts it, each row tagged with its equation number.

    Rows go into one `aligned` environment (a lone alignment point `&` is accepted only there);
    `\\argmax` is not a predefined macro there; the source's own numbering directives go.
    """
    body = []
    for r in rows:
        tex = _NUMBERING.sub("", r.tex).replace("\\argmax", "\\operatorname*{arg\\,max}").strip()
        tag = f"({r.number})" if r.number is not None else f"[{r.block}.{r.row}]"
        body.append(f"{tex} \\qquad \\text{{{tag}}}")
    return "\\begin{aligned}" + " \\\\\n".join(body) + "\\end{aligned}"
