"""Per-sample exactness: on one seeded draw of ε, each estimator's rows equal a formula derived by
hand (1-D model) or an independent per-draw autograd computation (3-D model); no Monte Carlo."""

import math

import pytest
import torch

from elbo_suite.estimators.gradients import (
    MeanCholesky,
    MeanLogStd,
    MovingAverageBaseline,
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

X_1D = 1.0  # the observation of the target_1d fixture
M, LOG_S = 0.3, -0.2
S = math.exp(LOG_S)


def _eps(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(7))


def _f_1d(eps):  # log p(x, z) − log q(z) for the 1-D model, z = m + s ε
    z = M + S * eps
    log_p = -0.5 * z**2 - 0.5 * (X_1D - z) ** 2 - math.log(2 * math.pi)
    log_q = -0.5 * eps**2 - LOG_S - 0.5 * math.log(2 * math.pi)
    return log_p - log_q


def _q_1d():
    return MeanLogStd(torch.tensor([M, LOG_S]))


def test_pathwise_1d(target_1d):
    assert target_1d.x.tolist() == [X_1D]
    eps = _eps(9, 1)
    e, z = eps[:, 0], M + S * eps[:, 0]
    expected = torch.stack([X_1D - 2 * z, (X_1D - 2 * z) * S * e + 1.0], -1)
    torch.testing.assert_close(pathwise(target_1d.log_joint, _q_1d(), eps), expected)


def test_pathwise_analytic_kl_1d(target_1d):
    eps = _eps(9, 1)
    e, z = eps[:, 0], M + S * eps[:, 0]
    expected = torch.stack([X_1D - z - M, (X_1D - z) * S * e - (S**2 - 1.0)], -1)
    actual = pathwise_analytic_kl(target_1d.log_likelihood, _q_1d(), eps, kl_to_standard_normal_prior)
    torch.testing.assert_close(actual, expected)


def test_sticking_the_landing_1d(target_1d):
    eps = _eps(9, 1)
    e, z = eps[:, 0], M + S * eps[:, 0]
    grad_f = X_1D - 2 * z + e / S  # ∂/∂z [log p − log q] with q's parameters held fixed
    expected = torch.stack([grad_f, grad_f * S * e], -1)
    torch.testing.assert_close(sticking_the_landing(target_1d.log_joint, _q_1d(), eps), expected)


@pytest.mark.parametrize("keep", [True, False], ids=["with_zero_mean_term", "without"])
def test_score_function_1d(target_1d, keep):
    eps = _eps(9, 1)
    e = eps[:, 0]
    f = _f_1d(e) - (1.0 if keep else 0.0)
    expected = torch.stack([f * e / S, f * (e**2 - 1)], -1)
    actual = score_function(target_1d.log_joint, _q_1d(), eps, keep_zero_mean_term=keep)
    torch.testing.assert_close(actual, expected)


def test_score_function_expectation_objective_1d():
    eps = _eps(9, 1)
    e, x = eps[:, 0], M + S * eps[:, 0]
    cost = lambda z: torch.cos(3.0 * z[:, 0])  # noqa: E731
    expected_score = torch.stack([torch.cos(3 * x) * e / S, torch.cos(3 * x) * (e**2 - 1)], -1)
    expected_path = torch.stack([-3 * torch.sin(3 * x), -3 * torch.sin(3 * x) * S * e], -1)
    torch.testing.assert_close(score_function(cost, _q_1d(), eps, objective="expectation"), expected_score)
    torch.testing.assert_close(pathwise(cost, _q_1d(), eps, objective="expectation"), expected_path)


def test_optimal_baseline_leave_one_out_1d(target_1d):
    eps = _eps(6, 1)
    e = eps[:, 0]
    f = _f_1d(e)
    scores = torch.stack([e / S, e**2 - 1], -1)  # (N, 2)
    rows = []
    for n in range(6):  # the reference loops on purpose: draw n's baseline from the other five
        others = [j for j in range(6) if j != n]
        b = (f[others, None] * scores[others] ** 2).sum(0) / (scores[others] ** 2).sum(0)
        rows.append((f[n] - b) * scores[n])
    actual = score_function_optimal_baseline(target_1d.log_joint, _q_1d(), eps)
    torch.testing.assert_close(actual, torch.stack(rows))
    given = torch.tensor([0.5, -1.5])
    expected_given = (f[:, None] - given) * scores
    actual_given = score_function_optimal_baseline(target_1d.log_joint, _q_1d(), eps, baseline=given)
    torch.testing.assert_close(actual_given, expected_given)


def test_moving_average_baseline_uses_only_earlier_batches(target_1d):
    first, second = _eps(5, 1), _eps(10, 1)[5:]
    baseline = MovingAverageBaseline(decay=0.75)
    g1 = score_function_moving_average(target_1d.log_joint, _q_1d(), first, baseline)
    g2 = score_function_moving_average(target_1d.log_joint, _q_1d(), second, baseline)
    f1, f2 = _f_1d(first[:, 0]), _f_1d(second[:, 0])
    s = lambda e: torch.stack([e / S, e**2 - 1], -1)  # noqa: E731
    torch.testing.assert_close(g1, f1[:, None] * s(first[:, 0]))  # no earlier batch: b = 0
    torch.testing.assert_close(g2, (f2 - f1.mean())[:, None] * s(second[:, 0]))
    assert baseline.value == pytest.approx(0.75 * f1.mean().item() + 0.25 * f2.mean().item())


def test_rloo_1d(target_1d):
    eps = _eps(4, 3, 1)  # 4 groups of K = 3
    e = eps[..., 0]
    f = _f_1d(e)  # (4, 3)
    others = (f.sum(-1, keepdim=True) - f) / 2
    scores = torch.stack([e / S, e**2 - 1], -1)  # (4, 3, 2)
    expected = ((f - others)[..., None] * scores).mean(1)
    torch.testing.assert_close(score_function_rloo(target_1d.log_joint, _q_1d(), eps), expected)


def _iwae_reference_1d(eps):
    e = eps[..., 0]  # (N, K)
    z = M + S * e
    weights = _f_1d(e).softmax(-1)
    grad_f = X_1D - 2 * z + e / S  # ∂/∂z log w with q's parameters fixed
    path = torch.stack([grad_f, grad_f * S * e], -1)  # (N, K, 2)
    total = torch.stack([X_1D - 2 * z, (X_1D - 2 * z) * S * e + 1.0], -1)  # d/dφ log w(z(ε, φ))
    return weights, path, total


def test_iwae_estimators_1d(target_1d):
    eps = _eps(5, 4, 1)
    weights, path, total = _iwae_reference_1d(eps)
    q = _q_1d()
    torch.testing.assert_close(iwae_reparameterised(target_1d.log_joint, q, eps), (weights[..., None] * total).sum(1))
    torch.testing.assert_close(iwae_dreg(target_1d.log_joint, q, eps), (weights[..., None] ** 2 * path).sum(1))
    torch.testing.assert_close(
        iwae_sticking_the_landing(target_1d.log_joint, q, eps), (weights[..., None] * path).sum(1)
    )


# 3-D model, both parameterisations: rows against a per-draw autograd loop through an
# independently built q (torch.distributions), differentiating each draw's surrogate in φ.


def _q_3d(kind):
    generator = torch.Generator().manual_seed(3)
    mean = 0.3 * torch.randn(3, generator=generator)
    if kind == "diagonal":
        return MeanLogStd.from_parts(mean, 0.2 * torch.randn(3, generator=generator))
    lower = torch.tril(0.3 * torch.randn(3, 3, generator=generator), -1) + torch.diag(torch.tensor([0.9, 1.1, 0.7]))
    return MeanCholesky.from_parts(mean, lower)


def _reference_rows(q, eps, per_draw):
    rows = []
    for e in eps:  # the reference is a plain loop over draws, sharing nothing with the estimators
        phi = q.phi.detach().clone().requires_grad_(True)
        k = q.latent_dim
        if isinstance(q, MeanLogStd):
            mean, scale_tril = phi[:k], torch.diag(phi[k:].exp())
        else:
            rows_i, cols_i = torch.tril_indices(k, k, offset=-1)
            off = torch.zeros(k, k).index_put((rows_i, cols_i), phi[2 * k :])
            mean, scale_tril = phi[:k], off + torch.diag(phi[k : 2 * k].exp())
        dist = torch.distributions.MultivariateNormal(mean, scale_tril=scale_tril)
        (gradient,) = torch.autograd.grad(per_draw(mean + scale_tril @ e, dist), phi)
        rows.append(gradient)
    return torch.stack(rows)


@pytest.mark.parametrize("kind", ["diagonal", "cholesky"])
def test_pathwise_and_stl_3d_match_per_draw_autograd(target_3d, kind):
    q, eps = _q_3d(kind), _eps(6, 3)
    lj = lambda z: target_3d.log_joint(z[None])[0]  # noqa: E731

    def total(z, dist):
        return lj(z) - dist.log_prob(z)

    def stopped(z, dist):
        frozen = torch.distributions.MultivariateNormal(dist.loc.detach(), scale_tril=dist.scale_tril.detach())
        return lj(z) - frozen.log_prob(z)

    torch.testing.assert_close(pathwise(target_3d.log_joint, q, eps), _reference_rows(q, eps, total))
    torch.testing.assert_close(sticking_the_landing(target_3d.log_joint, q, eps), _reference_rows(q, eps, stopped))


@pytest.mark.parametrize("kind", ["diagonal", "cholesky"])
def test_score_function_3d_matches_per_draw_autograd(target_3d, kind):
    q, eps = _q_3d(kind), _eps(6, 3)
    lj = lambda z: target_3d.log_joint(z[None])[0]  # noqa: E731

    def surrogate(z, dist):  # f(z) log q(z) with z and f held fixed, plus the −log q term
        z = z.detach()
        f = lj(z) - dist.log_prob(z).detach()
        return f * dist.log_prob(z) - dist.log_prob(z)

    torch.testing.assert_close(score_function(target_3d.log_joint, q, eps), _reference_rows(q, eps, surrogate))


@pytest.mark.parametrize("kind", ["diagonal", "cholesky"])
def test_analytic_kl_3d_matches_per_draw_autograd(target_3d, kind):
    q, eps = _q_3d(kind), _eps(6, 3)
    ll = lambda z: target_3d.log_likelihood(z[None])[0]  # noqa: E731
    prior = torch.distributions.MultivariateNormal(torch.zeros(3), torch.eye(3))

    def surrogate(z, dist):
        return ll(z) - torch.distributions.kl_divergence(dist, prior)

    actual = pathwise_analytic_kl(target_3d.log_likelihood, q, eps, kl_to_standard_normal_prior)
    torch.testing.assert_close(actual, _reference_rows(q, eps, surrogate))
