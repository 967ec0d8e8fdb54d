"""Empirical variances of the estimators against exact variances, and the exact values
themselves against numerical integration.

Variance test: for each (setting, estimator, coordinate) the unbiased sample variance s² of
N = 200 000 per-sample gradients is compared with the exact variance, using s²'s own standard
error from the sample fourth central moment, √(m4/N − s⁴(N−3)/(N(N−1))). A row fails when
|s² − exact| > z · SE with z the two-sided normal quantile at ALPHA / (number of rows): each test
function's false-alarm rate is at most ALPHA = 1e-3 (Bonferroni, normal approximation).
"""

import math

import pytest
import torch
from scipy import integrate

from elbo_suite.estimators.gradients import (
    MeanLogStd,
    kl_to_standard_normal_prior,
    pathwise,
    pathwise_analytic_kl,
    score_function,
    score_function_optimal_baseline,
    sticking_the_landing,
)
from elbo_suite.estimators.gradients.exact_variance import (
    ExactMoments,
    gaussian_cost,
    gaussian_cost_gradients,
    isotropic_linear_gaussian_variances,
    linear_gaussian_gradients,
)
from elbo_suite.estimators.gradients.statistics import two_sided_normal_quantile, variance_with_standard_error

ALPHA = 1e-3
N = 200_000

# (cost, μ, σ, k); exp(x) at σ = 1/2 keeps s²'s own standard error trustworthy (at σ = 1 the
# estimator's kurtosis is ~10⁴ and a sample fourth moment badly underestimates it).
COST_SETTINGS = [
    ("x", 1.0, 1.0, 1.0),
    ("x^2", 1.0, 1.0, 1.0),
    ("(x-k)^2", 1.0, 1.0, 2.0),
    ("exp(x)", 0.0, 0.5, 1.0),
    ("cos(kx)", 1.0, 1.0, 2.0),
    ("exp(-kx^2)", 1.0, 1.0, 2.0),
]


def _cost_fn(cost, k):
    return {
        "x": lambda x: x,
        "x^2": lambda x: x**2,
        "(x-k)^2": lambda x: (x - k) ** 2,
        "exp(x)": torch.exp,
        "cos(kx)": lambda x: torch.cos(k * x),
        "exp(-kx^2)": lambda x: torch.exp(-k * x**2),
    }[cost]


def _cost_estimates(cost, mu, sigma, k, eps):
    q = MeanLogStd(torch.tensor([mu, math.log(sigma)]))
    f = _cost_fn(cost, k)
    lj = lambda z: f(z[:, 0])  # noqa: E731
    return {
        "pathwise": pathwise(lj, q, eps, objective="expectation"),
        "score_function": score_function(lj, q, eps, objective="expectation"),
        "score_function_optimal_baseline": score_function_optimal_baseline(lj, q, eps, objective="expectation"),
    }


def _disagreements(empirical_by_name, exact_by_name, rows):
    z = two_sided_normal_quantile(ALPHA / rows)
    bad = []
    for name, samples in empirical_by_name.items():
        variance, standard_error = variance_with_standard_error(samples)
        for p, exact in enumerate(exact_by_name[name]):
            gap = abs(variance[p].item() - exact)
            if gap > z * standard_error[p].item() + 1e-12 * max(1.0, exact):
                bad.append((name, p, variance[p].item(), exact, standard_error[p].item()))
    return bad


def _eps(seed):
    return torch.randn(N, 1, generator=torch.Generator().manual_seed(seed))


def test_gaussian_cost_variances_match_exact():
    rows = len(COST_SETTINGS) * 3 * 2
    bad = []
    for i, (cost, mu, sigma, k) in enumerate(COST_SETTINGS):
        empirical = _cost_estimates(cost, mu, sigma, k, _eps(100 + i))
        exact = {
            name: [ExactMoments.of(e).variance for e in pair]
            for name, pair in gaussian_cost_gradients(cost, mu, sigma, k).items()
        }
        bad += [(cost, *row) for row in _disagreements(empirical, exact, rows)]
    assert not bad, f"(cost, estimator, coordinate, empirical, exact, SE), N = {N}: {bad}"


