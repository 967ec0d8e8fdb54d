"""The diffusion benchmarks in quick mode and the report section built from them: sampled variances
agree with the exact ones, the stated shapes hold, the figures are written, and the JSON is plain.

Random statements: the agreement column is a z-test at α = 1e-3 per sweep (Bonferroni over its
rows) on fixed seeds. Bit-for-bit determinism under perturbed arithmetic is tests/report's job
(it builds every registered section, this one included)."""

import json

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
