"""The reverse model's evidence, the three ELBO decompositions and the gap, against independent
computations: dense joint covariances built from the ancestral sampling map and scipy.stats'
multivariate normal (numpy, no code under test), a Monte Carlo estimate of the joint log-ratio
sampled and scored in numpy (z-test at α = 1e-6 per case, n = 40 000; fixed seed), and the algebra
of the decompositions against each other (to 1e-10).

Expected false-failure rate of this module: the Monte Carlo tests run 8 z-tests at α = 1e-6 each
(≤ 8e-6 in all); the rest is deterministic.
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    chain_posterior_kl,
    closed_form_elbo,
    cosine_schedule,
    elbo_consistency,
    elbo_denoising,
    elbo_joint,
    linear_schedule,
    respace,
    spaced_timesteps,
    vlb_terms,
)

SCHEDULES = {
    "linear T=1": linear_schedule(1),
    "linear T=6": linear_schedule(6, 1e-3, 0.3),
    "cosine T=8": cosine_schedule(8),
    "cosine T=1000 respaced to 5": respace(cosine_schedule(1000), spaced_timesteps(1000, 5, "leading")),
}
REVERSES = ("true", "ddpm posterior variance", "ddpm beta variance", "perturbed")


def _case(schedule_name, reverse_name, seed=0):
    generator = torch.Generator().manual_seed(seed)
    process = GaussianDiffusion.random(SCHEDULES[schedule_name], 2, generator)
    truth = LinearGaussianReverse.true_reverse(process)
    reverse = {
        "true": truth,
        "ddpm posterior variance": LinearGaussianReverse.ddpm(process, "posterior"),
        "ddpm beta variance": LinearGaussianReverse.ddpm(process, "beta"),
        "perturbed": truth.perturbed(process, 0.5, generator),
    }[reverse_name]
    return process, reverse, process.sample_data(3, generator)


CASES = [(s, r) for s in SCHEDULES for r in REVERSES]


def _ancestral_joint(reverse, j):
    """Mean and covariance of (x₀, …, x_T) under p_θ in dimension j, from x = A ξ + b with ξ ~ N(0, I)
    (x_T = m + √v ξ_T, x_{t−1} = a_t x_t + c_t + σ_t ξ_{t−1}), in numpy."""
    T = reverse.num_steps
    a, c, sigma = (getattr(reverse, name)[:, j].numpy() for name in ("slope", "offset", "std"))
    A, b = np.zeros((T + 1, T + 1)), np.zeros(T + 1)
    A[T, T], b[T] = reverse.prior_std[j].item(), reverse.prior_mean[j].item()
    for t in range(T, 0, -1):
        A[t - 1] = a[t - 1] * A[t]
        A[t - 1, t - 1] += sigma[t - 1]
        b[t - 1] = a[t - 1] * b[t] + c[t - 1]
    return b, A @ A.T


def _forward_conditional(process, x0_j):
    """Mean and covariance of (x₁, …, x_T) given x₀ under q, from x_t = √α_t x_{t−1} + √β_t ξ_t."""
    T = process.num_steps
    betas = process.schedule.betas.numpy()
    A, b = np.zeros((T, T)), np.zeros(T)
    previous_row, previous_mean = np.zeros(T), x0_j
    for t in range(1, T + 1):
        row = math.sqrt(1 - betas[t - 1]) * previous_row
        row[t - 1] += math.sqrt(betas[t - 1])
        A[t - 1], b[t - 1] = row, math.sqrt(1 - betas[t - 1]) * previous_mean
        previous_row, previous_mean = row, b[t - 1]
    return b, A @ A.T


@pytest.mark.parametrize("schedule_name, reverse_name", CASES)
def test_log_marginal_is_the_x0_marginal_of_the_dense_joint(schedule_name, reverse_name):
    process, reverse, x0 = _case(schedule_name, reverse_name)
    expected = np.zeros(x0.shape[0])
    for j in range(process.data_dim):
        mean, covariance = _ancestral_joint(reverse, j)
        expected += stats.norm.logpdf(x0[:, j].numpy(), mean[0], math.sqrt(covariance[0, 0]))
    np.testing.assert_allclose(reverse.log_marginal(x0).numpy(), expected, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("schedule_name, reverse_name", CASES)
def test_three_decompositions_agree(schedule_name, reverse_name):
    process, reverse, x0 = _case(schedule_name, reverse_name)
    joint = elbo_joint(process, reverse, x0)
    torch.testing.assert_close(elbo_consistency(process, reverse, x0), joint, rtol=0, atol=1e-10)
    torch.testing.assert_close(elbo_denoising(process, reverse, x0), joint, rtol=0, atol=1e-10)


@pytest.mark.parametrize("schedule_name, reverse_name", CASES)
def test_gap_is_the_kl_of_the_dense_chain_posteriors(schedule_name, reverse_name):
    """log p_θ(x₀) − ELBO = KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)), the right side from covariance
    matrices (the Schur complement of the ancestral joint) rather than the precision route."""
    process, reverse, x0 = _case(schedule_name, reverse_name)
    T = process.num_steps
    expected = np.zeros(x0.shape[0])
    for j in range(process.data_dim):
        mean, covariance = _ancestral_joint(reverse, j)
        gain = covariance[1:, :1] / covariance[0, 0]
        p_covariance = covariance[1:, 1:] - gain @ covariance[:1, 1:]
        for b in range(x0.shape[0]):
            p_mean = mean[1:] + gain[:, 0] * (x0[b, j].item() - mean[0])
            q_mean, q_covariance = _forward_conditional(process, x0[b, j].item())
            p_precision = np.linalg.inv(p_covariance)
            difference = p_mean - q_mean
            expected[b] += 0.5 * (
                np.trace(p_precision @ q_covariance) - T + difference @ p_precision @ difference
                + np.linalg.slogdet(p_covariance)[1] - np.linalg.slogdet(q_covariance)[1]
            )
    gap = reverse.log_marginal(x0) - closed_form_elbo(process, reverse, x0)
    np.testing.assert_allclose(chain_posterior_kl(process, reverse, x0).numpy(), expected, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(gap.numpy(), expected, rtol=1e-8, atol=1e-8)
    assert bool((gap >= -1e-10).all())  # ELBO ≤ log p_θ(x₀)


@pytest.mark.parametrize("schedule_name", list(SCHEDULES))
def test_elbo_is_log_p_to_1e10_at_the_true_reverse(schedule_name):
    process, reverse, x0 = _case(schedule_name, "true")
    log_p = reverse.log_marginal(x0)
    torch.testing.assert_close(log_p, process.log_data_density(x0), rtol=0, atol=1e-12)
    for decomposition in ("joint", "consistency", "denoising"):
        assert float((closed_form_elbo(process, reverse, x0, decomposition) - log_p).abs().max()) < 1e-10
    assert float(chain_posterior_kl(process, reverse, x0).abs().max()) < 1e-8


def test_elbo_at_the_true_reverse_for_a_long_chain():
    process = GaussianDiffusion.random(linear_schedule(1000), 3, torch.Generator().manual_seed(5))
    reverse = LinearGaussianReverse.true_reverse(process)
    x0 = process.sample_data(4, torch.Generator().manual_seed(6))
    log_p = reverse.log_marginal(x0)
    for decomposition in ("joint", "consistency", "denoising"):
        assert float((closed_form_elbo(process, reverse, x0, decomposition) - log_p).abs().max()) < 1e-10
    means, variances = reverse.marginal_moments()  # p_θ(x_t) = q(x_t) at every t
    q_means, q_variances = process.marginal(torch.arange(0, 1001))
    torch.testing.assert_close(means, q_means, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(variances, q_variances, rtol=1e-10, atol=1e-12)


def _sample_log_ratio(process, reverse, x0, n, rng):
    """Per-draw log p_θ(x_{0:T}) − log q(x_{1:T}|x₀) for one data point, sampled and scored in numpy."""
    betas = process.schedule.betas.numpy()
    a, c, sigma = (getattr(reverse, name).numpy() for name in ("slope", "offset", "std"))
    T = process.num_steps
    x_previous = np.broadcast_to(x0, (n, x0.shape[0]))
    total = np.zeros(n)
    for t in range(1, T + 1):
        x_t = math.sqrt(1 - betas[t - 1]) * x_previous + math.sqrt(betas[t - 1]) * rng.standard_normal(x_previous.shape)
        total -= stats.norm.logpdf(x_t, math.sqrt(1 - betas[t - 1]) * x_previous, math.sqrt(betas[t - 1])).sum(-1)
        total += stats.norm.logpdf(x_previous, a[t - 1] * x_t + c[t - 1], sigma[t - 1]).sum(-1)
        x_previous = x_t
    total += stats.norm.logpdf(x_previous, reverse.prior_mean.numpy(), reverse.prior_std.numpy()).sum(-1)
    return total


@pytest.mark.parametrize("schedule_name", ["linear T=6", "cosine T=1000 respaced to 5"])
@pytest.mark.parametrize("reverse_name", REVERSES)
def test_closed_form_elbo_is_the_mean_of_the_sampled_log_ratio(schedule_name, reverse_name):
    process, reverse, x0 = _case(schedule_name, reverse_name)
    rng = np.random.default_rng(20240611)
    values = _sample_log_ratio(process, reverse, x0[0].numpy(), 40_000, rng)
    exact = closed_form_elbo(process, reverse, x0[:1]).item()
    stderr = max(values.std(ddof=1) / math.sqrt(values.size), 1e-12)
    z = (values.mean() - exact) / stderr
    assert abs(z) < stats.norm.isf(1e-6 / 2), f"MC {values.mean()} ± {stderr} vs closed form {exact} (z = {z:.1f})"
    if reverse_name == "true":
        assert values.std() < 1e-10 * (1 + abs(exact))  # the joint log-ratio is log q(x₀) on every draw


@pytest.mark.parametrize("schedule_name, reverse_name", CASES)
def test_vlb_terms_sum_to_the_elbo_and_their_constants_do_not_depend_on_the_mean(schedule_name, reverse_name):
    process, reverse, x0 = _case(schedule_name, reverse_name)
    terms = vlb_terms(process, reverse, x0)
    torch.testing.assert_close(-terms.prior_matching - terms.mean.sum(-1), elbo_joint(process, reverse, x0), rtol=0, atol=1e-10)
    assert bool((terms.variance >= 0).all()) and bool((terms.mean >= terms.constant - 1e-12).all())
    # the part no prediction changes is, for t ≥ 2, the KL between the two variances
    _, _, posterior_variance = process.posterior_coefficients(torch.arange(2, process.num_steps + 1))
    sigma2 = reverse.std[1:].square()
    expected = 0.5 * ((sigma2 / posterior_variance).log() + posterior_variance / sigma2 - 1).sum(-1)
    torch.testing.assert_close(terms.constant[1:], expected, rtol=1e-12, atol=1e-12)


def test_luo_consistency_form_as_written_is_not_the_elbo():
    """Luo (2022, eq. 45) writes the consistency term as E_{q(x_{t−1}, x_{t+1}|x₀)}[KL(q(x_t|x_{t−1}) ‖
    p_θ(x_t|x_{t+1}))]. Under the chain x_{t+1} depends on x_t, so that expectation is not the
    ELBO's: the literal form overstates the ELBO's consistency term by a_{t+1} √α_{t+1} β_t / σ_{t+1}²
    per dimension. The literal form is written out here from its own moments."""
    process, reverse, x0 = _case("linear T=6", "perturbed")
    T, schedule = process.num_steps, process.schedule
    literal, overstatement = torch.zeros(x0.shape[0], dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    for t in range(1, T):
        slope, offset, variance = reverse.step(t + 1)
        sqrt_alpha, beta = schedule.alpha[t].sqrt(), schedule.beta[t]
        # KL(N(√α_t x_{t−1}, β_t) ‖ N(a x_{t+1} + c, σ²)), its mean difference random under q(x_{t−1}, x_{t+1}|x₀)
        difference_mean = sqrt_alpha * schedule.alpha_bar[t - 1].sqrt() * x0 - slope * schedule.alpha_bar[t + 1].sqrt() * x0 - offset
        difference_variance = (
            schedule.alpha[t] * process.chain_covariance(t - 1, t - 1)
            - 2 * sqrt_alpha * slope * process.chain_covariance(t - 1, t + 1)
            + slope.square() * process.chain_covariance(t + 1, t + 1)
        )
        literal += (0.5 * ((beta + difference_mean.square() + difference_variance) / variance - 1 + (variance / beta).log())).sum(-1)
        overstatement += (slope * schedule.alpha[t + 1].sqrt() * beta / variance).sum()
    reconstruction_and_prior = elbo_consistency(process, reverse, x0) + _true_consistency(process, reverse, x0)
    literal_elbo = reconstruction_and_prior - literal
    torch.testing.assert_close(elbo_joint(process, reverse, x0) - literal_elbo, overstatement.expand(x0.shape[0]), rtol=1e-9, atol=1e-9)
    assert overstatement.abs() > 1e-2


def _true_consistency(process, reverse, x0):
    """Σ_{t<T} E_{q(x_{t−1}, x_t, x_{t+1}|x₀)}[log q(x_t|x_{t−1}) − log p_θ(x_t|x_{t+1})] from the
    dense joint of the forward chain (numpy), per data point."""
    T = process.num_steps
    betas = process.schedule.betas.numpy()
    a, c, sigma = (getattr(reverse, name).numpy() for name in ("slope", "offset", "std"))
    total = np.zeros(x0.shape[0])
    for b in range(x0.shape[0]):
        for j in range(process.data_dim):
            mean, covariance = _forward_conditional(process, x0[b, j].item())
            for t in range(1, T):  # residual x_t − a_{t+1} x_{t+1} − c_{t+1}; x_t is row t − 1
                r_mean = mean[t - 1] - a[t, j] * mean[t] - c[t, j]
                r_var = covariance[t - 1, t - 1] - 2 * a[t, j] * covariance[t - 1, t] + a[t, j] ** 2 * covariance[t, t]
                log_reverse = -0.5 * ((r_mean**2 + r_var) / sigma[t, j] ** 2 + math.log(2 * math.pi * sigma[t, j] ** 2))
                log_forward = -0.5 * (1 + math.log(2 * math.pi * betas[t - 1]))
                total[b] += log_forward - log_reverse
    return torch.from_numpy(total)


@pytest.mark.parametrize("call, message", [
    (lambda p, r, x: closed_form_elbo(p, r, x, "hierarchical"), r"decomposition: expected one of joint, consistency, denoising, got 'hierarchical'"),
    (lambda p, r, x: elbo_joint(p, LinearGaussianReverse.true_reverse(GaussianDiffusion.random(linear_schedule(3), 2, torch.Generator().manual_seed(0))), x),
     r"reverse: expected T = 6 steps and d = 2 to match the diffusion, got T = 3, d = 2"),
    (lambda p, r, x: elbo_joint(p, r, x[0]), r"x0: expected shape \(B, d\) = \(B, 2\), got \(2,\)"),
    (lambda p, r, x: elbo_joint(p, "reverse", x), r"reverse: expected a LinearGaussianReverse, got str"),
    (lambda p, r, x: LinearGaussianReverse(r.slope, r.offset, -r.std, r.prior_mean, r.prior_std), r"std: expected positive standard deviations"),
    (lambda p, r, x: LinearGaussianReverse(r.slope, r.offset[:2], r.std, r.prior_mean, r.prior_std), r"offset: expected shape \(T, d\) like slope = \(6, 2\), got \(2, 2\)"),
    (lambda p, r, x: LinearGaussianReverse.ddpm(p, "learned"), r"variance: expected one of posterior, beta, got 'learned'"),
    (lambda p, r, x: r.step(0), r"t: expected timesteps in 1 … T = 6, got values from 0 to 0"),
])
def test_bad_input_is_one_clear_error(call, message):
    process, reverse, x0 = _case("linear T=6", "perturbed")
    with pytest.raises((ValueError, TypeError), match=message):
        call(process, reverse, x0)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tridiagonal_factorisation_solve_and_inverse_band_match_numpy(n):
    from elbo_suite.estimators.models.chain_posterior_kl import Tridiagonal, inverse_band, ldl, ldl_solve

    rng = np.random.default_rng(n)
    off = rng.normal(size=(2, n - 1))
    diagonal = np.abs(rng.normal(size=(2, n))) + 2.5  # diagonally dominant: positive definite
    matrix = Tridiagonal(torch.from_numpy(diagonal), torch.from_numpy(off))
    dense = np.stack([np.diag(diagonal[j]) + np.diag(off[j], 1) + np.diag(off[j], -1) for j in range(2)])
    factors = ldl(matrix)
    np.testing.assert_allclose(factors.pivots.log().sum(-1).numpy(), np.linalg.slogdet(dense)[1], rtol=1e-12)
    right = rng.normal(size=(2, 3, n))
    np.testing.assert_allclose(ldl_solve(factors, torch.from_numpy(right)).numpy(),
                               np.linalg.solve(dense[:, None], right[..., None])[..., 0], rtol=1e-11, atol=1e-12)
    inverse = np.linalg.inv(dense)
    band = inverse_band(factors)
    np.testing.assert_allclose(band.diagonal.numpy(), np.diagonal(inverse, axis1=1, axis2=2), rtol=1e-11)
    np.testing.assert_allclose(band.off_diagonal.numpy(), np.diagonal(inverse, 1, axis1=1, axis2=2), rtol=1e-11, atol=1e-14)
