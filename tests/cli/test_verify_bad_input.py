"""`elbo-suite verify` on bad input: one clear line on stderr, exit code 2, never a pass."""

from __future__ import annotations

import pytest

def test_missing_document(one_error_line, run_cli, tmp_path):
    missing = tmp_path / "nope.md"
    result = run_cli("verify", str(missing))
    assert result.code == 2
    line = one_error_line(result.err)
    assert "nope.md" in line


def test_unreadable_document_a_directory(one_error_line, run_cli, tmp_path):
    result = run_cli("verify", str(tmp_path))
    assert result.code == 2
    assert str(tmp_path.name) in one_error_line(result.err)


def test_document_not_utf8(one_error_line, run_cli, tmp_path):
    doc = tmp_path / "latin1.md"
    doc.write_bytes(b"$$\np(x)=\\int p(x,z)dz \xe9\n$$\n")
    result = run_cli("verify", str(doc))
    assert result.code == 2
    assert "latin1.md" in one_error_line(result.err)


def test_document_without_display_math(one_error_line, run_cli, tmp_path):
    doc = tmp_path / "prose.md"
    doc.write_text("# Notes\n\nOnly inline math $p(x)$ here.\n", encoding="utf-8")
    result = run_cli("verify", str(doc))
    assert result.code == 2
    line = one_error_line(result.err)
    assert "display" in line.lower()


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("p(x)=\\frac{p(x,z)}{p(z|x)", "unbalanced braces"),
        ("\\log p(x) = \\left[ \\log p(x)", "\\left/\\right mismatch"),
    ],
    ids=["unbalanced-brace", "left-without-right"],
)
def test_malformed_latex_is_an_unverified_row_and_the_rest_is_judged(run_cli, tmp_path, body, fragment):
    """A typo in one block costs that row, never the document: the row names the fault."""
    import json

    doc = tmp_path / "bad.md"
    doc.write_text(f"$$\n{body}\n$$\n\n$$\np(x)=\\int p(x,z)dz\n$$\n", encoding="utf-8")
    result = run_cli("verify", str(doc), "--json", "-")
    assert result.code == 1
    bad, good = json.loads(result.out)["rows"]
    assert bad["verdict"] == "unverified" and bad["evidence"].startswith("cannot parse:")
    assert fragment in bad["evidence"]
    assert good["verdict"] == "verified"


def test_unparseable_row_is_unverified_with_the_reason(run_cli, tmp_path):
    """Well-formed LaTeX that the parser cannot read is no bad input but an unverified row, named."""
    doc = tmp_path / "paren.md"
    doc.write_text("$$\np(x)=\\int p(x,z dz\n$$\n", encoding="utf-8")
    result = run_cli("verify", str(doc), "--json", "-")
    assert result.code == 1
    import json

    (row,) = json.loads(result.out)["rows"]
    assert row["verdict"] == "unverified" and row["evidence"].startswith("cannot parse:")


def test_unterminated_display_block_without_other_math(one_error_line, run_cli, tmp_path):
    doc = tmp_path / "open.md"
    doc.write_text("$$\np(x)=\\int p(x,z)dz\n", encoding="utf-8")
    result = run_cli("verify", str(doc))
    assert result.code == 2
    assert "$$" in one_error_line(result.err)


def test_unclosed_dollars_are_reported_and_the_math_the_page_shows_is_judged(run_cli, tmp_path):
    """MathJax leaves an unclosed $$ as text but still renders the align environment after it."""
    doc = tmp_path / "open.md"
    doc.write_text("$$\n\\begin{align}\np(x)=\\int p(x,z)dz\n\\end{align}\n", encoding="utf-8")
    result = run_cli("verify", str(doc))
    assert result.code == 0
    assert "'$$' on line 1 is never closed" in result.err


def test_unknown_subcommand_is_usage_error(one_error_line, run_cli):
    result = run_cli("frobnicate")
    assert result.code == 2
    assert "frobnicate" in result.err


def test_no_subcommand_prints_help_and_exits_2(one_error_line, run_cli):
    result = run_cli()
    assert result.code == 2
    assert "verify" in result.out


def test_unwritable_json_target(one_error_line, run_cli, tmp_path):
    target = tmp_path / "missing-dir" / "out.json"
    result = run_cli("verify", "--json", str(target))
    assert result.code == 2
    assert "--json" in one_error_line(result.err)


def test_an_unwritable_json_path_is_refused_before_any_work(one_error_line, run_cli, tmp_path, monkeypatch):
    import elbo_suite.identities as identities

    def never(*args, **kwargs):
        raise AssertionError("verification started before the output path was checked")

    monkeypatch.setattr(identities, "verify_path", never)
    for target, fragment in [(tmp_path / "missing" / "rows.json", "does not exist"),
                             (tmp_path, "is a directory")]:
        result = run_cli("verify", "--json", str(target))
        assert result.code == 2
        line = one_error_line(result.err)
        assert line.startswith("elbo-suite: error: --json:") and fragment in line


def test_a_document_over_the_size_limit_stops_with_one_line(one_error_line, run_cli, tmp_path):
    doc = tmp_path / "big.md"
    doc.write_text("$$\np(x)=\\int p(x,z)dz\n$$\n" * 100, encoding="utf-8")
    result = run_cli("verify", str(doc), "--max-bytes", "1000")
    assert result.code == 2
    line = one_error_line(result.err)
    assert "big.md" in line and "over the limit of 1,000 bytes" in line and "--max-bytes" in line


@pytest.mark.parametrize("option, value, fragment", [
    ("--row-seconds", "0", "positive number of seconds"),
    ("--row-seconds", "soon", "positive number of seconds"),
    ("--row-memory-mb", "8", "at least 64"),
    ("--max-bytes", "-5", "positive integer"),
])
def test_budget_options_name_the_value_expected(one_error_line, run_cli, option, value, fragment):
    result = run_cli("verify", option, value)
    assert result.code == 2
    line = one_error_line(result.err)
    assert option in line and fragment in line
