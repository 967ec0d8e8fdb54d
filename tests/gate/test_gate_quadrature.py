"""The quadrature claim: exact expectations where sound, skipped (never failed) where not."""

import math

import torch

from elbo_suite.gate import check_gradient_estimator
from elbo_suite.gate.quadrature import gauss_hermite_grid
from elbo_suite.estimators.gradients import pathwise, score_function_optimal_baseline

QUADRATURE = "unbiased, exact by quadrature"


def test_grid_integrates_gaussian_moments_exactly():
    points, weights = gauss_hermite_grid(2, 6)
    assert math.isclose(float(weights.sum()), 1.0, rel_tol=1e-14)
    # E[ε1^4 ε2^2] = 3 · 1 and E[ε1^3 ε2] = 0 under N(0, I), independently of the rule.
    assert math.isclose(float(weights @ (points[:, 0] ** 4 * points[:, 1] ** 2)), 3.0, rel_tol=1e-12)
    assert abs(float(weights @ (points[:, 0] ** 3 * points[:, 1]))) < 1e-14


def claims(result):
    return [c["claim"] for c in result.details["claims"]]


def test_single_draw_estimator_gets_the_exact_claim():
    result = check_gradient_estimator(pathwise, num_draws=2_000)
    assert result.passed and QUADRATURE in claims(result)


def test_rows_that_depend_on_other_draws_skip_it():
    # A leave-one-out baseline uses the other draws: quadrature weights cannot average its rows.
    result = check_gradient_estimator(score_function_optimal_baseline, num_draws=2_000)
    assert result.passed and QUADRATURE not in claims(result)


def test_non_polynomial_estimator_is_not_judged_by_an_unconverged_rule():
    # Unbiased but not polynomial in ε: pathwise plus cos(3ε₁) − E[cos(3ε₁)] (E = 0). The 6- and
    # 10-node rules disagree on it (errors ≈ 0.1 and 6e-4), so the claim is skipped, not failed.
    def zero_mean_cosine_added(log_joint, q, eps):
        return pathwise(log_joint, q, eps) + (torch.cos(3 * eps[:, :1]) - math.exp(-4.5))

    result = check_gradient_estimator(zero_mean_cosine_added, num_draws=2_000)
    assert QUADRATURE not in claims(result)
    assert result.passed, result.message
