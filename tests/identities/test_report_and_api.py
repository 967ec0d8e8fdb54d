"""Public API, errors on bad input, and the Markdown report section."""

import subprocess
import sys

import pytest

from elbo_suite.identities import DocumentError, verify_document, verify_path
from elbo_suite.identities.report import markdown_section


def test_identities_import_does_not_pull_in_torch():
    code = "import sys, elbo_suite.identities, elbo_suite.identities.report; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_document_without_display_math_raises_document_error():
    with pytest.raises(DocumentError) as info:
        verify_document("just prose\n")
    assert "no display math" in str(info.value)


@pytest.mark.parametrize("text, fragment", [
    ("$$\n\\frac{p(x)}{q\n$$\n", "unbalanced braces"),
    ("$$\n\\left[ p(x)\n$$\n", "\\left"),
])
def test_malformed_latex_is_an_unverified_row_not_a_lost_document(text, fragment):
    doc = verify_document(text + "$$\np(x)=\\int p(x,z)dz\n$$\n")
    bad, good = doc.rows
    assert bad.verdict == "unverified" and fragment in bad.evidence
    assert good.verdict == "verified"


def test_verify_path_on_missing_file(tmp_path):
    with pytest.raises(DocumentError, match="not found"):
        verify_path(tmp_path / "nope.md")


def test_markdown_section_has_counts_scope_table_and_blocks(embedded_verdicts):
    text = markdown_section(embedded_verdicts)
    assert embedded_verdicts.counts_line() in text
    assert "| Eq. | Row | Rel. | Verdict | Evidence |" in text
    assert text.count("```math") == len({r.block for r in embedded_verdicts.rows})
    assert "≈ 0.036402293" in text  # the stray-log counterexample in full
    assert markdown_section(embedded_verdicts) == text  # deterministic


def test_each_fact_once(embedded_verdicts):
    """The families' scope is stated once; a row's evidence once (in the table); under a block
    only what the table leaves out, such as the discrete family's counterexample to (6)."""
    text = markdown_section(embedded_verdicts)
    assert text.count("with free w,b,x,m and s,v>0") == 1
    evidence = [row.evidence for row in embedded_verdicts.rows]
    for line in set(evidence):
        cell = line.replace("|", "\\|")  # a refuted row's cell goes on with its 'holds if' correction
        assert text.count(cell + " |") + text.count(cell + ". **") == evidence.count(line), line
    assert "- (6): [discrete] refuted: discrete family at" in text
    assert "- (4):" not in text  # a proof the table already states in full adds no line


def test_findings_name_every_refuted_step_in_words_with_its_correction(embedded_verdicts):
    from dataclasses import replace

    from elbo_suite.identities.report import findings

    rows = [replace(r, holds_if="the inner `\\log` is removed") if r.number == 6 else r
            for r in embedded_verdicts.rows]
    doc = replace(embedded_verdicts, rows=rows)
    problems = [f.text for f in findings(doc) if f.problem]
    assert len(problems) == embedded_verdicts.counts()["refuted"]
    assert problems[0].startswith("❌ **(6)**, the step `=` from (5), does not hold: counterexample:")
    assert problems[0].endswith("**(6) holds if** the inner `\\log` is removed.")
    assert "[note:" not in problems[1]  # readings of the notation stay in the table


def test_unverified_rows_are_findings_with_their_category():
    from elbo_suite.identities.report import findings

    doc = verify_document("$$\n\\mathfrak{Q}(x) = \\mathfrak{R}(x)\n$$\n")
    texts = [f.text for f in findings(doc)]
    assert texts and all(t.startswith("❔") for t in texts), texts


def test_report_math_blocks_are_renderable():
    """GitHub's renderer rejects a bare alignment `&` and knows no `\\argmax`: each block is one
    aligned environment, each row tagged with its number."""
    import re

    from elbo_suite.identities import embedded_derivation_path, verify_path
    from elbo_suite.identities.report import markdown_section

    doc = verify_path(embedded_derivation_path())
    blocks = re.findall(r"```math\n(.*?)\n```", markdown_section(doc), re.S)
    assert len(blocks) == len({r.block for r in doc.rows}) == 10
    for block in blocks:
        assert "\\argmax" not in block and "\\tag" not in block and "\\label" not in block
        assert block.startswith("\\begin{aligned}") and block.endswith("\\end{aligned}")
    assert sum(block.count("\\text{(") for block in blocks) == sum(r.number is not None for r in doc.rows)
