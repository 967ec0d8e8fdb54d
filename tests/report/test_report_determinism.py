"""REPORT.md reads the same on every machine.

Another machine computes the same seeded numbers up to rounding: other thread counts, SIMD widths
and summation orders move them by ~1e-15 relative. Here the whole computation is moved by far
more, 1e-12 relative: every Gaussian draw is scaled by 1 ± 1e-12 (alternating signs) and torch
runs on another number of threads. What a reader reads must not change by a single byte. The
report is built in quick mode (smaller samples, the same code paths) for every registered section.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch

from elbo_suite.report import build_report, reader_text

PERTURBATION = 1e-12


@contextmanager
def perturbed_computation():
    """Every torch.randn draw times (1 ± 1e-12), and a different torch thread count."""
    real_randn, threads = torch.randn, torch.get_num_threads()

    def randn(*args, **kwargs):
        draws = real_randn(*args, **kwargs)
        signs = torch.ones(draws.numel(), dtype=draws.dtype)
        signs[1::2] = -1.0
        return draws * (1.0 + PERTURBATION * signs.reshape(draws.shape))

    torch.randn = randn
    torch.set_num_threads(2 if threads == 1 else 1)
    try:
        yield
    finally:
        torch.randn = real_randn
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    plain = build_report(tmp_path_factory.mktemp("plain"), quick=True)
    with perturbed_computation():
        perturbed = build_report(tmp_path_factory.mktemp("perturbed"), quick=True)
    return plain, perturbed


def test_a_perturbation_at_1e_12_changes_no_byte_a_reader_reads(reports):
    plain, perturbed = reports
    assert reader_text(plain) == reader_text(perturbed)


def test_the_perturbation_reaches_the_computed_values():
    """The control: the same perturbation does move the raw numbers behind the report (so the
    test above compares two different computations, not one twice)."""
    from elbo_suite.estimators.checks import default_check_plan
    from elbo_suite.estimators.report import QUICK_SHAPES

    label, run = next((label, run) for label, run in default_check_plan(0, QUICK_SHAPES) if label.startswith("bound"))
    plain = run(1e-6, torch.Generator().manual_seed(0))
    with perturbed_computation():
        perturbed = run(1e-6, torch.Generator().manual_seed(0))
    assert 0 < abs(plain.estimate - perturbed.estimate) / abs(plain.estimate) < 1e-9, label


def test_the_report_shows_exact_zeros_as_exact(reports):
    plain, _ = reports
    assert "0 (exact)" in plain and "e-3" not in reader_text(plain)  # no 1e-31 rounding noise


def test_the_findings_fit_on_one_screen(reports):
    """Wrapped at 100 columns, the findings take at most 45 lines."""
    plain, _ = reports
    findings = plain[plain.index("## Findings"):plain.index("Contents:")]
    assert sum(max(1, -(-len(line) // 100)) for line in findings.splitlines()) <= 45
