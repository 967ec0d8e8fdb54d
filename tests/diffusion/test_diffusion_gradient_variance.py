"""The reparameterised gradients of the ε- and x₀-prediction losses (estimators/diffusion/
gradient_variance.py) against independent computations: the hand-written per-draw gradient against
torch.autograd of the loss as training code writes it, the denoisers against the reverse model's own
predictions, and the exact moments against Monte Carlo.

Seeds are fixed. Expected false-failure rate: the Monte Carlo test runs 2 targets × 4 steps × 2
parameters × 2 moments = 32 two-sided z-tests, 1 for the control and 1 for the uniform-t relative
variance, at α = 1e-6 each (≤ 3.4e-5 in all); the rest is exact.
"""

import pytest
import torch
from scipy import stats

from elbo_suite.estimators.diffusion.gradient_variance import (
    denoiser_from_reverse,
    gradient_moments,
    per_draw_gradients,
    uniform_t_relative_variance,
)
from elbo_suite.estimators.gradients.statistics import variance_with_standard_error
from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse, cosine_schedule

Z = stats.norm.isf(1e-6 / 2)
T = 20


@pytest.fixture(scope="module")
def setting():
    generator = torch.Generator().manual_seed(7)
    process = GaussianDiffusion.random(cosine_schedule(T), 2, generator)
    reverse = LinearGaussianReverse.true_reverse(process).perturbed(process, 0.3, generator)
    return process, reverse