LINEAR_GAUSSIAN_SETTINGS = [(1.0, 0.3, -0.2), (1.0, -1.0, 0.4)]  # (x, m, log σ)


def _elbo_estimates(target, m, log_std, eps):
    q = MeanLogStd(torch.tensor([m, log_std]))
    return {
        "pathwise": pathwise(target.log_joint, q, eps),
        "pathwise_analytic_kl": pathwise_analytic_kl(target.log_likelihood, q, eps, kl_to_standard_normal_prior),
        "sticking_the_landing": sticking_the_landing(target.log_joint, q, eps),
        "score_function": score_function(target.log_joint, q, eps),
        "score_function_without_zero_mean_term": score_function(target.log_joint, q, eps, keep_zero_mean_term=False),
        "score_function_optimal_baseline": score_function_optimal_baseline(target.log_joint, q, eps),
    }


def test_linear_gaussian_elbo_variances_match_exact(target_1d):
    rows = len(LINEAR_GAUSSIAN_SETTINGS) * 6 * 2
    bad = []
    for i, (x, m, log_std) in enumerate(LINEAR_GAUSSIAN_SETTINGS):
        empirical = _elbo_estimates(target_1d, m, log_std, _eps(200 + i))
        exact = {name: [e.variance() for e in pair] for name, pair in linear_gaussian_gradients(x, m, log_std).items()}
        bad += [(m, log_std, *row) for row in _disagreements(empirical, exact, rows)]
    assert not bad, f"(m, log σ, estimator, coordinate, empirical, exact, SE), N = {N}: {bad}"


def test_variance_test_rejects_the_wrong_exact_variance(target_1d):
    # Negative control: the score function with the −∇log q term, held against the exact
    # variance of the form without it (and pathwise against pathwise + analytic KL).
    x, m, log_std = LINEAR_GAUSSIAN_SETTINGS[0]
    empirical = _elbo_estimates(target_1d, m, log_std, _eps(200))
    exact = {name: [e.variance() for e in pair] for name, pair in linear_gaussian_gradients(x, m, log_std).items()}
    swapped = {
        "score_function": exact["score_function_without_zero_mean_term"],
        "pathwise": exact["pathwise_analytic_kl"],
    }
    bad = _disagreements({k: empirical[k] for k in swapped}, swapped, rows=4)
    assert {(name, p) for name, p, *_ in bad} == {(n, p) for n in swapped for p in (0, 1)}


def test_variance_test_rejects_a_biased_scale_in_the_log_std_path(target_1d):
    # Negative control at σ ≠ 1: a pathwise log-std derivative missing its factor σ.
    x, m, log_std = LINEAR_GAUSSIAN_SETTINGS[1]
    q = MeanLogStd(torch.tensor([m, log_std]))
    eps = _eps(201)
    wrong = pathwise(target_1d.log_joint, q, eps)
    wrong[:, 1] = (wrong[:, 1] - 1.0) / math.exp(log_std) + 1.0
    exact = {"pathwise": [e.variance() for e in linear_gaussian_gradients(x, m, log_std)["pathwise"]]}
    bad = _disagreements({"pathwise": wrong}, exact, rows=2)
    assert [(name, p) for name, p, *_ in bad] == [("pathwise", 1)]


# The exact expressions against scipy quadrature of the same integrands written directly.


def _quad(fn):
    density = lambda t: math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)  # noqa: E731
    # |ε| > 40 carries probability < 1e-340: a finite range keeps exp(x)⁴ from overflowing.
    return integrate.quad(lambda t: fn(t) * density(t), -40.0, 40.0, limit=800, epsabs=1e-12, epsrel=1e-11)[0]


