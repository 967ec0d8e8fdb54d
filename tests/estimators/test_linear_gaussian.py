"""The linear-Gaussian model's exact quantities against independent computations.

References: scipy.stats densities, numerical integration over z (k = 1, 2), Gaussian conditioning of
the joint (z, x) covariance in numpy, and the gap identity with torch.distributions' KL.
Deterministic: fixed seeds, no Monte Carlo.
"""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch.distributions import MultivariateNormal, kl_divergence as torch_kl

from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian
from elbo_suite.estimators.variational.random import random_diagonal_gaussian, random_full_cov_gaussian


def _model_and_data(latent_dim, data_dim, seed, batch_size=4):
    generator = torch.Generator().manual_seed(seed)
    model = LinearGaussianModel.random(latent_dim, data_dim, generator, noise_std=0.7)
    return model, model.sample_data(batch_size, generator), generator


def _numpy_posterior(model, x):
    """Condition the joint Gaussian of (z, x): mean Wᵀ C⁻¹ (x − b), covariance I − Wᵀ C⁻¹ W."""
    W, b, s = model.W.numpy(), model.b.numpy(), model.noise_std
    C = W @ W.T + s**2 * np.eye(W.shape[0])
    gain = np.linalg.solve(C, W).T  # Wᵀ C⁻¹
    return (x.numpy() - b) @ gain.T, np.eye(W.shape[1]) - gain @ W


SHAPES = [(1, 1), (1, 3), (2, 5), (16, 64)]


def test_random_model_is_seeded_with_nonzero_offset():
    one = LinearGaussianModel.random(3, 5, torch.Generator().manual_seed(1))
    two = LinearGaussianModel.random(3, 5, torch.Generator().manual_seed(1))
    assert torch.equal(one.W, two.W) and torch.equal(one.b, two.b)
    assert (one.latent_dim, one.data_dim) == (3, 5)
    assert bool((one.b != 0).all())
    assert one.W.dtype == torch.float64


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_log_marginal_matches_scipy(latent_dim, data_dim):
    model, x, _ = _model_and_data(latent_dim, data_dim, seed=latent_dim * 7 + data_dim)
    W, b = model.W.numpy(), model.b.numpy()
    covariance = W @ W.T + model.noise_std**2 * np.eye(data_dim)
    expected = stats.multivariate_normal(b, covariance).logpdf(x.numpy())
    np.testing.assert_allclose(model.log_marginal(x).numpy(), np.atleast_1d(expected), rtol=1e-12)


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_log_joint_matches_scipy(latent_dim, data_dim):
    model, x, generator = _model_and_data(latent_dim, data_dim, seed=3)
    z = torch.randn(3, 4, latent_dim, generator=generator)
    joint = model.log_joint(x, z)
    assert joint.shape == (3, 4)
    for l in range(3):
        for i in range(4):
            zi = z[l, i].numpy()
            mean = model.W.numpy() @ zi + model.b.numpy()
            expected = stats.norm(mean, model.noise_std).logpdf(x[i].numpy()).sum() + stats.norm().logpdf(zi).sum()
            assert abs(joint[l, i].item() - expected) < 1e-10


def _normal_logpdf(x, mean, std):
    return -0.5 * ((x - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)


def _grid_2d(half_width=9.0, points=1201):
    """A tensor grid for Simpson's rule; the integrands are smooth and Gaussian-tailed, so the
    rule is accurate far beyond the tolerances used here."""
    axis = np.linspace(-half_width, half_width, points)
    return axis, np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1)  # (P,), (P, P, 2)


def test_log_marginal_matches_integration_over_z_in_one_dimension():
    model, x, _ = _model_and_data(1, 3, seed=21, batch_size=1)
    W, b, s, xi = model.W.numpy()[:, 0], model.b.numpy(), model.noise_std, x[0].numpy()
    joint = lambda z: math.exp(_normal_logpdf(xi, W * z + b, s).sum() + _normal_logpdf(z, 0.0, 1.0))
    value, error = integrate.quad(joint, -9, 9, epsabs=0, epsrel=1e-12, limit=200)
    assert error < 1e-10 * value
    assert abs(model.log_marginal(x).item() - math.log(value)) < 1e-9


def test_log_marginal_matches_integration_over_z_in_two_dimensions():
    model, x, _ = _model_and_data(2, 3, seed=22, batch_size=1)
    W, b, s, xi = model.W.numpy(), model.b.numpy(), model.noise_std, x[0].numpy()
    axis, z = _grid_2d()
    log_joint = _normal_logpdf(xi, z @ W.T + b, s).sum(-1) + _normal_logpdf(z, 0.0, 1.0).sum(-1)
    value = integrate.simpson(integrate.simpson(np.exp(log_joint), x=axis), x=axis)
    assert abs(model.log_marginal(x).item() - math.log(value)) < 1e-9


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_posterior_matches_gaussian_conditioning(latent_dim, data_dim):
    model, x, _ = _model_and_data(latent_dim, data_dim, seed=40 + latent_dim)
    posterior = model.posterior(x)
    mean, covariance = _numpy_posterior(model, x)
    np.testing.assert_allclose(posterior.mean.numpy(), mean, rtol=1e-10, atol=1e-12)
    for i in range(x.shape[0]):
        np.testing.assert_allclose(posterior.covariance()[i].numpy(), covariance, rtol=1e-10, atol=1e-12)


