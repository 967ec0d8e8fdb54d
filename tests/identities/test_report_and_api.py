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


def test_markdown_section_has_counts_table_math_and_details(embedded_verdicts):
    text = markdown_section(embedded_verdicts)
    assert embedded_verdicts.counts_line() in text
    assert "| Eq. | Block.row | Relation | Verdict | Evidence |" in text
    assert text.count("```math") == len(embedded_verdicts.rows)
    assert "≈ 0.036402293" in text  # the stray-log counterexample in full
    assert markdown_section(embedded_verdicts) == text  # deterministic


def test_report_math_blocks_are_renderable():
    """GitHub's renderer rejects a bare alignment `&` and knows no `\\argmax`: each row is wrapped."""
    import re

    from elbo_suite.identities import embedded_derivation_path, verify_path
    from elbo_suite.identities.report import markdown_section

    blocks = re.findall(r"```math\n(.*?)\n```", markdown_section(verify_path(embedded_derivation_path())), re.S)
    assert len(blocks) == 23
    for block in blocks:
        assert "\\argmax" not in block
        if "&" in block:
            assert block.startswith("\\begin{aligned}") and block.endswith("\\end{aligned}")
