"""The default check run on the seeded model set: every correct estimator passes every claim.

Seed 0 (the default model set and one generator per check, seeded from its position). Expected
false-failure rate: the family-wise α of the run, 1e-6 (Bonferroni over all statistical checks);
the tightness checks are exact. The negative controls live in test_estimator_negative_controls.py.
"""

import pytest
import torch

from elbo_suite.estimators.checks import check_unbiased, default_check_plan, run_default_checks
from elbo_suite.estimators.elbo import elbo_samples
from elbo_suite.estimators.model_set import default_cases
from elbo_suite.estimators.report import markdown_section


@pytest.fixture(scope="module")
def run():
    calls = []
    results = run_default_checks(progress=lambda what, done, total: calls.append((what, done, total)))
    return results, calls


def test_every_default_check_passes(run):
    results, _ = run
    failures = [result.message for result in results if not result.passed]
    assert not failures, "\n".join(failures)


def test_default_run_covers_every_claim_and_the_required_models(run):
    results, _ = run
    assert {result.claim for result in results} == {
        "bound", "gap identity", "tightness", "unbiased", "IWAE ordering", "IWAE convergence"
    }
    models = " ".join(result.model for result in results)
    for needed in ("k=1 d=1", "k=16 d=32", "diagonal q near", "diagonal q far", "full q near", "full q far"):
        assert needed in models
    statistical = [result for result in results if result.claim != "tightness"]
    assert all(result.alpha == pytest.approx(1e-6 / len(results)) for result in statistical)
    assert all(result.detectable_error > 0 and result.n >= 1024 for result in statistical)


def test_progress_reports_each_check_and_the_end(run):
    results, calls = run
    assert len(calls) == len(results) + 1
    assert [done for _, done, _ in calls] == list(range(len(results) + 1))
    assert calls[-1] == ("done", len(results), len(results))


def test_report_has_a_cell_per_check_and_a_row_per_model(run):
    results, _ = run
    table = markdown_section(results)
    assert table.count("| ✅") == len(results) and "❌" not in table
    models = {result.model for result in results}
    assert sum(line.startswith("| k=") for line in table.splitlines()) == len(models)


def test_tightness_reports_the_first_point_and_an_exact_zero_spread(run):
    results, _ = run
    tightness = [result for result in results if result.claim == "tightness"]
    assert tightness and all(result.data_point == 0 and result.stderr == 0.0 for result in tightness)
    assert "± 0 (exact)" in markdown_section(tightness)


def test_plan_is_deterministic():
    first = [label for label, _ in default_check_plan(0)]
    assert first == [label for label, _ in default_check_plan(0)]
    assert first != [label for label, _ in default_check_plan(1)]


def test_estimator_with_the_wrong_output_shape_is_rejected_clearly():
    case = default_cases()[0]
    with pytest.raises(ValueError, match=r"estimator: expected per-sample values of shape \(16384, 4\), got \(4,\)"):
        check_unbiased(lambda model, q, x, *, eps: elbo_samples(model, q, x, eps=eps).mean(0),
                       case.model, case.q, case.x, generator=torch.Generator().manual_seed(0))
