"""Reparameterised gradients of the ε- and x₀-prediction losses, and their exact moments.

A linear denoiser predicts its target at step t as A_t x_t + B_t (per dimension); every member of the
LinearGaussianReverse family is such a denoiser for either target (`denoiser_from_reverse`). Training
draws x₀ from the data, ε ~ N(0, I) and x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, and the per-draw gradient of
the loss w·(prediction − target)² with respect to the denoiser's own (A_t, B_t) is

    (2w r x_t, 2w r),   r = A_t x_t + B_t − target,

a product of jointly Gaussian variables, so its mean and variance are exact:
Var(r x) = μ_r² σ_x² + μ_x² σ_r² + 2 μ_r μ_x σ_rx + σ_r² σ_x² + σ_rx².

For the same reverse model the two denoisers' gradients are exact multiples per draw,
g_ε = −√SNR_t · g_x₀ (the prediction errors differ by −√SNR_t and the parameters by 1/(−√SNR_t)),
so at a single t they carry the same information; what differs is how a loss weights the steps
when t is sampled, which `uniform_t_relative_variance` measures.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse

GRADIENT_TARGETS = ("eps", "x0")


class LinearDenoiser(NamedTuple):
    target: str  # "eps" or "x0"
    slope: Tensor  # (T, d) A_t
    offset: Tensor  # (T, d) B_t


def _require_target(target: str) -> None:
    if target not in GRADIENT_TARGETS:
        raise ValueError(f"target: expected one of {', '.join(GRADIENT_TARGETS)}, got {target!r}")


def denoiser_from_reverse(process: GaussianDiffusion, reverse: LinearGaussianReverse, target: str) -> LinearDenoiser:
    """The denoiser of `target` whose posterior-mean reverse is `reverse` (μ_θ = k₀ x̂₀ + k x_t)."""
    _require_target(target)
    t = torch.arange(1, process.num_steps + 1)
    coef_x0, coef_xt, _ = process.posterior_coefficients(t)  # (T, 1)
    x0_slope, x0_offset = (reverse.slope - coef_xt) / coef_x0, reverse.offset / coef_x0  # x̂₀ = A' x_t + B'
    if target == "x0":
        return LinearDenoiser("x0", x0_slope, x0_offset)
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)
    noise_scale = (1.0 - alpha_bar).sqrt()  # ε̂ = (x_t − √ᾱ x̂₀) / √(1 − ᾱ)
    return LinearDenoiser("eps", (1.0 - alpha_bar.sqrt() * x0_slope) / noise_scale, -alpha_bar.sqrt() * x0_offset / noise_scale)


def per_draw_gradients(process: GaussianDiffusion, denoiser: LinearDenoiser, t: Tensor, x0: Tensor, eps: Tensor,
                       weight: Tensor | None = None) -> Tensor:
    """∂/∂(A_t, B_t) of w (A_t x_t + B_t − target)² at each draw: t (...,), x0 and eps (..., d) ->
    (..., d, 2), the last axis (A, B)."""
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)
    x_t = alpha_bar.sqrt() * x0 + (1.0 - alpha_bar).sqrt() * eps
    target = eps if denoiser.target == "eps" else x0
    residual = denoiser.slope[t - 1] * x_t + denoiser.offset[t - 1] - target
    gradient = torch.stack([2.0 * residual * x_t, 2.0 * residual], -1)
    return gradient if weight is None else weight[t - 1].unsqueeze(-1) * gradient


class GradientMoments(NamedTuple):
    mean: Tensor  # (T, d, 2) E[g] per step, dimension and parameter (A, B)
    variance: Tensor  # (T, d, 2) Var[g]


def gradient_moments(process: GaussianDiffusion, denoiser: LinearDenoiser, weight: Tensor | None = None) -> GradientMoments:
    """Exact mean and variance of the per-draw gradient at each t, x₀ ~ N(μ, s²) and ε ~ N(0, 1)."""
    t = torch.arange(1, process.num_steps + 1)
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)  # (T, 1)
    signal, noise = alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt()
    mu, s2 = process.data_mean, process.data_std.square()  # (d,)
    A, B = denoiser.slope, denoiser.offset  # (T, d)
    on_x0, on_eps = (1.0, 0.0) if denoiser.target == "x0" else (0.0, 1.0)
    r0, r1 = A * signal - on_x0, A * noise - on_eps  # r = r0 x₀ + r1 ε + B
    mean_r, var_r = r0 * mu + B, r0.square() * s2 + r1.square()
    mean_x, var_x = signal * mu, signal.square() * s2 + noise.square()
    cov = r0 * signal * s2 + r1 * noise
    var_product = mean_r.square() * var_x + mean_x.square() * var_r + 2 * mean_r * mean_x * cov + var_r * var_x + cov.square()
    mean = torch.stack([2.0 * (cov + mean_r * mean_x), 2.0 * mean_r], -1)
    variance = torch.stack([4.0 * var_product, 4.0 * var_r], -1)
    if weight is not None:
        mean, variance = weight.unsqueeze(-1) * mean, weight.square().unsqueeze(-1) * variance
    return GradientMoments(mean, variance)


def uniform_t_relative_variance(moments: GradientMoments) -> float:
    """tr Cov / ‖E g‖² of the training gradient over all steps' parameters when one t ~ U{1 … T} is
    drawn per step and its block scaled by T (unbiased for the gradient of Σ_t E[loss_t]):
    E‖g‖² = T Σ_t E‖g_t‖², E g = (E g_t)_t."""
    T = moments.mean.shape[0]
    squared_mean = moments.mean.square().sum()
    second = T * (moments.variance.sum() + squared_mean)
    return float((second - squared_mean) / squared_mean)
