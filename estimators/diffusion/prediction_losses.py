"""The regression losses diffusion models train with, and their exact weights relative to the ELBO.

A network predicting ε, x₀, v or the score at (x_t, t) defines the reverse mean through the
posterior, μ_θ = k₀_t x̂₀ + k_t x_t, and every prediction error is a multiple of the x₀ error:
target − prediction = λ_t (x₀ − x̂₀) (diffusion_targets.x0_error_scale). So, per draw and exactly,

    ℓ_t = C_t + Σ_d w_t^{target} (target − prediction)²,   w_t^{x₀} = k₀_t² / (2σ_t²),
    w_t^{target} = w_t^{x₀} / λ_t²:   w^ε = w^{x₀} (1 − ᾱ_t)/ᾱ_t,  w^v = w^{x₀} (1 − ᾱ_t),
                                      w^{score} = w^{x₀} (1 − ᾱ_t)²/ᾱ_t,

with C_t the part no prediction changes (VlbTerms.constant). With DDPM's σ_t² = β̃_t (t ≥ 2) the
weights are the SNR forms of Kingma et al. (2021), SNR_t = ᾱ_t/(1 − ᾱ_t):
w^{x₀} = ½(SNR_{t−1} − SNR_t), w^ε = ½(SNR_{t−1}/SNR_t − 1), w^v = ½(SNR_{t−1} − SNR_t)/(1 + SNR_t),
w^{score} = w^ε (1 − ᾱ_t) (`snr_weight`). With σ_t² = β_t they are not: the SNR forms assume β̃.

The "simple" loss ‖ε − ε̂‖² at t ~ U{1 … T} (Ho et al. 2020) drops w^ε and C_t: its expectation is
Σ_t Σ_d (E[ℓ_{t,d}] − C_{t,d}) / (T w^ε_{t,d}), a reweighted bound, not the ELBO.

Shapes: x0 (B, d); t (..., B) long; eps (..., B, d); per-draw losses (..., B).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from elbo_suite.estimators.diffusion.vlb_term import check_draws
from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse, NoiseSchedule, vlb_terms
from elbo_suite.estimators.models.diffusion_elbo import denoising_residual
from elbo_suite.estimators.models.diffusion_targets import TARGETS, score_from_eps, v_from_eps_x0, x0_error_scale

Weight = Callable[[GaussianDiffusion, LinearGaussianReverse, Tensor, str], Tensor]


def _require_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"target: expected one of {', '.join(TARGETS)}, got {target!r}")


def regression_target(target: str, x0: Tensor, eps: Tensor, alpha_bar: Tensor) -> Tensor:
    """What the network regresses on, from the draw (x₀, ε) as training code forms it."""
    _require_target(target)
    if target == "eps":
        return eps
    if target == "x0":
        return x0.expand_as(eps)
    if target == "v":
        return v_from_eps_x0(eps, x0, alpha_bar)
    return score_from_eps(eps, alpha_bar)  # ∇ log q(x_t | x₀), the denoising score matching target


def prediction_error(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, t: Tensor, eps: Tensor,
                     target: str) -> Tensor:  # (..., B, d)
    """target − prediction at x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, the prediction being the reverse's."""
    check_draws(process, x0, t, eps)
    x_t = process.q_sample(x0, t, eps)
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)
    return regression_target(target, x0, eps, alpha_bar) - reverse.predict(process, x_t, t, target)


def prediction_loss(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, t: Tensor, eps: Tensor,
                    target: str = "eps") -> Tensor:  # (..., B)
    """‖target − prediction‖², summed over dimensions (the unweighted loss)."""
    return prediction_error(process, reverse, x0, t, eps, target).square().sum(-1)


def elbo_weight(process: GaussianDiffusion, reverse: LinearGaussianReverse, t: Tensor, target: str) -> Tensor:
    """w_t^{target} = k₀_t² / (2σ_t² λ_t²), (*t.shape, d): the exact ELBO weight for any σ_t."""
    _require_target(target)
    coef_x0, _, _ = process.posterior_coefficients(t)
    _, _, variance = reverse.step(t)
    scale = x0_error_scale(target, process.schedule.alpha_bar[t].unsqueeze(-1))
    return coef_x0.square() / (2.0 * variance * scale.square())


def snr_weight(schedule: NoiseSchedule, t: Tensor, target: str) -> Tensor:
    """The SNR form of the ELBO weight when σ_t² = β̃_t, for t ≥ 2, (*t.shape,)."""
    _require_target(target)
    if bool((torch.as_tensor(t) < 2).any()):
        raise ValueError("t: expected t ≥ 2 (at t = 1, β̃_1 = 0 and the loss is the decoder's likelihood)")
    snr_now, snr_before = schedule.snr[t], schedule.snr[t - 1]
    x0_weight = 0.5 * (snr_before - snr_now)
    return {
        "x0": x0_weight,
        "eps": x0_weight / snr_now,
        "v": x0_weight / (1.0 + snr_now),
        "score": x0_weight / snr_now * schedule.one_minus_alpha_bar[t],
    }[target]


def weighted_vlb_term_samples(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, t: Tensor,
                              eps: Tensor, target: str, weight: Weight = elbo_weight) -> Tensor:  # (..., B)
    """ℓ_t written as a weighted regression loss: C_t + Σ_d w_t (target − prediction)²."""
    error = prediction_error(process, reverse, x0, t, eps, target)
    constant = vlb_terms(process, reverse, x0[:1]).constant  # (T,)
    return constant[t - 1] + (weight(process, reverse, t, target) * error.square()).sum(-1)


def prediction_error_moments(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor,
                             target: str) -> tuple[Tensor, Tensor]:
    """Exact mean and variance of ‖target − prediction‖² at each t over x_t ~ q(x_t|x₀), (B, T) each.

    target − prediction = (λ_t / k₀_t) u_t with u_t the Gaussian denoising residual."""
    _require_target(target)
    u_mean, u_variance = denoising_residual(process, reverse, x0)  # (B, T, d), (T, d)
    t = torch.arange(1, process.num_steps + 1)
    coef_x0, _, _ = process.posterior_coefficients(t)
    factor = (x0_error_scale(target, process.schedule.alpha_bar[t].unsqueeze(-1)) / coef_x0).square()  # (T, 1)
    mean = (factor * (u_mean.square() + u_variance)).sum(-1)
    variance = (factor.square() * (2.0 * u_variance.square() + 4.0 * u_mean.square() * u_variance)).sum(-1)
    return mean, variance


def simple_loss_as_reweighted_bound(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor,
                                    target: str = "eps") -> Tensor:
    """Σ_t Σ_d (E[ℓ_{t,d}] − C_{t,d}) / (T w_{t,d}) from the ELBO's own terms, (B,): what the simple
    loss's expectation is, stated as the reweighted bound."""
    u_mean, u_variance = denoising_residual(process, reverse, x0)
    t = torch.arange(1, process.num_steps + 1)
    _, _, variance = reverse.step(t)
    elbo_part = (u_mean.square() + u_variance) / (2.0 * variance)  # (B, T, d) E[ℓ_{t,d}] − C_{t,d}
    return (elbo_part / (process.num_steps * elbo_weight(process, reverse, t, target))).sum((-2, -1))
