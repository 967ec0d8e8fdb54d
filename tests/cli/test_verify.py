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


def test_unverified_rows_are_counted_by_category(run_cli, tmp_path):
    doc = tmp_path / "mixed.md"
    doc.write_text("$$\np(x)=\\int p(x,z)dz\n$$\n\n$$\np(x)=\\foo(x)\n$$\n", encoding="utf-8")
    result = run_cli("verify", str(doc))
    assert result.code == 1
    assert ("unverified: 1 cannot parse, 0 outside the model families, 0 undecided, 0 timed out"
            in result.out), result.out


def test_a_row_over_its_time_budget_is_reported_timed_out(run_cli, tmp_path):
    doc = tmp_path / "slow.md"
    slow = r"(a+b+c+d+e)^{64} = (a+b+c+d+e)^{63}a + (a+b+c+d+e)^{63}(b+c+d+e)"
    # The row after it is cheap, so it is judged well within the same budget on any machine.
    doc.write_text(f"$$\n{slow}\n$$\n\n$$\n1+1=2\n$$\n", encoding="utf-8")
    result = run_cli("verify", str(doc), "--row-seconds", "2", "--json", "-")
    assert result.code == 1
    rows = json.loads(result.out)["rows"]
    assert rows[0]["verdict"] == "unverified" and rows[0]["category"] == "timed out"
    assert "--row-seconds" in rows[0]["evidence"]
    assert rows[1]["verdict"] == "verified"


def test_progress_goes_to_stderr_in_a_few_lines(tmp_path):
    """Off a terminal a long document shows at most a few progress lines on stderr (none when it
    is done within the first seconds), never one per row, and stdout stays the JSON."""
    doc = tmp_path / "long.md"
    doc.write_text("$$\np(x)=\\int p(x,z)dz\n$$\n\n" * 60, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "elbo_suite", "verify", str(doc), "--json", "-"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(re.fullmatch(r"\[verify\] \d+/60 rows \(\d+:\d\d\)", line) for line in lines), lines
    assert len(lines) <= 12, result.stderr
    assert json.loads(result.stdout)["counts"]["verified"] == 60


def test_verify_reports_each_row_to_a_progress_callback():
    from elbo_suite.identities import verify_document

    seen = []
    verify_document("$$\np(x)=\\int p(x,z)dz\n$$\n\n" * 5, progress=lambda *a: seen.append(a))
    assert seen[0] == ("rows", 0, 5) and seen[-1] == ("rows", 5, 5)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


def test_a_refuted_row_shows_its_weaker_claim_and_its_repair(run_cli, tmp_path):
    """A step that holds only in expectation says so in its row and in a count line; a step one
    edit repairs prints 'holds if' with the corrected LaTeX."""
    model = (r"q(x_{1:T}|x_0)=\prod_{t=1}^{T}q(x_t|x_{t-1})",
             r"q(x_t|x_{t-1})=\mathcal{N}(x_t;\sqrt{\alpha_t}x_{t-1},(1-\alpha_t)I)",
             r"p(x_{0:T})=p(x_T)\prod_{t=1}^{T}p_\theta(x_{t-1}|x_t)",
             r"p(x_T)=\mathcal{N}(x_T;0,I)")
    rows = (*model, r"x_0=\mathbb{E}_{q(x_0|x_1)}\left[x_0\right]",
            r"x_t=\alpha_tx_{t-1}+\sqrt{1-\alpha_t}\epsilon\quad\text{with }\epsilon\sim\mathcal{N}(\epsilon;0,I)")
    doc = tmp_path / "chain.md"
    doc.write_text("\n\n".join(f"$$\n{r}\n$$" for r in rows) + "\n", encoding="utf-8")
    result = run_cli("verify", str(doc))
    assert result.code == 1
    flat = " ".join(result.out.split())
    assert "weaker claim: holds in expectation" in flat.replace("│ ", "")
    assert "refuted as written, of which: 1 holds in expectation, 1 hold after one edit ('holds if')" in flat
    assert "holds if" in flat and "square root" in flat
