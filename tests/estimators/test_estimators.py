"""MC ELBO, analytic-KL ELBO and IWAE per-sample values on injected noise, against values computed
independently with scipy (no Monte Carlo error: every comparison is exact to rounding).
Deterministic: fixed seeds."""

import math

import pytest
import torch
from scipy import special, stats
from torch.distributions import MultivariateNormal, kl_divergence as torch_kl

from elbo_suite.estimators.elbo import analytic_kl_elbo_samples, elbo_samples
from elbo_suite.estimators.iwae import iwae_samples, log_mean_exp
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational.random import random_diagonal_gaussian, random_full_cov_gaussian


def _setup(kind, latent_dim=3, data_dim=5, batch_size=4, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    model = LinearGaussianModel.random(latent_dim, data_dim, generator, noise_std=0.6, dtype=dtype)
    x = model.sample_data(batch_size, generator)
    make = random_diagonal_gaussian if kind == "diagonal" else random_full_cov_gaussian
    return model, x, make(batch_size, latent_dim, generator, dtype=dtype), generator


def _scipy_log_weight(model, q, x, z):
    """log p(x, z) − log q(z | x) for one data point, z (k,), from scipy densities."""
    W, b, s = model.W.numpy(), model.b.numpy(), model.noise_std
    log_joint = stats.norm(W @ z + b, s).logpdf(x).sum() + stats.norm().logpdf(z).sum()
    return log_joint, log_joint - stats.multivariate_normal(q[0], q[1]).logpdf(z)


def _q_numpy(q, i):
    return q.mean[i].numpy(), q.covariance()[i].numpy()


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_elbo_samples_match_scipy_on_the_same_draw(kind):
    model, x, q, generator = _setup(kind)
    eps = torch.randn(6, 4, 3, generator=generator)
    values = elbo_samples(model, q, x, eps=eps)
    assert values.shape == (6, 4)
    z = q.rsample(eps).numpy()
    for l in range(6):
        for i in range(4):
            _, expected = _scipy_log_weight(model, _q_numpy(q, i), x[i].numpy(), z[l, i])
            assert abs(values[l, i].item() - expected) < 1e-10


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_analytic_kl_elbo_samples_are_log_likelihood_minus_torch_kl(kind):
    model, x, q, generator = _setup(kind)
    eps = torch.randn(6, 4, 3, generator=generator)
    values = analytic_kl_elbo_samples(model, q, x, eps=eps)
    z = q.rsample(eps).numpy()
    prior = MultivariateNormal(torch.zeros(3), torch.eye(3))
    kl = torch_kl(MultivariateNormal(q.mean, scale_tril=q.scale_tril), prior).numpy()
    W, b, s = model.W.numpy(), model.b.numpy(), model.noise_std
    for l in range(6):
        for i in range(4):
            expected = stats.norm(W @ z[l, i] + b, s).logpdf(x[i].numpy()).sum() - kl[i]
            assert abs(values[l, i].item() - expected) < 1e-10


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_iwae_samples_are_scipy_logsumexp_minus_log_k(kind):
    model, x, q, generator = _setup(kind)
    eps = torch.randn(3, 5, 4, 3, generator=generator)  # (S, K, B, k)
    values = iwae_samples(model, q, x, eps=eps)
    assert values.shape == (3, 4)
    z = q.rsample(eps).numpy()
    for g in range(3):
        for i in range(4):
            log_w = [_scipy_log_weight(model, _q_numpy(q, i), x[i].numpy(), z[g, j, i])[1] for j in range(5)]
            expected = special.logsumexp(log_w) - math.log(5)
            assert abs(values[g, i].item() - expected) < 1e-10


def test_iwae_with_one_sample_is_the_mc_elbo():
    model, x, q, generator = _setup("full")
    eps = torch.randn(7, 4, 3, generator=generator)
    torch.testing.assert_close(iwae_samples(model, q, x, eps=eps.unsqueeze(1)), elbo_samples(model, q, x, eps=eps), rtol=0, atol=1e-12)


def test_generator_noise_is_the_same_as_injected_noise_from_the_same_seed():
    model, x, q, _ = _setup("diagonal")
    eps = torch.randn(5, 4, 3, generator=torch.Generator().manual_seed(9))
    drawn = elbo_samples(model, q, x, generator=torch.Generator().manual_seed(9), num_samples=5)
    torch.testing.assert_close(drawn, elbo_samples(model, q, x, eps=eps), rtol=0, atol=0)
    eps = torch.randn(2, 6, 4, 3, generator=torch.Generator().manual_seed(9))
    drawn = iwae_samples(model, q, x, generator=torch.Generator().manual_seed(9), num_groups=2, num_importance=6)
    torch.testing.assert_close(drawn, iwae_samples(model, q, x, eps=eps), rtol=0, atol=0)


def test_estimates_are_differentiable_in_the_q_parameters():
    model, x, q, generator = _setup("diagonal")
    mean = q.mean.clone().requires_grad_(True)
    q = type(q)(mean, q.log_std)
    iwae_samples(model, q, x, generator=generator, num_groups=3, num_importance=4).mean().backward()
    assert mean.grad is not None and bool(torch.isfinite(mean.grad).all()) and bool((mean.grad != 0).any())


def test_iwae_is_stable_in_float32_for_large_k():
    """Log-weights near −200 underflow exp() in float32; the log-sum-exp must not."""
    model32, x32, q32, generator = _setup("diagonal", latent_dim=16, data_dim=64, seed=3, dtype=torch.float32)
    far = type(q32)(q32.mean + 2.0, q32.log_std)  # far from the posterior: large negative log-weights
    eps = torch.randn(2, 4096, 4, 16, generator=generator, dtype=torch.float32)
    values32 = iwae_samples(model32, far, x32, eps=eps)
    assert values32.dtype == torch.float32 and bool(torch.isfinite(values32).all())
    model64 = LinearGaussianModel(model32.W.double(), model32.b.double(), model32.noise_std)
    far64 = type(far)(far.mean.double(), far.log_std.double())
    values64 = iwae_samples(model64, far64, x32.double(), eps=eps.double())
    torch.testing.assert_close(values32.double(), values64, rtol=1e-5, atol=1e-3)
    # the naive form, which this test exists to rule out, does underflow on the same weights
    log_w = model32.log_joint(x32, far.rsample(eps)) - far.log_prob(far.rsample(eps))
    assert float(log_w.max()) < -104  # below float32's smallest exp(): exp underflows to 0
    assert bool(torch.isinf(log_w.exp().mean(1).log()).all())


def test_log_mean_exp_handles_extreme_values():
    values = torch.tensor([[-1000.0, -1000.0 + math.log(3.0)], [1000.0, 1000.0]])
    torch.testing.assert_close(log_mean_exp(values, dim=1), torch.tensor([-1000.0 + math.log(2.0), 1000.0]))


def test_noise_arguments_are_validated():
    model, x, q, generator = _setup("diagonal")
    with pytest.raises(ValueError, match="exactly one of eps"):
        elbo_samples(model, q, x)
    with pytest.raises(ValueError, match="exactly one of eps"):
        elbo_samples(model, q, x, eps=torch.zeros(2, 4, 3), generator=generator)
    with pytest.raises(ValueError, match=r"eps: expected shape \(num_samples, B, k\) with 3 axes, got \(2, 2, 4, 3\)"):
        elbo_samples(model, q, x, eps=torch.zeros(2, 2, 4, 3))
    with pytest.raises(ValueError, match=r"eps: expected shape \(num_groups, num_importance, B, k\)"):
        iwae_samples(model, q, x, eps=torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="num_importance: expected a positive int, got None"):
        iwae_samples(model, q, x, generator=generator, num_groups=2)
    with pytest.raises(ValueError, match=r"eps: expected shape \(..., B, k\) = \(..., 4, 3\), got \(2, 4, 2\)"):
        elbo_samples(model, q, x, eps=torch.zeros(2, 4, 2))
