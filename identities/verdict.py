"""The verdict of every displayed row, and of a whole document."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = ("verified", "refuted", "definition", "unverified")
# Why a row is unverified, so that a reader sees at once how much of a document was really judged.
UNVERIFIED_CATEGORIES = ("cannot parse", "outside the model families", "undecided", "timed out")


@dataclass
class RowVerdict:
    number: int | None  # equation number as rendered; None for an unnumbered row
    block: int  # 1-based display block
    row: int  # 1-based row inside the block
    relation: str  # "=", ">=", "<=", "≈" (or as written: ":=", "<", ...); "" when none
    latex: str  # the row as written in the Markdown source (Markdown escapes kept)
    tex: str  # the same row as LaTeX reads it (Markdown escapes undone)
    verdict: str  # one of VERDICTS
    evidence: str  # one line
    details: str = ""  # full evidence, one finding per line; counterexamples in full
    step_from_previous: dict | None = None  # {"from": number/label, "relation", "verdict", "evidence"}
    anchor: dict | None = None  # check against the last row that holds, when the previous failed
    line: int = 0  # source line of the block's opening $$
    label: str = ""  # "(14)" or "block 8, row 1"
    notes: list[str] = field(default_factory=list)  # readings of the notation the checker had to make
    category: str = ""  # for an unverified row: one of UNVERIFIED_CATEGORIES
    holds_if: str = ""  # for a refuted row: a single edit that makes it hold, with the corrected LaTeX
    weaker: str = ""  # for a refuted row: the weaker claim that does hold ("holds in expectation:
    #   E[left − right | x_t] = 0 ...", "holds up to a term free of the learned parameters", ...)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DocumentVerification:
    source: str
    rows: list[RowVerdict] = field(default_factory=list)
    conventions: str = ""  # how the document was read: renderer numbering, Markdown dialect, escaping
    warnings: list[str] = field(default_factory=list)  # faults the reader read past, one line each

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.rows:
            out[r.verdict] += 1
        return out

    def counts_line(self) -> str:
        c = self.counts()
        return ", ".join(f"{c[v]} {v}" for v in VERDICTS)

    def to_dict(self) -> dict:
        return {"source": self.source, "conventions": self.conventions, "warnings": self.warnings,
                "counts": self.counts(), "rows": [r.to_dict() for r in self.rows]}
