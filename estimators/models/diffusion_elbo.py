"""The diffusion ELBO of a LinearGaussianReverse under a GaussianDiffusion, in closed form, three ways.

    ELBO(x₀) = E_{q(x_{1:T}|x₀)}[log p_θ(x_{0:T}) − log q(x_{1:T}|x₀)] ≤ log p_θ(x₀)

1. joint: E[log p(x_T)] + Σ_t E[log p_θ(x_{t−1}|x_t)] − Σ_t E[log q(x_t|x_{t−1})], each factor's
   expectation under q(x_{t−1}, x_t | x₀).
2. prior matching and consistency (Luo 2022, eq. 45, regrouped per step):
   E[log p_θ(x₀|x₁)] − E_{q(x_{T−1}|x₀)}[KL(q(x_T|x_{T−1}) ‖ p(x_T))]
   − Σ_{t=1}^{T−1} E_{q(x_{t−1}, x_t, x_{t+1}|x₀)}[log q(x_t|x_{t−1}) − log p_θ(x_t|x_{t+1})].
   The consistency expectation is over the triple: x_{t+1} depends on x_t, so it is NOT the
   expectation over q(x_{t−1}, x_{t+1}|x₀) of KL(q(x_t|x_{t−1}) ‖ p_θ(x_t|x_{t+1})) that the paper
   writes; that form overstates each term by a_{t+1} √α_{t+1} β_t / σ_{t+1}² per dimension.
3. reconstruction − prior matching − Σ denoising matching (DDPM's L₀, L_T, L_{t−1}):
   E_{q(x₁|x₀)}[log p_θ(x₀|x₁)] − KL(q(x_T|x₀) ‖ p(x_T))
   − Σ_{t=2}^{T} E_{q(x_t|x₀)}[KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t))].

Under q(·|x₀) the chain is Gaussian with E[x_t] = √ᾱ_t x₀ and Cov(x_r, x_t) from
GaussianDiffusion.chain_covariance, so every term is the expectation of a Gaussian log-density of an
affine residual, known from the residual's mean and variance. All results are per data point (B,).

`vlb_terms` gives the per-step losses the estimators sample: ℓ_1 = −log p_θ(x₀|x₁) at x₁ ~ q(x₁|x₀),
ℓ_t = KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t)) at x_t ~ q(x_t|x₀) for t ≥ 2, with their exact means
and variances: −ELBO = prior matching + Σ_t E[ℓ_t].
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from elbo_suite.estimators.models.gaussian_diffusion import GaussianDiffusion
from elbo_suite.estimators.models.linear_gaussian_reverse import LinearGaussianReverse
from elbo_suite.estimators.models.normal_density import LOG_2PI, expected_kl_normal, expected_log_normal, kl_normal

DECOMPOSITIONS = ("joint", "consistency", "denoising")


class VlbTerms(NamedTuple):
    prior_matching: Tensor  # (B,) KL(q(x_T|x₀) ‖ p(x_T)), constant in the reverse steps
    mean: Tensor  # (B, T) E[ℓ_t], column t − 1 for step t
    variance: Tensor  # (B, T) Var[ℓ_t] over x_t ~ q(x_t|x₀)
    constant: Tensor  # (T,) the part of ℓ_t that no prediction changes: ½Σ_d(log σ²/β̃ + β̃/σ² − 1), t = 1: ½Σ_d log 2πσ²
    weight: Tensor  # (T, d) w_t with ℓ_t = constant_t + Σ_d w_t (x₀ − x̂₀)²; w_t = k₀_t² / (2σ_t²)


def _steps(process: GaussianDiffusion) -> Tensor:
    return torch.arange(1, process.num_steps + 1)


def check_inputs(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:
    if not isinstance(process, GaussianDiffusion):
        raise TypeError(f"process: expected a GaussianDiffusion, got {type(process).__name__}")
    if not isinstance(reverse, LinearGaussianReverse):
        raise TypeError(f"reverse: expected a LinearGaussianReverse, got {type(reverse).__name__}")
    reverse.require_matches(process)
    process._check_x("x0", x0)
    if x0.dim() != 2:
        raise ValueError(f"x0: expected shape (B, d) = (B, {process.data_dim}), got {tuple(x0.shape)}")
    return x0.unsqueeze(1)  # (B, 1, d), broadcasting against per-step (T, d)


def _mean_coefficient(process: GaussianDiffusion, t: Tensor) -> Tensor:  # (T, 1) √ᾱ_t
    return process.schedule.alpha_bar.sqrt()[t].unsqueeze(-1)


def reverse_step_residual(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> tuple[Tensor, Tensor]:
    """r_t = x_{t−1} − a_t x_t − c_t under q(x_{t−1}, x_t | x₀): mean (B, T, d), variance (T, d)."""
    x0 = check_inputs(process, reverse, x0)
    t = _steps(process)
    slope, offset, _ = reverse.step(t)
    mean = _mean_coefficient(process, t - 1) * x0 - slope * _mean_coefficient(process, t) * x0 - offset
    one_minus = process.schedule.one_minus_alpha_bar.unsqueeze(-1)  # (T + 1, 1): Var(x_t | x₀)
    variance = one_minus[t - 1] - 2.0 * slope * process.chain_covariance(t - 1, t) + slope.square() * one_minus[t]
    return mean, variance


def elbo_joint(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:  # (B,)
    """1. Σ of the expected log-factors of p_θ(x_{0:T}) minus those of q(x_{1:T}|x₀)."""
    x0_ = check_inputs(process, reverse, x0)
    T = process.num_steps
    mean_T = _mean_coefficient(process, torch.tensor(T)) * x0_[:, 0]  # (B, d)
    prior = expected_log_normal(
        mean_T - reverse.prior_mean, process.schedule.one_minus_alpha_bar[T].expand_as(mean_T), reverse.prior_std.square()
    ).sum(-1)
    residual_mean, residual_variance = reverse_step_residual(process, reverse, x0)
    _, _, step_variance = reverse.step(_steps(process))
    reverse_steps = expected_log_normal(residual_mean, residual_variance, step_variance).sum((-2, -1))
    # E[log q(x_t|x_{t−1})] = −½(1 + log 2πβ_t) per dimension: its residual is exactly √β_t ε
    forward_steps = -0.5 * process.data_dim * (1.0 + LOG_2PI + process.schedule.betas.log()).sum()
    return prior + reverse_steps - forward_steps


def elbo_consistency(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:  # (B,)
    """2. reconstruction − prior matching from x_{T−1} − Σ_{t<T} consistency (module docstring)."""
    x0_ = check_inputs(process, reverse, x0)
    T = process.num_steps
    schedule = process.schedule
    residual_mean, residual_variance = reverse_step_residual(process, reverse, x0)  # (B, T, d), (T, d)
    _, _, step_variance = reverse.step(_steps(process))  # (T, d)
    reconstruction = expected_log_normal(residual_mean[:, 0], residual_variance[0], step_variance[0]).sum(-1)
    # KL(N(√α_T x_{T−1}, β_T) ‖ p(x_T)) with x_{T−1} ~ q(x_{T−1}|x₀): a random mean
    sqrt_alpha_T, beta_T = schedule.alpha[T].sqrt(), schedule.beta[T]
    prior_matching = expected_kl_normal(
        beta_T,
        _mean_coefficient(process, torch.tensor(T)) * x0_[:, 0] - reverse.prior_mean,
        sqrt_alpha_T.square() * schedule.one_minus_alpha_bar[T - 1],
        reverse.prior_std.square(),
    ).sum(-1)
    # step t < T: E[log q(x_t|x_{t−1})] − E[log p_θ(x_t|x_{t+1})], the latter the residual r_{t+1}
    log_forward = -0.5 * (1.0 + LOG_2PI + schedule.betas[:-1].log()).unsqueeze(-1)  # (T − 1, 1)
    log_reverse = expected_log_normal(residual_mean[:, 1:], residual_variance[1:], step_variance[1:])  # (B, T − 1, d)
    consistency = (log_forward - log_reverse).sum((-2, -1))
    return reconstruction - prior_matching - consistency


def denoising_residual(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> tuple[Tensor, Tensor]:
    """u_t = μ̃_t(x_t, x₀) − (a_t x_t + c_t) = k₀_t x₀ + (k_t − a_t) x_t − c_t under x_t ~ q(x_t|x₀):
    mean (B, T, d) and variance (T, d). u_t = k₀_t (x₀ − x̂₀) for the x̂₀ the reverse implies."""
    x0 = check_inputs(process, reverse, x0)
    t = _steps(process)
    coef_x0, coef_xt, _ = process.posterior_coefficients(t)  # (T, 1) each
    slope, offset, _ = reverse.step(t)  # (T, d)
    mean = coef_x0 * x0 + (coef_xt - slope) * _mean_coefficient(process, t) * x0 - offset
    return mean, (coef_xt - slope).square() * process.schedule.one_minus_alpha_bar[t].unsqueeze(-1)


def vlb_terms(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> VlbTerms:
    """The prior matching term and the exact mean and variance of each per-step loss ℓ_t.

    ℓ_t = Σ_d [K_t + u_t² / (2σ_t²)] with u_t the denoising residual (at t = 1, μ̃ = x₀ and
    K = ½ log 2πσ²; at t ≥ 2, K = ½(log σ²/β̃ + β̃/σ² − 1)), and u_t is Gaussian with mean δ and
    variance w, so E[ℓ_t] = Σ_d K + (δ² + w)/(2σ²) and Var[ℓ_t] = Σ_d (2w² + 4δ²w)/(4σ⁴)."""
    u_mean, u_variance = denoising_residual(process, reverse, x0)  # (B, T, d), (T, d)
    t = _steps(process)
    T = process.num_steps
    coef_x0, _, posterior_variance = process.posterior_coefficients(t)  # (T, 1) each
    _, _, step_variance = reverse.step(t)  # (T, d)
    tilde = posterior_variance.expand_as(step_variance)
    constant = torch.where(
        t.unsqueeze(-1) == 1,
        0.5 * (LOG_2PI + step_variance.log()),
        0.5 * ((step_variance / tilde.clamp_min(1e-300)).log() + tilde / step_variance - 1.0),
    )  # (T, d)
    mean = (constant + (u_mean.square() + u_variance) / (2.0 * step_variance)).sum(-1)  # (B, T)
    variance = ((2.0 * u_variance.square() + 4.0 * u_mean.square() * u_variance) / (4.0 * step_variance.square())).sum(-1)
    mean_T = _mean_coefficient(process, torch.tensor(T)) * x0
    prior_matching = kl_normal(
        mean_T, process.schedule.one_minus_alpha_bar[T].expand_as(mean_T), reverse.prior_mean, reverse.prior_std.square()
    ).sum(-1)
    return VlbTerms(prior_matching, mean, variance, constant.sum(-1), coef_x0.square() / (2.0 * step_variance))


def elbo_denoising(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:  # (B,)
    """3. reconstruction − prior matching − Σ_{t≥2} denoising matching."""
    terms = vlb_terms(process, reverse, x0)
    return -terms.prior_matching - terms.mean.sum(-1)


ELBO_CLOSED_FORMS = {"joint": elbo_joint, "consistency": elbo_consistency, "denoising": elbo_denoising}


def closed_form_elbo(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor,
                     decomposition: str = "denoising") -> Tensor:  # (B,)
    if decomposition not in ELBO_CLOSED_FORMS:
        raise ValueError(f"decomposition: expected one of {', '.join(DECOMPOSITIONS)}, got {decomposition!r}")
    return ELBO_CLOSED_FORMS[decomposition](process, reverse, x0)
