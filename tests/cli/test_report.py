"""`elbo-suite report`: writes REPORT.md; `--check` exits 1 when it is stale, timings ignored.

The pillars are replaced by a stand-in here (their own tests cover what they produce); what is
pinned down is the comparison: same bytes outside the timing section, or exit 1 with a diff.
"""

from __future__ import annotations

import pytest

import elbo_suite.report as report


def fake_report(timing: str, body: str = "body\n") -> str:
    return f"# report\n{body}{report.TIMINGS_START}\n{timing}\n{report.TIMINGS_END}\n"


@pytest.fixture
def generated(monkeypatch):
    state = {"text": fake_report("0.1 s")}
    monkeypatch.setattr(report, "build_report", lambda figures_dir, progress=None: state["text"])
    return state


def test_report_writes_the_file(run_cli, generated, tmp_path):
    target = tmp_path / "REPORT.md"
    result = run_cli("report", "--path", str(target))
    assert result.code == 0
    assert target.read_text(encoding="utf-8") == generated["text"]


def test_check_passes_when_only_timings_differ(run_cli, generated, tmp_path):
    target = tmp_path / "REPORT.md"
    target.write_text(fake_report("9.9 s"), encoding="utf-8")
    result = run_cli("report", "--check", "--path", str(target))
    assert result.code == 0, result.out
    assert "current" in result.out


def test_check_fails_when_content_differs(run_cli, generated, tmp_path):
    target = tmp_path / "REPORT.md"
    target.write_text(fake_report("0.1 s", body="hand-edited\n"), encoding="utf-8")
    result = run_cli("report", "--check", "--path", str(target))
    assert result.code == 1
    assert "out of date" in result.out and "hand-edited" in result.out


def test_check_fails_when_the_timing_markers_were_removed(run_cli, generated, tmp_path):
    target = tmp_path / "REPORT.md"
    target.write_text("# report\nbody\n", encoding="utf-8")
    assert run_cli("report", "--check", "--path", str(target)).code == 1


def test_check_on_a_missing_report_is_bad_input(run_cli, one_error_line, generated, tmp_path):
    result = run_cli("report", "--check", "--path", str(tmp_path / "absent.md"))
    assert result.code == 2
    assert "absent.md" in one_error_line(result.err)


def test_strip_timings_keeps_everything_else():
    text = fake_report("1 s", body="a\nb\n")
    assert report.strip_timings(text) == "# report\na\nb\n\n"


@pytest.mark.parametrize("where", ["missing-folder/REPORT.md", "."], ids=["missing-folder", "a-directory"])
def test_unwritable_report_path_is_bad_input_before_any_work(run_cli, one_error_line, monkeypatch, tmp_path, where):
    def must_not_run(figures_dir, progress=None):
        raise AssertionError("the report was built although its path is unusable")

    monkeypatch.setattr(report, "build_report", must_not_run)
    result = run_cli("report", "--path", str(tmp_path / where))
    assert result.code == 2
    assert "--path" in one_error_line(result.err)


def test_a_report_that_reads_the_same_is_kept_and_force_rewrites_it(run_cli, generated, tmp_path):
    """Regenerating on a fresh clone leaves the tracked REPORT.md untouched (`git status` clean):
    only its timings would change."""
    target = tmp_path / "REPORT.md"
    target.write_text(fake_report("9.9 s"), encoding="utf-8")
    kept = run_cli("report", "--path", str(target))
    assert kept.code == 0 and "kept as it is" in kept.out
    assert target.read_text(encoding="utf-8") == fake_report("9.9 s")
    assert run_cli("report", "--force", "--path", str(target)).code == 0
    assert target.read_text(encoding="utf-8") == generated["text"]


def test_force_with_check_is_a_usage_error(run_cli, one_error_line, generated, tmp_path):
    result = run_cli("report", "--check", "--force", "--path", str(tmp_path / "REPORT.md"))
    assert result.code == 2 and "--force" in one_error_line(result.err)
