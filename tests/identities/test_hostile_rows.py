"""Rows the parser must survive: each ends as an unverified row with its reason (or a verdict), and
the document's other rows are still judged. Nothing raised inside a row leaves the document."""

import pytest

from elbo_suite.identities import verify_document
from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import parse_row

GOOD = "p(x)=\\int p(x,z)dz"

HOSTILE = {
    "200 nested fractions": "\\frac{1}{" * 200 + "x" + "}" * 200,
    "200 nested \\left(": "\\left(" * 200 + "x" + "\\right)" * 200,
    "200 nested logs": "\\log(" * 200 + "x" + ")" * 200,
    "300 nested subscripts": "x" + "_{x" * 300 + "}" * 300,
    "a 4301-digit integer": "x = " + "7" * 4301,
    "\\propto before \\right)": "\\log p(x) \\propto \\left(\\frac{1}{2}\\right)",
    "\\ll before \\right)": "\\epsilon \\ll \\left( 1 \\right)",
    "a stray closing parenthesis after \\propto": "a \\propto b)",
    "a macro that expands forever": "\\newcommand{\\a}{\\a x}\\a",
    "unbalanced braces": "\\frac{a}{b",
    "\\left without \\right": "\\left[ a",
    "a lone backslash": "\\",
    "only alignment marks": "&&&",
    "five bars": "|||||",
}


@pytest.mark.parametrize("tex", HOSTILE.values(), ids=HOSTILE.keys())
def test_parse_row_raises_only_cannot_parse(tex):
    try:
        parse_row(tex)
    except CannotParse as exc:
        assert str(exc).startswith("cannot parse:") and "the parser failed" not in str(exc)


def test_a_document_of_hostile_rows_judges_its_good_rows():
    blocks = [GOOD] + list(HOSTILE.values()) + [GOOD]
    doc = verify_document("".join(f"$$\n{b}\n$$\n\n" for b in blocks))
    assert len(doc.rows) == len(blocks)
    assert doc.rows[0].verdict == doc.rows[-1].verdict == "verified"
    for row in doc.rows[1:-1]:
        assert row.verdict in {"unverified", "definition", "verified", "refuted"}
        if row.verdict == "unverified":
            assert row.evidence and "Traceback" not in row.details


@pytest.mark.parametrize("tex, reason", [
    (HOSTILE["200 nested fractions"], "nested deeper than"),
    (HOSTILE["a 4301-digit integer"], "a number of 4301 digits"),
    (HOSTILE["a macro that expands forever"], "does not end"),
    (HOSTILE["unbalanced braces"], "unbalanced braces"),
    (HOSTILE["\\left without \\right"], "\\left/\\right mismatch"),
])
def test_hostile_rows_name_their_reason(tex, reason):
    with pytest.raises(CannotParse, match=None) as info:
        parse_row(tex)
    assert reason in str(info.value)
