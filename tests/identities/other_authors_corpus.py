"""Derivations written by other people, with hand labels: the corpus the verifier is held to.

Each document in ``other_authors/`` keeps only the display math of a public derivation, in the
syntax it was published with, and names its source in a leading comment. Beside it,
``<name>_labels.py`` says for every display row, by hand, what a careful reader would say:

    correct     a step that holds (it must never be refuted)
    definition  a row that introduces a name or a modelling choice (never refuted)
    error       a wrong step of the kind the suite exists to catch: it must be refuted
    error-oos   a wrong step whose notation or semantics the suite does not model yet;
                refuting it is right, leaving it unverified is allowed
    ambiguous   a row whose truth depends on a reading the document leaves open (a typeset
                precedence, a degenerate density taken as 1): any verdict is accepted
    inline      math inside a paragraph that some renderers show inline (kramdown's two
                dollar signs): not a display row; if read as one it must not be refuted

Rows are matched to labels by their LaTeX with spacing, alignment marks and trailing
punctuation ignored, in reading order, so the labels survive changes of block numbering.

    python tests/identities/other_authors_corpus.py      # the verdict table of the corpus
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent / "other_authors"

KINDS = ("correct", "definition", "error", "error-oos", "ambiguous", "inline")
NEVER_REFUTED = ("correct", "definition", "inline")
REFUTATION_ALLOWED = ("error", "error-oos", "ambiguous")


@dataclass(frozen=True)
class Label:
    kind: str  # one of KINDS
    tex: str  # the row as LaTeX reads it (Markdown escapes undone)
    why: str  # the reason, in a few words


@dataclass(frozen=True)
class Fixture:
    name: str
    path: Path
    source: str  # the leading comment: title, author, address, syntax
    labels: tuple[Label, ...]

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass
class Matched:
    """A document's verdicts paired with its labels."""

    pairs: list = field(default_factory=list)  # (RowVerdict, Label | None), in reading order
    unread: list = field(default_factory=list)  # display labels no row matched


def _load_labels(path: Path) -> tuple[Label, ...]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(Label(kind, tex, why) for kind, tex, why in module.ROWS)


def _source(text: str) -> str:
    m = re.match(r"\s*<!--(.*?)-->", text, re.S)
    return m.group(1).strip() if m else ""


def fixtures() -> list[Fixture]:
    out = []
    for md in sorted(HERE.glob("*.md")):
        labels = HERE / f"{md.stem}_labels.py"
        out.append(Fixture(md.stem, md, _source(md.read_text(encoding="utf-8")),
                           _load_labels(labels) if labels.exists() else ()))
    return out


def _strip_macro_definitions(tex: str) -> str:
    """Remove \\newcommand{\\x}{...} and \\def\\x{...} (their bodies may nest braces)."""
    out, i = [], 0
    while i < len(tex):
        m = re.match(r"\\(?:re)?newcommand\*?\s*\{?\\[A-Za-z]+\}?(\[\d\])?|\\def\s*\\[A-Za-z]+", tex[i:])
        if m:
            j = i + m.end()
            while j < len(tex) and tex[j].isspace():
                j += 1
            if j < len(tex) and tex[j] == "{":
                depth = 0
                for k in range(j, len(tex)):
                    depth += {"{": 1, "}": -1}.get(tex[k], 0)
                    if depth == 0:
                        i = k + 1
                        break
                else:
                    i = len(tex)
                continue
        out.append(tex[i])
        i += 1
    return "".join(out)


def normalise(tex: str) -> str:
    """The key a row and a label are matched by."""
    tex = _strip_macro_definitions(tex)
    tex = re.sub(r"\\tag\*?\{[^}]*\}|\\label\{[^}]*\}|\\nonumber|\\notag", "", tex)
    tex = re.sub(r"\\(begin|end)\{(aligned|align\*?|gathered|split|equation\*?)\}", "", tex)
    tex = re.sub(r"\s+", "", tex).replace("&", "")
    while tex and (tex[-1] in ".,;" or tex.endswith("\\\\")):
        tex = tex[:-2] if tex.endswith("\\\\") else tex[:-1]
    return tex


def match(rows, labels) -> Matched:
    """Pair each row with the first unused label of the same text, in reading order."""
    free = list(labels)
    result = Matched()
    for row in rows:
        keys = {normalise(row.tex), normalise(row.latex)}
        found = next((lab for lab in free if normalise(lab.tex) in keys), None)
        if found is not None:
            free.remove(found)
        result.pairs.append((row, found))
    result.unread = [lab for lab in free if lab.kind != "inline"]
    return result


# -- the table ----------------------------------------------------------------------------------
COLUMNS = ("rows", "verified", "refuted", "definition", "cannot parse", "outside the model families",
           "undecided", "timed out")


def tally(doc, matched: Matched) -> Counter:
    c = Counter()
    c["rows"] = len(doc.rows)
    for row in doc.rows:
        c[row.verdict if row.verdict != "unverified" else (row.category or "undecided")] += 1
    c["unread"] = len(matched.unread)
    c["unlabelled"] = sum(1 for _, lab in matched.pairs if lab is None)
    c["false alarms"] = sum(1 for row, lab in matched.pairs
                            if row.verdict == "refuted" and (lab is None or lab.kind in NEVER_REFUTED))
    c["errors"] = sum(1 for lab in matched_labels(matched) if lab.kind == "error")
    c["errors refuted"] = sum(1 for row, lab in matched.pairs
                              if lab is not None and lab.kind == "error" and row.verdict == "refuted")
    return c


def matched_labels(matched: Matched):
    return [lab for _, lab in matched.pairs if lab is not None] + matched.unread


def verify_corpus(verify_document):
    """(fixture, document verification or the exception it raised, Matched or None)."""
    out = []
    for fx in fixtures():
        try:
            doc = verify_document(fx.text, source=fx.path.name)
        except Exception as exc:  # reported, and failed by the tests
            out.append((fx, exc, None))
            continue
        out.append((fx, doc, match(doc.rows, fx.labels)))
    return out


def markdown_table(results) -> str:
    head = ("document", *COLUMNS, "cannot parse %", "unread", "false alarms", "errors refuted")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    total = Counter()
    for fx, doc, matched in results:
        if matched is None:
            lines.append(f"| {fx.name} | " + " | ".join(["—"] * (len(head) - 2)) + f" | crash: {doc} |")
            continue
        c = tally(doc, matched)
        total.update(c)
        lines.append(_line(fx.name, c))
    lines.append(_line("**all**", total))
    return "\n".join(lines) + "\n"


def _line(name: str, c: Counter) -> str:
    share = f"{100 * c['cannot parse'] / c['rows']:.1f}" if c["rows"] else "—"
    cells = [str(c[k]) for k in COLUMNS] + [share, str(c["unread"]), str(c["false alarms"]),
                                            f"{c['errors refuted']}/{c['errors']}"]
    return f"| {name} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    from elbo_suite.identities import verify_document

    sys.stdout.write(markdown_table(verify_corpus(verify_document)))
