"""REPORT.md's assembly: findings first, a section per registry entry, timings apart, and a
`--check` that compares what a reader reads."""

from __future__ import annotations

import pytest

import elbo_suite.report as report
from elbo_suite.report_sections import SECTIONS
from elbo_suite.section import Finding, ReportContext, Section

SCREEN_LINES = 40  # rendered lines on one screen; a finding wraps at about 120 characters


def _section(title: str, findings=(), timings: str = "") -> Section:
    return Section(title=title, status=f"{title} status", body=f"{title} details\n",
                   findings=list(findings), timings=timings)


def test_findings_come_first_problems_before_headlines():
    text = report.assemble([
        _section("Alpha", [Finding("headline A"), Finding("❌ broken A", problem=True)]),
        _section("Beta", [Finding("headline B")], timings="beta took 3 s\n"),
    ], "Measured here.\n")
    assert text.index("## Findings") < text.index("## 1. Alpha") < text.index("## 2. Beta") < text.index("## 3. Timings")
    assert text.index("❌ broken A") < text.index("headline A") < text.index("headline B")
    assert "**[Alpha](#1-alpha)**: Alpha status." in text
    timings = text[text.index(report.TIMINGS_START):text.index(report.TIMINGS_END)]
    assert "beta took 3 s" in timings and "Measured here." in timings
    assert "beta took 3 s" not in report.strip_timings(text)


def test_a_registered_section_needs_no_change_to_the_core(tmp_path):
    """What another pillar does to appear in the report: a builder, and one registry line."""
    def diffusion_checks(context: ReportContext) -> Section:
        context.step("checking", 1, 1)
        return _section("Diffusion checks", [Finding("❌ the T-step bound fails", problem=True)])

    calls = []
    text = report.build_report(tmp_path, lambda *call: calls.append(call), sections=[diffusion_checks])
    assert "## 1. Diffusion checks" in text and "- ❌ the T-step bound fails" in text
    assert ("checking (1/1)", 0, 1) in calls and calls[-1] == ("writing", 1, 1)


def test_the_registry_lists_the_derivation_the_checks_and_the_benchmarks():
    assert len(SECTIONS) >= 3 and all(callable(build) for build in SECTIONS)


def test_reader_text_ignores_what_a_reader_cannot_see():
    text = f"# R\n\nbody  \nmore\n{report.TIMINGS_START}\n1 s\n{report.TIMINGS_END}\n"
    same = f"# R\r\n\r\n\r\nbody\r\nmore\r\n{report.TIMINGS_START}\r\n9 s\r\n{report.TIMINGS_END}\r\n\r\n"
    assert report.reader_text(text) == report.reader_text(same)
    assert report.reader_text(text) != report.reader_text(text.replace("more", "mare"))


@pytest.fixture
def generated(monkeypatch):
    text = (f"# R\n\n![plot](report-figures/plot.png)\n\n{report.TIMINGS_START}\n0.1 s\n"
            f"{report.TIMINGS_END}\n")
    monkeypatch.setattr(report, "build_report", lambda figures_dir, progress=None: text)
    return text


def test_check_passes_on_a_checkout_with_windows_line_endings(generated, tmp_path):
    (tmp_path / "report-figures").mkdir()
    (tmp_path / "report-figures" / "plot.png").write_bytes(b"png")
    path = tmp_path / "REPORT.md"
    path.write_bytes(generated.replace("0.1 s", "7 s").replace("\n", "\r\n").encode())
    assert report.check_report(path) == (True, f"{path} is current (timing section ignored)")


def test_check_fails_when_an_embedded_figure_is_missing(generated, tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text(generated, encoding="utf-8")
    current, message = report.check_report(path)
    assert not current and "report-figures/plot.png" in message
