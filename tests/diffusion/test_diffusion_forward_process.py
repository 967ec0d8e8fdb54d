"""The forward process's closed forms against independent computations: Gaussian recursions in plain
Python floats (one step at a time, as the chain is defined), Bayes' rule and marginalisation by
adaptive quadrature (scipy.integrate.quad) of textbook densities, compared with scipy.stats, and
finite differences for the score. No random
numbers: every reference is deterministic, and tolerances state the quadrature's accuracy."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from elbo_suite.estimators.models import GaussianDiffusion, cosine_schedule, linear_schedule, respace, spaced_timesteps
from elbo_suite.estimators.models.diffusion_targets import (
    TARGETS,
    eps_from_score,
    eps_from_v,
    eps_from_x0,
    score_from_eps,
    target_from_x0,
    v_from_eps_x0,
    x0_error_scale,
    x0_from_eps,
    x0_from_v,
)

SCHEDULES = {
    "linear T=10": linear_schedule(10),
    "cosine T=50": cosine_schedule(50),
    "cosine T=1000 respaced to 7 (T not a multiple)": respace(cosine_schedule(1000), spaced_timesteps(1000, 7, "trailing")),
}


@pytest.fixture(params=list(SCHEDULES), ids=list(SCHEDULES))
def process(request):
    data_mean = torch.tensor([0.7, -1.3], dtype=torch.float64)
    data_std = torch.tensor([0.4, 1.6], dtype=torch.float64)
    return GaussianDiffusion(SCHEDULES[request.param], data_mean, data_std)


def _log_pdf(x, mean, std):  # the textbook normal log-density, in plain floats (fast inside quad)
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)


def _floats(process):
    return process.schedule.betas.tolist(), process.data_mean.tolist(), process.data_std.tolist()


def _check_steps(process):
    T = process.num_steps
    return sorted({1, 2, T // 2, T - 1, T} & set(range(1, T + 1)))


def test_q_given_x0_and_q_marginal_match_the_one_step_recursion(process):
    betas, mu, s = _floats(process)
    x0 = torch.tensor([[0.2, -2.0]], dtype=torch.float64)
    for j in range(process.data_dim):
        mean_given, var_given = x0[0, j].item(), 0.0  # q(x_t | x₀), stepped forward
        mean, var = mu[j], s[j] ** 2  # q(x_t)
        for t in range(1, process.num_steps + 1):
            a, b = math.sqrt(1 - betas[t - 1]), betas[t - 1]
            mean_given, var_given = a * mean_given, a * a * var_given + b
            mean, var = a * mean, a * a * var + b
            m_q, v_q = process.q_given_x0(x0, t)
            assert m_q[0, j].item() == pytest.approx(mean_given, rel=1e-11, abs=1e-14)
            assert v_q.item() == pytest.approx(var_given, rel=1e-11)
            m, v = process.marginal(t)
            assert m[j].item() == pytest.approx(mean, rel=1e-11, abs=1e-14)
            assert v[j].item() == pytest.approx(var, rel=1e-11)


def test_chain_covariance_matches_the_recursion(process):
    betas = process.schedule.betas.tolist()
    T = process.num_steps
    for r in (0, 1, T // 2):
        variance_r = process.q_given_x0(torch.zeros(1, 2, dtype=torch.float64), r)[1].item()
        covariance = variance_r
        for t in range(r + 1, T + 1):
            covariance *= math.sqrt(1 - betas[t - 1])  # Cov(x_r, x_t) = √α_t Cov(x_r, x_{t−1})
            assert process.chain_covariance(r, t).item() == pytest.approx(covariance, rel=1e-11, abs=1e-300)


def test_marginal_density_is_the_integral_of_the_conditional_over_the_data(process):
    _, mu, s = _floats(process)
    for t in _check_steps(process):
        alpha_bar = process.schedule.alpha_bar[t].item()
        for j, x in ((0, 0.3), (1, -1.1)):
            density, _ = integrate.quad(
                lambda x0: math.exp(_log_pdf(x, math.sqrt(alpha_bar) * x0, math.sqrt(1 - alpha_bar)) + _log_pdf(x0, mu[j], s[j])),
                -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=200, points=None,
            )
            point = torch.zeros(1, 2, dtype=torch.float64)
            point[0, j] = x
            mean, var = process.marginal(t)
            ours = _log_pdf(x, mean[j].item(), math.sqrt(var[j].item()))
            assert math.log(density) == pytest.approx(ours, abs=1e-8)


def _moments(log_density, centre, scale):
    """Mean and variance of a 1-D density, given by its log, by quadrature in u = (x − centre)/scale
    over ±40 (scaled by the density at the centre, so that sharp posteriors at small t do not
    underflow); centre and scale are the claimed mean and standard deviation."""
    peak = log_density(centre)
    unnormalised = lambda u: math.exp(log_density(centre + scale * u) - peak)  # noqa: E731
    options = dict(epsabs=1e-13, epsrel=1e-10, limit=200, points=[0.0])
    z, _ = integrate.quad(unnormalised, -40, 40, **options)
    shift, _ = integrate.quad(lambda u: u * unnormalised(u) / z, -40, 40, **options)
    spread, _ = integrate.quad(lambda u: (u - shift) ** 2 * unnormalised(u) / z, -40, 40, **options)
    return centre + scale * shift, scale * scale * spread


def test_posterior_given_x0_is_bayes_rule(process):
    x0 = torch.tensor([[0.2, -2.0]], dtype=torch.float64)
    x_t = torch.tensor([[0.5, 0.1]], dtype=torch.float64)
    for t in _check_steps(process):
        if t == 1:
            continue  # q(x₀ | x₁, x₀) is a point mass; covered below
        alpha, alpha_bar_before = process.schedule.alpha[t].item(), process.schedule.alpha_bar[t - 1].item()
        beta = 1 - alpha
        mean, variance = process.posterior(x0, x_t, t)
        for j in range(2):
            prior_mean, prior_std = math.sqrt(alpha_bar_before) * x0[0, j].item(), math.sqrt(1 - alpha_bar_before)
            density = lambda y: _log_pdf(x_t[0, j].item(), math.sqrt(alpha) * y, math.sqrt(beta)) + _log_pdf(y, prior_mean, prior_std)  # noqa: E731
            m, v = _moments(density, mean[0, j].item(), math.sqrt(variance.item()))
            assert mean[0, j].item() == pytest.approx(m, rel=1e-8, abs=1e-8 * math.sqrt(v))
            assert variance.item() == pytest.approx(v, rel=1e-8)


def test_posterior_at_t1_is_x0(process):
    x0 = torch.tensor([[0.2, -2.0]], dtype=torch.float64)
    mean, variance = process.posterior(x0, torch.tensor([[5.0, 5.0]], dtype=torch.float64), 1)
    torch.testing.assert_close(mean, x0, rtol=1e-14, atol=1e-14)
    assert variance.item() == 0.0


def test_true_reverse_and_denoiser_are_bayes_rule_on_the_marginals(process):
    betas, mu, s = _floats(process)
    for t in _check_steps(process):
        alpha = 1 - betas[t - 1]
        slope, offset, variance = process.true_reverse_coefficients(t)
        gain, shift = process.denoiser_coefficients(t)
        for j in range(2):
            before_mean, before_var = process.marginal(t - 1)
            m_prev, s_prev = before_mean[j].item(), math.sqrt(before_var[j].item())
            x_t = 0.4 - 0.3 * j
            density = lambda y: _log_pdf(x_t, math.sqrt(alpha) * y, math.sqrt(1 - alpha)) + _log_pdf(y, m_prev, s_prev)  # noqa: E731
            m, v = _moments(density, slope[j].item() * x_t + offset[j].item(), math.sqrt(variance[j].item()))
            assert slope[j].item() * x_t + offset[j].item() == pytest.approx(m, rel=1e-8, abs=1e-8 * math.sqrt(v))
            assert variance[j].item() == pytest.approx(v, rel=1e-8)
            # E[x₀ | x_t] by quadrature over the data
            alpha_bar = process.schedule.alpha_bar[t].item()
            posterior = lambda y: _log_pdf(x_t, math.sqrt(alpha_bar) * y, math.sqrt(1 - alpha_bar)) + _log_pdf(y, mu[j], s[j])  # noqa: E731
            m0, v0 = _moments(posterior, gain[j].item() * x_t + shift[j].item(), math.sqrt(s[j] ** 2 - gain[j].item() ** 2 * process.marginal(t)[1][j].item()))
            assert gain[j].item() * x_t + shift[j].item() == pytest.approx(m0, rel=1e-8, abs=1e-8 * math.sqrt(v0))


def test_marginal_score_is_the_derivative_of_the_log_marginal(process):
    for t in _check_steps(process):
        x = torch.tensor([[0.3, -0.8]], dtype=torch.float64)
        score = process.marginal_score(x, t)
        h = 1e-5
        for j in range(2):
            up, down = x.clone(), x.clone()
            up[0, j] += h
            down[0, j] -= h
            difference = (process.log_marginal_density(up, t) - process.log_marginal_density(down, t)).item() / (2 * h)
            assert score[0, j].item() == pytest.approx(difference, rel=1e-6, abs=1e-7)


def test_tweedie_links_the_score_and_the_denoiser(process):
    """∇ log q(x_t) = (√ᾱ_t E[x₀|x_t] − x_t) / (1 − ᾱ_t): the score from an independent formula."""
    x = torch.tensor([[0.3, -0.8], [2.0, 1.0]], dtype=torch.float64)
    for t in _check_steps(process):
        gain, shift = process.denoiser_coefficients(t)
        alpha_bar = process.schedule.alpha_bar[t]
        tweedie = (alpha_bar.sqrt() * (gain * x + shift) - x) / (1 - alpha_bar)
        torch.testing.assert_close(process.marginal_score(x, t), tweedie, rtol=1e-9, atol=1e-12)


def test_q_sample_uses_the_closed_form():
    process = GaussianDiffusion(linear_schedule(10), torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64))
    x0, eps = torch.tensor([[1.0]], dtype=torch.float64), torch.tensor([[2.0]], dtype=torch.float64)
    alpha_bar = process.schedule.alpha_bar[4]
    assert process.q_sample(x0, 4, eps).item() == pytest.approx((alpha_bar.sqrt() + 2 * (1 - alpha_bar).sqrt()).item())


def test_target_conversions_round_trip_and_match_their_definitions():
    generator = torch.Generator().manual_seed(3)
    x0, eps = torch.randn(5, 3, generator=generator, dtype=torch.float64), torch.randn(5, 3, generator=generator, dtype=torch.float64)
    alpha_bar = torch.tensor([0.999, 0.5, 1e-3], dtype=torch.float64)
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps
    v = v_from_eps_x0(eps, x0, alpha_bar)
    torch.testing.assert_close(eps_from_x0(x_t, x0, alpha_bar), eps, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(x0_from_eps(x_t, eps, alpha_bar), x0, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(x0_from_v(x_t, v, alpha_bar), x0, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(eps_from_v(x_t, v, alpha_bar), eps, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(eps_from_score(score_from_eps(eps, alpha_bar), alpha_bar), eps, rtol=1e-14, atol=1e-14)
    # v is the velocity of x on the circle (cos φ, sin φ) = (√ᾱ, √(1 − ᾱ)): dx/dφ = v
    phi = torch.atan2((1 - alpha_bar).sqrt(), alpha_bar.sqrt())
    torch.testing.assert_close(v, -torch.sin(phi) * x0 + torch.cos(phi) * eps, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("target", TARGETS)
def test_error_scale_converts_an_x0_error_into_a_target_error(target):
    generator = torch.Generator().manual_seed(4)
    x0, x0_hat, x_t = (torch.randn(4, 2, generator=generator, dtype=torch.float64) for _ in range(3))
    alpha_bar = torch.tensor([0.9, 0.02], dtype=torch.float64)
    error = target_from_x0(target, x_t, x0, alpha_bar) - target_from_x0(target, x_t, x0_hat, alpha_bar)
    torch.testing.assert_close(error, x0_error_scale(target, alpha_bar) * (x0 - x0_hat), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda p: p.q_given_x0(torch.zeros(2, 3, dtype=torch.float64), 1), r"x0: expected shape \(\.\.\., d\) = \(\.\.\., 2\), got \(2, 3\)"),
    (lambda p: p.marginal(p.num_steps + 1), r"t: expected timesteps in 0 … T = \d+, got values from \d+ to \d+"),
    (lambda p: p.posterior_coefficients(0), r"t: expected timesteps in 1 … T"),
    (lambda p: p.forward_step(1.5), r"t: expected an int or an integer Tensor, got float"),
    (lambda p: p.q_given_x0(torch.zeros(1, 2, dtype=torch.float32), 1), r"x0: expected dtype torch.float64, got torch.float32"),
    (lambda p: GaussianDiffusion(p.schedule, p.data_mean, -p.data_std), r"data_std: expected positive values"),
    (lambda p: target_from_x0("noise", p.data_mean, p.data_mean, p.data_mean), r"target: expected one of eps, x0, v, score, got 'noise'"),
])
def test_bad_input_is_one_clear_error(process, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(process)
