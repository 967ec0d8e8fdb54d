"""q families against scipy.stats: log-density, entropy, covariance, reparameterised sampling.

Deterministic: fixed seeds, exact comparisons to float64 rounding; no statistical tests here.
"""

import numpy as np
import pytest
import torch
from scipy import stats

from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian
from elbo_suite.estimators.variational.random import random_diagonal_gaussian, random_full_cov_gaussian


def _random_q(kind, batch_size, latent_dim, seed):
    generator = torch.Generator().manual_seed(seed)
    make = random_diagonal_gaussian if kind == "diagonal" else random_full_cov_gaussian
    return make(batch_size, latent_dim, generator)


def _scipy_covariance(q, b):
    if isinstance(q, DiagonalGaussian):
        return np.diag(np.exp(2.0 * q.log_std[b].numpy()))
    L = q.scale_tril[b].numpy()
    return L @ L.T


KINDS = ["diagonal", "full"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("latent_dim", [1, 3, 16])
def test_log_prob_and_entropy_match_scipy(kind, latent_dim):
    q = _random_q(kind, 4, latent_dim, seed=11 + latent_dim)
    z = torch.randn(5, 4, latent_dim, generator=torch.Generator().manual_seed(3)) * 2.0
    log_prob = q.log_prob(z)
    assert log_prob.shape == (5, 4)
    entropy = q.entropy()
    for b in range(4):
        reference = stats.multivariate_normal(q.mean[b].numpy(), _scipy_covariance(q, b))
        np.testing.assert_allclose(log_prob[:, b].numpy(), reference.logpdf(z[:, b].numpy()), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(entropy[b].item(), reference.entropy(), rtol=1e-12)
        np.testing.assert_allclose(q.covariance()[b].numpy(), _scipy_covariance(q, b), rtol=1e-13)
        np.testing.assert_allclose(q.std[b].numpy(), np.sqrt(np.diag(_scipy_covariance(q, b))), rtol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_log_prob_accepts_extra_leading_axes(kind):
    q = _random_q(kind, 3, 2, seed=5)
    z = torch.randn(4, 6, 3, 2, generator=torch.Generator().manual_seed(0))
    flat = q.log_prob(z.reshape(24, 3, 2)).reshape(4, 6, 3)
    torch.testing.assert_close(q.log_prob(z), flat, rtol=0, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_rsample_is_mean_plus_scale_times_noise(kind):
    q = _random_q(kind, 3, 4, seed=7)
    eps = torch.randn(6, 3, 4, generator=torch.Generator().manual_seed(1))
    scale = q.scale_tril.numpy()
    expected = q.mean.numpy() + np.einsum("bij,lbj->lbi", scale, eps.numpy())
    np.testing.assert_allclose(q.rsample(eps).numpy(), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_is_rsample_of_fresh_noise_from_the_generator(kind):
    q = _random_q(kind, 3, 4, seed=7)
    drawn = q.sample(5, torch.Generator().manual_seed(9))
    eps = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(drawn, q.rsample(eps), rtol=0, atol=0)


def test_rsample_is_differentiable_in_the_parameters():
    mean = torch.zeros(2, 3, requires_grad=True)
    log_std = torch.zeros(2, 3, requires_grad=True)
    eps = torch.ones(4, 2, 3)
    DiagonalGaussian(mean, log_std).rsample(eps).sum().backward()
    torch.testing.assert_close(mean.grad, torch.full((2, 3), 4.0))
    torch.testing.assert_close(log_std.grad, torch.full((2, 3), 4.0))  # d/dlog σ of σ·1 at σ = 1


def test_full_cov_from_covariance_round_trips():
    q = _random_q("full", 3, 4, seed=2)
    again = FullCovGaussian.from_covariance(q.mean, q.covariance())
    torch.testing.assert_close(again.scale_tril, q.scale_tril, rtol=1e-12, atol=1e-12)


def test_diagonal_as_full_covariance_keeps_the_density():
    q = _random_q("diagonal", 3, 4, seed=2)
    z = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(q.to_full_covariance().log_prob(z), q.log_prob(z), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: DiagonalGaussian(torch.zeros(2, 3), torch.zeros(2, 4)), r"log_std: expected shape \(B, k\) like mean = \(2, 3\), got \(2, 4\)"),
        (lambda: DiagonalGaussian(torch.zeros(3), torch.zeros(3)), r"mean: expected shape \(B, k\)"),
        (lambda: DiagonalGaussian(torch.zeros(2, 3), torch.full((2, 3), float("nan"))), "log_std: expected finite values"),
        (lambda: FullCovGaussian(torch.zeros(2, 2), -torch.eye(2).expand(2, 2, 2)), "strictly positive diagonal"),
        (lambda: FullCovGaussian(torch.zeros(2, 2), torch.ones(2, 2, 2)), "lower-triangular"),
        (lambda: FullCovGaussian(torch.zeros(2, 2), torch.eye(3).expand(2, 3, 3)), r"scale_tril: expected shape \(B, k, k\)"),
        (lambda: FullCovGaussian.from_covariance(torch.zeros(1, 2), -torch.eye(2)[None]), "positive-definite"),
    ],
)
def test_bad_parameters_raise_value_errors_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_types_raise_type_errors():
    with pytest.raises(TypeError, match="mean: expected a torch.Tensor, got list"):
        DiagonalGaussian([[0.0]], torch.zeros(1, 1))
    with pytest.raises(TypeError, match="log_std: expected dtype torch.float64 to match mean"):
        DiagonalGaussian(torch.zeros(1, 1), torch.zeros(1, 1, dtype=torch.float32))
    q = _random_q("diagonal", 2, 3, seed=0)
    with pytest.raises(ValueError, match=r"eps: expected shape \(..., B, k\) = \(..., 2, 3\), got \(5, 3, 2\)"):
        q.rsample(torch.zeros(5, 3, 2))
    with pytest.raises(TypeError, match="generator: expected a torch.Generator"):
        q.sample(3, 0)
    with pytest.raises(ValueError, match="num_samples: expected a positive int, got 0"):
        q.sample(0, torch.Generator())
