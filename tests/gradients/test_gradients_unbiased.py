"""Unbiasedness of every estimator against the exact gradient, as z-tests on the sample mean.

Each test draws N per-sample gradients from one fixed seed and rejects when any coordinate's
|mean − exact| / (std / √N) exceeds the two-sided normal quantile at α / P (Bonferroni over the P
coordinates), so each test's false-alarm rate is at most ALPHA = 1e-3 (up to the normal
approximation of the mean). Negative controls — estimators with a real bias — must be rejected
by the same test.
"""

import math

import numpy as np
import pytest
import torch

from elbo_suite.estimators.gradients import (
    MeanCholesky,
    MeanLogStd,
    MovingAverageBaseline,
    exact_gradient,
    iwae_dreg,
    iwae_reparameterised,
    iwae_sticking_the_landing,
    kl_to_standard_normal_prior,
    pathwise,
    pathwise_analytic_kl,
    score_function,
    score_function_moving_average,
    score_function_optimal_baseline,
    score_function_rloo,
    sticking_the_landing,
)
from elbo_suite.estimators.gradients.exact_variance import linear_gaussian_exact_gradient
from elbo_suite.estimators.gradients.statistics import two_sided_normal_quantile

ALPHA = 1e-3
N = 20_000


def z_scores(samples, exact):
    standard_error = samples.std(0) / math.sqrt(samples.shape[0])
    return (samples.mean(0) - exact) / standard_error


def rejects(samples, exact):
    return bool(z_scores(samples, exact).abs().max() > two_sided_normal_quantile(ALPHA / samples.shape[1]))


def assert_unbiased(samples, exact):
    z = z_scores(samples, exact)
    assert not rejects(samples, exact), (
        f"mean {samples.mean(0).tolist()} vs exact {exact.tolist()}: z = {z.tolist()} "
        f"(N = {samples.shape[0]}, α = {ALPHA})"
    )


