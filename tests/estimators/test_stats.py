"""The z-test machinery and the claim functions: calibration, power, verdicts and messages.

Seeds are fixed per test (stated inline). Expected false-failure rates: the two simulation tests
put their thresholds ≥ 5 binomial standard deviations from the expected counts (≤ 3e-7 each); the
claim tests use values whose verdict is decided by ≥ 10 standard errors.
"""

import math

import pytest
import torch
from scipy import stats

from elbo_suite.estimators.report import markdown_section
from elbo_suite.estimators.stats import (
    CheckResult,
    bonferroni,
    bound_claim,
    critical_value,
    detectable_error,
    gap_identity_claim,
    improvement_claim,
    mean_and_stderr,
    ordering_claim,
    tightness_claim,
    unbiased_claim,
)
from elbo_suite.estimators.stats.claims import first_largest
from elbo_suite.numbers import is_exact_zero


def test_critical_value_without_skew_is_the_normal_quantile_with_the_safety_factor():
    symmetric = torch.tensor([[-1.0, -2.0], [1.0, 2.0]]).repeat(50, 1)  # zero sample skewness
    torch.testing.assert_close(critical_value(1e-6, symmetric, two_sided=False), torch.full((2,), stats.norm.isf(5e-7)))
    torch.testing.assert_close(critical_value(1e-6, symmetric, two_sided=True), torch.full((2,), stats.norm.isf(2.5e-7)))
    assert bonferroni(1e-6, 4) == 2.5e-7
    with pytest.raises(ValueError, match="alpha: expected a level in"):
        critical_value(0.0, symmetric, two_sided=False)


def test_standard_error_is_the_sample_std_over_root_n():
    values = torch.tensor([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0], [6.0, 5.0]])
    mean, stderr = mean_and_stderr(values, torch.zeros(2))
    torch.testing.assert_close(mean, torch.tensor([3.0, 5.0]))
    assert math.isclose(stderr[0].item(), math.sqrt(14.0 / 3.0) / 2.0)
    assert stderr[1].item() == 1e-10  # zero variance: floored to rounding


def _studentised(values, mean):
    m, se = mean_and_stderr(values, torch.ones(values.shape[1]))
    return (m - mean) / se


def test_skewness_correction_keeps_the_false_alarm_rate_on_skewed_samples():
    """χ²₁ samples (skewness 2.8), n = 256, 40 000 replications, seed 2: the corrected one-sided
    test stays at or below α = 1e-2 (expected count ≈ 290, threshold 500); the plain z-test, the
    negative control, rejects more than twice as often (expected ≈ 950, threshold 800)."""
    alpha, n, replications = 1e-2, 256, 40_000
    values = torch.randn(n, replications, generator=torch.Generator().manual_seed(2)).square()
    lower_tail = -_studentised(values, 1.0)
    corrected = int((lower_tail > critical_value(alpha, values, two_sided=False)).sum())
    plain = int((lower_tail > stats.norm.isf(alpha)).sum())
    assert corrected <= alpha * replications + 5 * math.sqrt(alpha * replications), corrected
    assert plain > 2 * alpha * replications, plain


def test_detectable_error_is_detected_with_probability_090():
    """Gaussian samples shifted by the detectable error, n = 64, 20 000 replications, seed 3: the
    one-sided test at α = 1e-3 rejects with probability 0.9 (binomial sd 0.0021; band ± 0.011)."""
    alpha, n, replications = 1e-3, 64, 20_000
    values = torch.randn(n, replications, generator=torch.Generator().manual_seed(3))
    critical = critical_value(alpha, torch.zeros(2, 1), two_sided=False)  # no skew: the plain value
    shift = float(detectable_error(torch.tensor(1.0 / math.sqrt(n)), critical))
    rate = float((_studentised(values + shift, 0.0) > critical).double().mean())
    assert abs(rate - 0.9) < 0.011, rate


