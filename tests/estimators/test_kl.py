"""Closed-form Gaussian KLs against torch.distributions.kl_divergence and numerical integration.

Deterministic: fixed seeds; quadrature tolerances are set by the integrator's error estimate.
"""

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence as torch_kl

from elbo_suite.estimators.kl import kl_diagonal_diagonal, kl_divergence, kl_full_full, kl_to_standard_normal
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian
from elbo_suite.estimators.variational.random import random_diagonal_gaussian, random_full_cov_gaussian


def _pair(make, latent_dim, seed):
    generator = torch.Generator().manual_seed(seed)
    return make(5, latent_dim, generator), make(5, latent_dim, generator)


def _torch_diagonal(q):
    return Independent(Normal(q.mean, q.std), 1)


def _torch_full(q):
    return MultivariateNormal(q.mean, scale_tril=q.scale_tril)


@pytest.mark.parametrize("latent_dim", [1, 4, 16])
def test_diagonal_diagonal_matches_torch_distributions(latent_dim):
    q, p = _pair(random_diagonal_gaussian, latent_dim, seed=latent_dim)
    expected = torch_kl(_torch_diagonal(q), _torch_diagonal(p))
    torch.testing.assert_close(kl_diagonal_diagonal(q, p), expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(kl_divergence(q, p), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("latent_dim", [1, 4, 16])
def test_full_full_matches_torch_distributions(latent_dim):
    q, p = _pair(random_full_cov_gaussian, latent_dim, seed=100 + latent_dim)
    expected = torch_kl(_torch_full(q), _torch_full(p))
    torch.testing.assert_close(kl_full_full(q, p), expected, rtol=1e-11, atol=1e-11)


def test_mixed_families_match_torch_distributions():
    generator = torch.Generator().manual_seed(4)
    q = random_diagonal_gaussian(5, 3, generator)
    p = random_full_cov_gaussian(5, 3, generator)
    expected = torch_kl(_torch_full(q.to_full_covariance()), _torch_full(p))
    torch.testing.assert_close(kl_divergence(q, p), expected, rtol=1e-11, atol=1e-11)
    expected = torch_kl(_torch_full(p), _torch_full(q.to_full_covariance()))
    torch.testing.assert_close(kl_divergence(p, q), expected, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("make", [random_diagonal_gaussian, random_full_cov_gaussian])
@pytest.mark.parametrize("latent_dim", [1, 16])
def test_kl_to_standard_normal_matches_torch_distributions(make, latent_dim):
    q = make(5, latent_dim, torch.Generator().manual_seed(8))
    prior = MultivariateNormal(torch.zeros(latent_dim), torch.eye(latent_dim))
    expected = torch_kl(_torch_full(q.to_full_covariance()), prior)
    torch.testing.assert_close(kl_to_standard_normal(q), expected, rtol=1e-11, atol=1e-11)


def test_kl_of_a_distribution_with_itself_is_zero():
    q = random_full_cov_gaussian(5, 6, torch.Generator().manual_seed(1))
    torch.testing.assert_close(kl_divergence(q, q), torch.zeros(5), rtol=0, atol=1e-13)


def test_one_dimensional_kl_matches_quadrature():
    q = DiagonalGaussian(torch.tensor([[0.3]]), torch.tensor([[-0.4]]))
    p = DiagonalGaussian(torch.tensor([[-1.1]]), torch.tensor([[0.5]]))
    q_pdf = stats.norm(0.3, np.exp(-0.4))
    p_pdf = stats.norm(-1.1, np.exp(0.5))
    integrand = lambda z: q_pdf.pdf(z) * (q_pdf.logpdf(z) - p_pdf.logpdf(z))
    value, error = integrate.quad(integrand, -10.0, 10.0, epsabs=1e-13, epsrel=1e-13, limit=200)  # ±14 sd of q
    assert error < 1e-10
    assert abs(kl_divergence(q, p).item() - value) < 1e-10


def test_two_dimensional_full_covariance_kl_matches_quadrature():
    q = FullCovGaussian(torch.tensor([[0.2, -0.5]]), torch.tensor([[[0.8, 0.0], [0.5, 0.6]]]))
    p = FullCovGaussian(torch.tensor([[-0.3, 0.4]]), torch.tensor([[[1.3, 0.0], [-0.4, 0.9]]]))
    q_pdf = stats.multivariate_normal(q.mean[0].numpy(), q.covariance()[0].numpy())
    p_pdf = stats.multivariate_normal(p.mean[0].numpy(), p.covariance()[0].numpy())

    # Simpson's rule on a tensor grid: the integrand is smooth with Gaussian tails, so ±8 and 1201
    # points per axis put the quadrature error far below the tolerance.
    axis = np.linspace(-8.0, 8.0, 1201)
    z = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1)  # (P, P, 2)
    integrand = q_pdf.pdf(z) * (q_pdf.logpdf(z) - p_pdf.logpdf(z))
    value = integrate.simpson(integrate.simpson(integrand, x=axis), x=axis)
    assert abs(kl_divergence(q, p).item() - value) < 1e-9


def test_mismatched_shapes_and_types_are_rejected():
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"same \(B, k\), got q \(5, 2\) and p \(5, 3\)"):
        kl_divergence(random_diagonal_gaussian(5, 2, generator), random_diagonal_gaussian(5, 3, generator))
    with pytest.raises(TypeError, match="q: expected DiagonalGaussian or FullCovGaussian, got Normal"):
        kl_to_standard_normal(Normal(0.0, 1.0))