def _noise(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _q(kind):
    mean = torch.tensor([0.4, -0.3, 0.2])
    if kind == "diagonal":
        return MeanLogStd.from_parts(mean, torch.tensor([-0.3, 0.1, -0.5]))
    lower = torch.tensor([[0.8, 0.0, 0.0], [0.3, 1.1, 0.0], [-0.2, 0.25, 0.6]])
    return MeanCholesky.from_parts(mean, lower)


def _moving_average(log_joint, q, eps, objective="elbo"):
    baseline = MovingAverageBaseline(decay=0.8)
    batches = eps.reshape(20, -1, eps.shape[-1])  # 20 successive batches, as in training
    return torch.cat(
        [score_function_moving_average(log_joint, q, batch, baseline, objective=objective) for batch in batches]
    )


ELBO_ESTIMATORS = {
    "pathwise": lambda t, q, eps: pathwise(t.log_joint, q, eps),
    "pathwise_analytic_kl": lambda t, q, eps: pathwise_analytic_kl(
        t.log_likelihood, q, eps, kl_to_standard_normal_prior
    ),
    "sticking_the_landing": lambda t, q, eps: sticking_the_landing(t.log_joint, q, eps),
    "score_function": lambda t, q, eps: score_function(t.log_joint, q, eps),
    "score_function_without_zero_mean_term": lambda t, q, eps: score_function(
        t.log_joint, q, eps, keep_zero_mean_term=False
    ),
    "optimal_baseline": lambda t, q, eps: score_function_optimal_baseline(t.log_joint, q, eps),
    "moving_average_baseline": lambda t, q, eps: _moving_average(t.log_joint, q, eps),
    "rloo_K4": lambda t, q, eps: score_function_rloo(t.log_joint, q, eps.reshape(-1, 4, eps.shape[-1])),
    "iwae_K1": lambda t, q, eps: iwae_reparameterised(t.log_joint, q, eps.unsqueeze(1)),
    "dreg_K1": lambda t, q, eps: iwae_dreg(t.log_joint, q, eps.unsqueeze(1)),
    "iwae_stl_K1": lambda t, q, eps: iwae_sticking_the_landing(t.log_joint, q, eps.unsqueeze(1)),
}


@pytest.mark.parametrize("kind", ["diagonal", "cholesky"])
@pytest.mark.parametrize("name", list(ELBO_ESTIMATORS))
def test_elbo_estimator_unbiased(target_3d, name, kind):
    q = _q(kind)
    samples = ELBO_ESTIMATORS[name](target_3d, q, _noise(11, N, 3))
    assert_unbiased(samples, target_3d.exact_elbo_gradient(q))


def test_exact_elbo_gradient_matches_hand_derivation(target_1d):
    q = MeanLogStd(torch.tensor([0.3, -0.2]))
    expected = torch.tensor(linear_gaussian_exact_gradient(1.0, 0.3, -0.2))
    torch.testing.assert_close(target_1d.exact_elbo_gradient(q), expected)


# A plain expectation E[cos(3x)], x ~ N(μ, σ²), = cos(3μ) exp(−9σ²/2).
def _cos_cost(z):
    return torch.cos(3.0 * z[:, 0])


def _cos_closed_form(q):
    return torch.cos(3.0 * q.mean[0]) * torch.exp(-4.5 * q.std[0] ** 2)


EXPECTATION_ESTIMATORS = {
    "pathwise": lambda q, eps: pathwise(_cos_cost, q, eps, objective="expectation"),
    "score_function": lambda q, eps: score_function(_cos_cost, q, eps, objective="expectation"),
    "optimal_baseline": lambda q, eps: score_function_optimal_baseline(_cos_cost, q, eps, objective="expectation"),
    "moving_average_baseline": lambda q, eps: _moving_average(_cos_cost, q, eps, objective="expectation"),
    "rloo_K4": lambda q, eps: score_function_rloo(_cos_cost, q, eps.reshape(-1, 4, 1), objective="expectation"),
}


@pytest.mark.parametrize("name", list(EXPECTATION_ESTIMATORS))
def test_expectation_estimator_unbiased(name):
    q = MeanLogStd(torch.tensor([0.4, -0.6]))
    samples = EXPECTATION_ESTIMATORS[name](q, _noise(12, N, 1))
    assert_unbiased(samples, exact_gradient(_cos_closed_form, q))


# Negative controls: each has a bias that the same z-test must detect.


def test_rejects_score_function_missing_the_entropy_term(target_3d):
    # f = log p only: the dropped E[−log q · ∇log q] = ∇H[q] is not zero-mean.
    q = _q("diagonal")
    samples = score_function(target_3d.log_joint, q, _noise(11, N, 3), objective="expectation")
    assert rejects(samples, target_3d.exact_elbo_gradient(q))


def test_rejects_baseline_that_depends_on_the_current_draw(target_3d):
    # b_k = mean of all K values of f in the group, including f_k itself: biased by −E[f s]/K.
    q, eps = _q("diagonal"), _noise(11, N, 3).reshape(-1, 2, 3)
    flat = eps.reshape(-1, 3)
    f = (target_3d.log_joint(q.path(flat)) - q.log_prob(flat)).reshape(-1, 2)
    scores = q.score(flat).reshape(-1, 2, q.num_params)
    samples = ((f - f.mean(-1, keepdim=True)).unsqueeze(-1) * scores).mean(1)
    assert rejects(samples, target_3d.exact_elbo_gradient(q))
    # The leave-one-out version of the same baseline on the same draws is accepted.
    assert_unbiased(score_function_rloo(target_3d.log_joint, q, eps), target_3d.exact_elbo_gradient(q))


# IWAE_K for the 1-D model: the exact gradient by autograd through a tensor-product
# Gauss–Hermite quadrature of E[log 1/K Σ_k w_k] over (ε_1, …, ε_K), with log w written by hand.
IWAE_M, IWAE_LOG_S = -0.2, math.log(1.1)  # away from the posterior N(0.5, 0.5)


def iwae_exact_gradient(K, nodes=40):
    t, w = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(−ε²/2), total √(2π)
    t, w = torch.tensor(t), torch.tensor(w) / math.sqrt(2 * math.pi)
    eps = torch.stack([g.reshape(-1) for g in torch.meshgrid(*([t] * K), indexing="ij")], -1)
    weight = torch.stack([g.reshape(-1) for g in torch.meshgrid(*([w] * K), indexing="ij")], -1).prod(-1)
    phi = torch.tensor([IWAE_M, IWAE_LOG_S], requires_grad=True)
    z = phi[0] + phi[1].exp() * eps
    log_w = -0.5 * z**2 - 0.5 * (1.0 - z) ** 2 - 0.5 * math.log(2 * math.pi) + 0.5 * eps**2 + phi[1]
    objective = (weight * (torch.logsumexp(log_w, -1) - math.log(K))).sum()
    return torch.autograd.grad(objective, phi)[0]


def test_iwae_quadrature_reference_is_accurate():
    # K = 1 is the ELBO, known in closed form. For K = 3, 40 nodes agree with 64 to far below
    # the Monte Carlo standard errors (≈ 3e-3) the tests resolve.
    torch.testing.assert_close(
        iwae_exact_gradient(1), torch.tensor(linear_gaussian_exact_gradient(1.0, IWAE_M, IWAE_LOG_S))
    )
    torch.testing.assert_close(iwae_exact_gradient(3), iwae_exact_gradient(3, 64), rtol=0, atol=1e-5)


@pytest.mark.parametrize("K", [2, 3])
def test_iwae_and_dreg_unbiased_stl_biased(target_1d, K):
    q = MeanLogStd(torch.tensor([IWAE_M, IWAE_LOG_S]))
    eps = _noise(13, N, K, 1)
    exact = iwae_exact_gradient(K)
    assert_unbiased(iwae_reparameterised(target_1d.log_joint, q, eps), exact)
    assert_unbiased(iwae_dreg(target_1d.log_joint, q, eps), exact)
    assert rejects(iwae_sticking_the_landing(target_1d.log_joint, q, eps), exact)
