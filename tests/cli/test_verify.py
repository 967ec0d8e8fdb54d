"""`elbo-suite verify`: the table, the counts line, the JSON rows and the exit code."""

from __future__ import annotations

import json
import re
import subprocess
import sys

REQUIRED_KEYS = {"number", "block", "row", "relation", "latex", "verdict", "evidence"}
COUNTS = re.compile(r"(\d+) verified, (\d+) refuted, (\d+) definition, (\d+) unverified")


def test_embedded_derivation_table_counts_and_json(run_cli, tmp_path):
    target = tmp_path / "rows.json"
    result = run_cli("verify", "--json", str(target))
    counts = COUNTS.search(result.out)
    assert counts, result.out
    verified, refuted, definition, unverified = map(int, counts.groups())
    rows = json.loads(target.read_text(encoding="utf-8"))["rows"]
    assert verified + refuted + definition + unverified == len(rows)
    for row in rows:
        assert REQUIRED_KEYS <= row.keys()
        assert row["evidence"], row
    # Exit code 1 exactly when something is refuted or unverified.
    assert result.code == (1 if refuted or unverified else 0)


def test_a_correct_document_passes(run_cli, tmp_path):
    doc = tmp_path / "ok.md"
    doc.write_text(
        "Bayes:\n\n$$\n\\begin{align}\n"
        "\\log p(\\boldsymbol{x}) &= \\log\\frac{p(\\boldsymbol{x},\\boldsymbol{z})}{p(\\boldsymbol{z}|\\boldsymbol{x})}\\\\\\\\\n"
        "&= \\mathbb{E}\\_{q\\_\\phi(\\boldsymbol{z}|\\boldsymbol{x})}\\left[\\log p(\\boldsymbol{x})\\right]\n"
        "\\end{align}\n$$\n",
        encoding="utf-8",
    )
    result = run_cli("verify", str(doc))
    assert result.code == 0, result.out + result.err
    assert "0 refuted" in result.out


def test_a_wrong_step_fails(run_cli, tmp_path):
    doc = tmp_path / "wrong.md"
    doc.write_text(
        "$$\n\\begin{align}\n"
        "\\log p(\\boldsymbol{x}) &\\leq \\mathbb{E}\\_{q\\_\\phi(\\boldsymbol{z}|\\boldsymbol{x})}"
        "\\left[\\log\\frac{p(\\boldsymbol{x},\\boldsymbol{z})}{q\\_\\phi(\\boldsymbol{z}|\\boldsymbol{x})}\\right]\n"
        "\\end{align}\n$$\n",
        encoding="utf-8",
    )
    result = run_cli("verify", str(doc), "--json", "-")
    assert result.code == 1
    rows = json.loads(result.out)["rows"]
    assert rows[0]["verdict"] == "refuted"


def test_verify_does_not_import_torch():
    code = (
        "import sys\n"
        "from elbo_suite.cli import main\n"
        "main(['verify', '--json', '-'])\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "NO-TORCH" in proc.stderr, proc.stderr


def test_console_script_help_lists_every_command():
    proc = subprocess.run(
        [sys.executable, "-m", "elbo_suite", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for command in ("verify", "check", "bench", "report"):
        assert command in proc.stdout
