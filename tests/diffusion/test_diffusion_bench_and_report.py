"""The diffusion benchmarks in quick mode and the report section built from them: sampled variances
agree with the exact ones, the stated shapes hold, the figures are written, and the JSON is plain.

Random statements: the agreement column is a z-test at α = 1e-3 per sweep (Bonferroni over its
rows) on fixed seeds. Bit-for-bit determinism under perturbed arithmetic is tests/report's job
(it builds every registered section, this one included)."""

import json
from pathlib import Path

import pytest

from elbo_suite.bench.diffusion_report import TITLE, markdown_section, section
from elbo_suite.bench.diffusion_sweeps import run_diffusion_sweeps
from elbo_suite.estimators.diffusion.case_set import QUICK_PROCESSES
from elbo_suite.estimators.diffusion.checks import run_diffusion_checks
from elbo_suite.report_sections import SECTIONS


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("figures")
    return run_diffusion_sweeps(True, out_dir), run_diffusion_checks(processes=QUICK_PROCESSES), out_dir


def test_sampled_variances_agree_with_the_exact_ones_and_the_shapes_hold(quick):
    sweeps, _, _ = quick
    assert len(sweeps.variance_rows) >= 20 and all(row.agrees for row in sweeps.variance_rows), \
        [row for row in sweeps.variance_rows if not row.agrees]
    assert sweeps.claims and all(claim.holds for claim in sweeps.claims), [c for c in sweeps.claims if not c.holds]
    assert {"vlb", "gradient_per_t", "gradient_uniform_t"} <= set(sweeps.tables)


def test_figures_are_written_and_the_json_is_plain(quick):
    sweeps, _, out_dir = quick
    assert [f.name for f in sweeps.figures] == ["diffusion_vlb_variance.png", "diffusion_gradient_variance.png"]
    assert all((out_dir / f.name).stat().st_size > 10_000 and f.caption for f in sweeps.figures)
    json.dumps(sweeps.to_dict(), allow_nan=False)  # numbers and strings only (no numpy scalars)


def test_the_section_opens_with_its_counts_and_is_registered(quick):
    sweeps, checks, _ = quick
    built = section(checks, sweeps, "figs")
    assert built.title == TITLE
    assert built.status == f"{len(checks)} of {len(checks)} claims hold; {len(sweeps.variance_rows)} of " \
                           f"{len(sweeps.variance_rows)} sampled variances agree with the exact ones"
    assert not any(f.problem for f in built.findings) and any("tight" in f.text for f in built.findings)
    for name in ("diffusion_vlb_variance.png", "diffusion_gradient_variance.png"):
        assert f"(figs/{name})" in built.body and f"(figs/{name})" in markdown_section(sweeps, "figs")
    assert "wall time" in built.timings and "wall time" not in built.body
    assert any(getattr(builder, "__name__", "") == "diffusion_section" for builder in SECTIONS)


def test_elbo_suite_report_writes_the_section_with_its_figures(quick, monkeypatch, tmp_path):
    """`elbo-suite report --path` with the diffusion section as its only section (the quick run's
    results reused: their own tests are above), into a temporary folder, never the tracked REPORT.md."""
    import shutil

    import elbo_suite.bench.diffusion_report as diffusion_report
    import elbo_suite.estimators.diffusion.checks as diffusion_checks
    import elbo_suite.report as report
    from elbo_suite.cli import main

    sweeps, checks, quick_figures = quick

    def cached_sweeps(quick, out_dir: Path, progress=None):
        for f in sweeps.figures:
            shutil.copy(quick_figures / f.name, Path(out_dir) / f.name)
        return sweeps

    build = report.build_report
    monkeypatch.setattr(report, "build_report", lambda figures_dir, progress=None: build(
        figures_dir, progress, quick=True, sections=[diffusion_report.diffusion_section]))
    monkeypatch.setattr(diffusion_checks, "run_diffusion_checks", lambda progress=None, **options: checks)
    monkeypatch.setattr(diffusion_report, "run_diffusion_sweeps", cached_sweeps)
    target = tmp_path / "REPORT.md"
    assert main(["report", "--path", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert f"## 1. {TITLE}" in text and "ELBO is tight" in text
    for f in sweeps.figures:
        assert f"(report-figures/{f.name})" in text and (tmp_path / "report-figures" / f.name).is_file()


def test_the_exact_vlb_claims_hold_at_the_reports_full_size(tmp_path):
    """The report runs the full sweep, the tests the quick one: the exact claims (no sampling) are
    held at the full sweep's T values too, where a claim over more T values can fail."""
    import dataclasses

    from elbo_suite.bench.diffusion_sweeps import FULL, vlb_variance_sweep

    _, _, claims, _ = vlb_variance_sweep(dataclasses.replace(FULL, empirical_steps=()), tmp_path, None)
    assert len(claims) == 4 and all(claim.holds for claim in claims), [c for c in claims if not c.holds]