@pytest.mark.parametrize("target", ["eps", "x0"])
def test_denoiser_predicts_what_the_reverse_model_predicts(setting, target):
    process, reverse = setting
    denoiser = denoiser_from_reverse(process, reverse, target)
    x_t = torch.randn(5, T, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    t = torch.arange(1, T + 1).expand(5, T)
    ours = denoiser.slope[t - 1] * x_t + denoiser.offset[t - 1]
    torch.testing.assert_close(ours, reverse.predict(process, x_t, t, target), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("target", ["eps", "x0"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_per_draw_gradient_is_autograd_of_the_training_loss(setting, target, weighted):
    process, reverse = setting
    denoiser = denoiser_from_reverse(process, reverse, target)
    generator = torch.Generator().manual_seed(2)
    t = torch.randint(1, T + 1, (64,), generator=generator)
    x0 = process.sample_data(64, generator)
    eps = torch.randn(64, 2, generator=generator, dtype=torch.float64)
    weight = torch.rand(T, 2, generator=generator, dtype=torch.float64) + 0.5 if weighted else None
    ours = per_draw_gradients(process, denoiser, t, x0, eps, weight)  # (64, 2, 2)

    slope = denoiser.slope.clone().requires_grad_(True)
    offset = denoiser.offset.clone().requires_grad_(True)
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps
    prediction = slope[t - 1] * x_t + offset[t - 1]
    squared = (prediction - (eps if target == "eps" else x0)).square()
    if weight is not None:
        squared = weight[t - 1] * squared
    for draw in range(3):  # one draw at a time: its own gradient, not the batch's
        slope_grad, offset_grad = torch.autograd.grad(squared[draw].sum(), (slope, offset), retain_graph=True)
        step = int(t[draw]) - 1
        torch.testing.assert_close(ours[draw, :, 0], slope_grad[step], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(ours[draw, :, 1], offset_grad[step], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("target", ["eps", "x0"])
def test_exact_gradient_moments_match_monte_carlo(setting, target):
    process, reverse = setting
    denoiser = denoiser_from_reverse(process, reverse, target)
    moments = gradient_moments(process, denoiser)
    generator = torch.Generator().manual_seed(3)
    n = 2**16
    for step in (1, 2, T // 2, T):
        x0 = process.sample_data(n, generator)
        eps = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        gradients = per_draw_gradients(process, denoiser, torch.full((n,), step), x0, eps)[:, 0, :]  # (n, 2)
        mean_se = gradients.std(0) / n**0.5
        assert bool(((gradients.mean(0) - moments.mean[step - 1, 0]).abs() <= Z * mean_se).all()), step
        variance, variance_se = variance_with_standard_error(gradients)
        assert bool(((variance - moments.variance[step - 1, 0]).abs() <= Z * variance_se).all()), step


def test_the_two_targets_gradients_differ_by_root_snr_per_draw(setting):
    """g_ε = −√SNR_t · g_x₀ for the same reverse model (the module's stated identity), per draw."""
    process, reverse = setting
    generator = torch.Generator().manual_seed(4)
    t = torch.randint(1, T + 1, (32,), generator=generator)
    x0 = process.sample_data(32, generator)
    eps = torch.randn(32, 2, generator=generator, dtype=torch.float64)
    g_eps = per_draw_gradients(process, denoiser_from_reverse(process, reverse, "eps"), t, x0, eps)
    g_x0 = per_draw_gradients(process, denoiser_from_reverse(process, reverse, "x0"), t, x0, eps)
    root_snr = process.schedule.snr[t].sqrt().reshape(-1, 1, 1)
    torch.testing.assert_close(g_eps, -root_snr * g_x0, rtol=1e-9, atol=1e-12)


def test_a_wrong_variance_formula_is_caught_by_the_monte_carlo_comparison(setting):
    """Negative control: dropping the σ_rx² term of Var(r x) (treating r and x_t as independent)
    is rejected by the same z-test that the exact moments pass."""
    process, reverse = setting
    denoiser = denoiser_from_reverse(process, reverse, "x0")
    moments = gradient_moments(process, denoiser)
    step, n = T // 2, 2**16
    generator = torch.Generator().manual_seed(5)
    x0 = process.sample_data(n, generator)
    eps = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    gradients = per_draw_gradients(process, denoiser, torch.full((n,), step), x0, eps)[:, 0, 0]  # ∂A, dimension 0
    variance, variance_se = (float(v[0]) for v in variance_with_standard_error(gradients.unsqueeze(-1)))
    alpha_bar = process.schedule.alpha_bar[step]
    s2, mu = float(process.data_std[0]) ** 2, float(process.data_mean[0])
    A, B = float(denoiser.slope[step - 1, 0]), float(denoiser.offset[step - 1, 0])
    r0, r1 = A * alpha_bar.sqrt() - 1, A * (1 - alpha_bar).sqrt()
    cov = float(r0 * alpha_bar.sqrt() * s2 + r1 * (1 - alpha_bar).sqrt())
    assert abs(variance - float(moments.variance[step - 1, 0, 0])) <= Z * variance_se
    assert abs(cov) > 0.1  # the dropped term matters here
    mean_r, var_r = float(r0 * mu + B), float(r0**2 * s2 + r1**2)
    mean_x, var_x = float(alpha_bar.sqrt() * mu), float(alpha_bar * s2 + 1 - alpha_bar)
    without_cov = 4 * (mean_r**2 * var_x + mean_x**2 * var_r + 2 * mean_r * mean_x * cov + var_r * var_x)
    assert abs(variance - without_cov) > Z * variance_se


def test_uniform_t_relative_variance_matches_the_sampled_training_gradient(setting):
    """tr Cov / ‖E g‖² of the gradient over all steps' parameters when one t ~ U{1 … T} is drawn
    and its block scaled by T, against the same quantity sampled."""
    process, reverse = setting
    denoiser = denoiser_from_reverse(process, reverse, "eps")
    exact = uniform_t_relative_variance(gradient_moments(process, denoiser))
    generator = torch.Generator().manual_seed(6)
    n = 2**17
    t = torch.randint(1, T + 1, (n,), generator=generator)
    x0 = process.sample_data(n, generator)
    eps = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    blocks = T * per_draw_gradients(process, denoiser, t, x0, eps).reshape(n, -1)  # (n, d·2), the drawn step's
    squared_norm = blocks.square().sum(-1)  # ‖g‖² (other steps' blocks are 0)
    squared_mean = float(gradient_moments(process, denoiser).mean.square().sum())
    sampled = (float(squared_norm.mean()) - squared_mean) / squared_mean
    standard_error = float(squared_norm.std()) / n**0.5 / squared_mean
    assert abs(sampled - exact) <= Z * standard_error, (sampled, exact, standard_error)