@pytest.mark.parametrize("cost, mu, sigma, k", COST_SETTINGS + [("cos(kx)", 1.0, 1.0, 7.0), ("exp(x)", 1.0, 1.0, 1.0)])
def test_exact_cost_gradient_variances_match_quadrature(cost, mu, sigma, k):
    f = {
        "x": lambda x: x,
        "x^2": lambda x: x * x,
        "(x-k)^2": lambda x: (x - k) ** 2,
        "exp(x)": math.exp,
        "cos(kx)": lambda x: math.cos(k * x),
        "exp(-kx^2)": lambda x: math.exp(-k * x * x),
    }[cost]
    h = 1e-4  # f' by a central difference: independent of the expression's own derivative
    df = lambda x: (f(x + h) - f(x - h)) / (2 * h)  # noqa: E731
    per_sample = {
        "pathwise": (lambda t: df(mu + sigma * t), lambda t: df(mu + sigma * t) * sigma * t),
        "score_function": (lambda t: f(mu + sigma * t) * t / sigma, lambda t: f(mu + sigma * t) * (t * t - 1)),
    }
    expressions = gaussian_cost_gradients(cost, mu, sigma, k)
    assert ExactMoments.of(gaussian_cost(cost, mu, sigma, k)).mean == pytest.approx(
        _quad(lambda t: f(mu + sigma * t)), rel=1e-8, abs=1e-10
    )
    for name, pair in per_sample.items():
        for g, expression in zip(pair, expressions[name]):
            mean = _quad(g)
            variance = _quad(lambda t: g(t) ** 2) - mean**2
            assert expression.expectation() == pytest.approx(mean, rel=1e-6, abs=1e-7)
            assert expression.variance() == pytest.approx(variance, rel=1e-6, abs=1e-7)


def test_isotropic_variances_reduce_to_1d_and_match_sampling():
    x, m, log_std = 1.0, 0.3, -0.2
    one_dim = {n: (a.variance(), b.variance()) for n, (a, b) in linear_gaussian_gradients(x, m, log_std).items()}
    for name, pair in isotropic_linear_gaussian_variances(1, x, m, log_std).items():
        assert pair == pytest.approx(one_dim[name], rel=1e-12)
    # In 8 dimensions the score function's mean[0] variance, from 200 000 direct samples of
    # f = Σ_i f_i, against the exact value; α = 1e-3 as above.
    dim = 8
    eps = torch.randn(N, dim, generator=torch.Generator().manual_seed(300))
    sigma = math.exp(log_std)
    z = m + sigma * eps
    f = (-0.5 * z**2 - 0.5 * (x - z) ** 2 + 0.5 * eps**2 + log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    samples = ((f - 1.0) * eps[:, 0] / sigma).unsqueeze(-1)
    exact = isotropic_linear_gaussian_variances(dim, x, m, log_std)["score_function"][0]
    assert not _disagreements({"score_function": samples}, {"score_function": [exact]}, rows=1)


def test_a_coefficient_that_cancels_to_rounding_is_exactly_zero():
    """Sticking the landing at the posterior of z ~ N(0,1), x|z ~ N(z,1), x = 1 (N(½, ½)) has
    ∂mean = (1/σ − 2σ) ε with σ² = ½: 0 in exact arithmetic, 1e-16 ε in float64. Its exact
    variance is 0 itself; one step away from the posterior it is not."""
    at_posterior = linear_gaussian_gradients(1.0, 0.5, 0.5 * math.log(0.5))["sticking_the_landing"]
    assert [g.variance() for g in at_posterior] == [0.0, 0.0]
    away = linear_gaussian_gradients(1.0, 0.5, 0.5 * math.log(0.5) + 1e-6)["sticking_the_landing"]
    assert all(g.variance() > 0 for g in away)
    assert linear_gaussian_gradients(1.0, 0.5, 0.5 * math.log(0.5))["pathwise"][0].variance() == pytest.approx(2.0)