def _normal_values(means, sd, n=4096, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.tensor(means) + sd * torch.randn(n, len(means), generator=generator)


def test_bound_claim_fails_only_when_the_mean_exceeds_the_bound():
    exact = torch.tensor([0.0, 0.0, 0.0])
    below = bound_claim(_normal_values([-1.0, -0.5, -2.0], 1.0), exact, subject="S", model="M")
    assert below.passed and below.claim == "bound" and below.n == 4096 and below.alpha == 1e-6
    assert below.data_point is not None
    above = bound_claim(_normal_values([-1.0, 0.5, -2.0], 1.0), exact, subject="S", model="M")
    assert not above.passed
    assert above.message.startswith("bound FAILS for S:")
    assert "data point 1 of 3" in above.message and "; M;" in above.message and above.data_point == 1
    assert f"difference {above.estimate:+.3g}" in above.message
    assert above.detectable_error < 0.5 / 3


def test_two_sided_claims_catch_errors_in_either_direction():
    exact = torch.zeros(2)
    assert unbiased_claim(_normal_values([0.0, 0.0], 1.0), exact).passed
    assert not unbiased_claim(_normal_values([0.0, 0.3], 1.0), exact).passed
    assert not unbiased_claim(_normal_values([-0.3, 0.0], 1.0), exact).passed
    gap = gap_identity_claim(_normal_values([-1.0, -2.0], 1.0), torch.tensor([1.0, 2.3]), exact)
    assert not gap.passed and gap.claim == "gap identity" and "data point 1 of 2" in gap.message


def test_ordering_claim_reports_the_broken_link():
    base = _normal_values([0.0, 0.0], 1.0, seed=4)
    chain = [("A", base), ("B", base + 0.5), ("C", base + 0.2)]
    result = ordering_claim(chain, ("top", torch.tensor([1.0, 1.0])))
    assert not result.passed and result.subject == "B ≤ C" and result.alpha == 1e-6
    assert "each of the 3 links" in result.message
    assert ordering_claim(chain[:2], ("top", torch.tensor([1.0, 1.0]))).passed
    assert not ordering_claim(chain[:2], ("top", torch.tensor([0.3, 1.0]))).passed


def test_improvement_claim_requires_a_shown_improvement():
    lower = _normal_values([0.0, 0.0], 1.0, seed=5)
    assert improvement_claim(lower, lower + 0.2 + 0.1 * lower.abs()).passed
    none = improvement_claim(lower, lower.clone())
    assert not none.passed and none.estimate == 0.0 and "IWAE convergence FAILS" in none.message


def test_tightness_claim_is_exact():
    exact = torch.tensor([-3.0, -4.0])
    assert tightness_claim(exact + torch.zeros(5, 2), exact, 1e-12).passed
    off = tightness_claim(exact + torch.tensor([0.0, 1e-9]).expand(5, 2), exact, 1e-12)
    assert not off.passed and off.alpha == 0.0 and "differ by up to 1e-09" in off.message


def test_claims_reject_malformed_values():
    with pytest.raises(ValueError, match=r"values: expected per-sample values of shape \(n, B\), got \(5,\)"):
        bound_claim(torch.zeros(5), torch.zeros(5))
    with pytest.raises(ValueError, match=r"exact: expected shape \(B,\) = \(2,\), got \(3,\)"):
        bound_claim(torch.zeros(5, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        bound_claim(torch.full((5, 2), float("nan")), torch.zeros(2))


def _result(passed, alpha=1e-6, model="k=1 | d=1"):
    return CheckResult("bound", "MC ELBO", model, -1.234567891, 0.0123, -1.0, passed, alpha, 100, 0.05, "m", 2)


def test_result_dict_has_every_field():
    assert set(_result(True).to_dict()) == {
        "claim", "subject", "model", "estimate", "stderr", "exact", "passed", "alpha", "n",
        "detectable_error", "message", "data_point",
    }


def test_markdown_section_is_one_row_per_model_one_column_per_claim():
    text = markdown_section([
        _result(True), _result(True, model="k=2"),
        CheckResult("bound", "MC ELBO", "k=3", -2.0, 0.01, -1.0, False, 1e-6, 100, 0.05, "bound FAILS", 2),
    ])
    assert "each at α = 1e-06" in text  # one α for every check: said once, in the legend
    assert "| model | **bound** · MC ELBO · n = 100 |" in text  # what a column shares: in its header
    assert "| k=1 \\| d=1 | ✅ x_2: -1.235 ± 0.012 vs -1 |" in text
    assert "| k=3 | ❌ **FAIL** x_2: -2.000 ± 0.010 vs -1 |" in text
    assert "1 of 3 FAIL" in text


def test_section_lists_each_failed_check_as_a_problem():
    from elbo_suite.estimators.report import section

    result = section([_result(True), CheckResult("bound", "MC ELBO", "k=3", -2.0, 0.01, -1.0, False, 1e-6, 100,
                                                 0.05, "bound FAILS for MC ELBO")])
    assert result.status == "1 of 2 claims hold; 1 FAIL"
    assert [(f.problem, f.text) for f in result.findings] == [(True, "❌ bound FAILS for MC ELBO")]


def test_ties_within_rounding_report_the_first():
    assert first_largest([1.0, 1.0 + 1e-12, 0.5], tie=1e-9) == 0
    assert first_largest([1.0, 1.0 + 1e-6, 0.5], tie=1e-9) == 1


def test_data_points_equal_up_to_rounding_report_the_first():
    # Seed 5: the same 200 values in both columns, the second moved by 1e-13 relative: a tie.
    values = torch.randn(200, 1, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    values = torch.cat([values, values * (1 + 1e-13)], dim=1)
    for shift in (1e-13, -1e-13):
        moved = torch.cat([values[:, :1], values[:, 1:] * (1 + shift)], dim=1)
        assert bound_claim(moved, torch.full((2,), 0.5)).data_point == 0


def test_tightness_noise_never_picks_the_point_and_its_spread_is_exactly_zero():
    exact = torch.tensor([-3.0, -4.0, -5.0])
    noise = torch.tensor([[0.0, 4e-16, -8e-16], [2e-16, 0.0, 8e-16]])  # rounding, largest at x_2
    result = tightness_claim(exact + noise, exact, 1e-12)
    assert result.passed and result.data_point == 0 and is_exact_zero(result.stderr)
    assert "every single-sample value equals log p(x) to rounding" in result.message