def _random_q(kind, model, x, seed):
    make = random_diagonal_gaussian if kind == "diagonal" else random_full_cov_gaussian
    return make(x.shape[0], model.latent_dim, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kind", ["diagonal", "full"])
@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_closed_form_elbo_satisfies_the_gap_identity_with_torch_kl(kind, latent_dim, data_dim):
    model, x, _ = _model_and_data(latent_dim, data_dim, seed=60 + latent_dim)
    q = _random_q(kind, model, x, seed=5)
    mean, covariance = _numpy_posterior(model, x)
    posterior = MultivariateNormal(torch.from_numpy(mean), torch.from_numpy(covariance))
    q_torch = MultivariateNormal(q.mean, scale_tril=q.scale_tril)
    W, b = model.W.numpy(), model.b.numpy()
    log_marginal = stats.multivariate_normal(b, W @ W.T + model.noise_std**2 * np.eye(data_dim)).logpdf(x.numpy())
    expected = torch.as_tensor(np.atleast_1d(log_marginal)) - torch_kl(q_torch, posterior)
    torch.testing.assert_close(model.elbo(x, q), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_prior_matching_matches_torch_kl(kind):
    model, x, _ = _model_and_data(4, 6, seed=1)
    q = _random_q(kind, model, x, seed=2)
    prior = MultivariateNormal(torch.zeros(4), torch.eye(4))
    expected = torch_kl(MultivariateNormal(q.mean, scale_tril=q.scale_tril), prior)
    torch.testing.assert_close(model.prior_matching(q), expected, rtol=1e-12, atol=1e-12)


def test_reconstruction_matches_integration_in_one_dimension():
    model, x, _ = _model_and_data(1, 3, seed=9, batch_size=1)
    q = DiagonalGaussian(torch.tensor([[0.4]]), torch.tensor([[-0.3]]))
    W, b, s, xi = model.W.numpy()[:, 0], model.b.numpy(), model.noise_std, x[0].numpy()
    integrand = lambda z: math.exp(_normal_logpdf(z, 0.4, math.exp(-0.3))) * _normal_logpdf(xi, W * z + b, s).sum()
    value, error = integrate.quad(integrand, -10, 10, epsabs=1e-13, epsrel=1e-12, limit=200)
    assert error < 1e-9
    assert abs(model.reconstruction(x, q).item() - value) < 1e-9


def test_reconstruction_matches_integration_in_two_dimensions_with_full_covariance():
    model, x, _ = _model_and_data(2, 3, seed=10, batch_size=1)
    q = FullCovGaussian(torch.tensor([[0.4, -0.2]]), torch.tensor([[[0.7, 0.0], [0.3, 0.5]]]))
    W, b, s, xi = model.W.numpy(), model.b.numpy(), model.noise_std, x[0].numpy()
    axis, z = _grid_2d(half_width=7.0)
    q_density = stats.multivariate_normal(q.mean[0].numpy(), q.covariance()[0].numpy()).pdf(z)  # (P, P)
    log_likelihood = _normal_logpdf(xi, z @ W.T + b, s).sum(-1)
    value = integrate.simpson(integrate.simpson(q_density * log_likelihood, x=axis), x=axis)
    assert abs(model.reconstruction(x, q).item() - value) < 1e-9


def test_posterior_maximises_the_closed_form_elbo_at_log_marginal():
    model, x, _ = _model_and_data(3, 5, seed=12)
    torch.testing.assert_close(model.elbo(x, model.posterior(x)), model.log_marginal(x), rtol=1e-12, atol=1e-12)


def test_sample_data_has_shape_and_is_seeded():
    model, _, _ = _model_and_data(2, 5, seed=0)
    one = model.sample_data(7, torch.Generator().manual_seed(3))
    two = model.sample_data(7, torch.Generator().manual_seed(3))
    assert one.shape == (7, 5) and torch.equal(one, two)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: LinearGaussianModel(torch.zeros(3, 2), torch.zeros(4), 1.0), ValueError, r"b: expected shape \(d,\) with d from W = \(3\), got \(4,\)"),
        (lambda: LinearGaussianModel(torch.zeros(3), torch.zeros(3), 1.0), ValueError, r"W: expected shape \(d, k\)"),
        (lambda: LinearGaussianModel(torch.zeros(3, 2), torch.zeros(3), 0.0), ValueError, "noise_std: expected a finite positive float, got 0.0"),
        (lambda: LinearGaussianModel(torch.zeros(3, 2), torch.zeros(3), float("nan")), ValueError, "noise_std"),
        (lambda: LinearGaussianModel(torch.full((3, 2), float("inf")), torch.zeros(3), 1.0), ValueError, "W: expected finite values"),
        (lambda: LinearGaussianModel(np.zeros((3, 2)), torch.zeros(3), 1.0), TypeError, "W: expected a torch.Tensor, got ndarray"),
    ],
)
def test_bad_model_parameters_are_rejected(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_data_and_q_are_rejected():
    model, x, generator = _model_and_data(2, 3, seed=0)
    with pytest.raises(ValueError, match=r"x: expected shape \(B, d\) = \(\*, 3\), got \(4, 2\)"):
        model.log_marginal(x[:, :2])
    with pytest.raises(TypeError, match="x: expected dtype torch.float64"):
        model.log_marginal(x.float())
    with pytest.raises(ValueError, match=r"q: expected \(B, k\) = \(4, 2\)"):
        model.elbo(x, random_diagonal_gaussian(4, 3, generator))
    with pytest.raises(ValueError, match=r"z: expected shape \(..., B, k\) = \(..., 4, 2\)"):
        model.log_likelihood(x, torch.zeros(5, 3, 2))
