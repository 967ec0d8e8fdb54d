"""The per-step loss ℓ_t at one draw of x_t, as VLB code computes it (improved-diffusion's
`_vb_terms_bpd`, in nats): the analytic KL between two Gaussians at a sampled x_t.

    ℓ_1 = −log p_θ(x₀ | x₁)                                   (the decoder's negative log-likelihood)
    ℓ_t = KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t)),  t ≥ 2
    x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε

Shapes: x0 (B, d); t (..., B) long; eps (..., B, d) -> (..., B), summed over dimensions.
"""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse
from elbo_suite.estimators.models.normal_density import kl_normal, log_normal


def check_draws(process: GaussianDiffusion, x0: Tensor, t: Tensor, eps: Tensor) -> None:
    if not isinstance(t, Tensor) or t.is_floating_point():
        raise TypeError(f"t: expected an integer Tensor of timesteps, got {getattr(t, 'dtype', type(t).__name__)}")
    if tuple(eps.shape) != (*t.shape, process.data_dim) or t.shape[-1:] != x0.shape[:1]:
        raise ValueError(
            f"eps: expected shape (..., B, d) = {(*t.shape, process.data_dim)} to match t (..., B) = "
            f"{tuple(t.shape)} and x0 (B, d) = {tuple(x0.shape)}, got {tuple(eps.shape)}"
        )


def vlb_term_samples(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, t: Tensor,
                     eps: Tensor) -> Tensor:  # (..., B)
    check_draws(process, x0, t, eps)
    x_t = process.q_sample(x0, t, eps)  # (..., B, d)
    posterior_mean, posterior_variance = process.posterior(x0, x_t, t)  # (..., B, d), (..., B, 1)
    model_mean = reverse.mean(x_t, t)
    _, _, model_variance = reverse.step(t)
    decoder_nll = -log_normal(x0, model_mean, model_variance)
    # β̃_1 = 0: the t = 1 branch is discarded, only kept finite
    kl = kl_normal(posterior_mean, posterior_variance.clamp_min(1e-300), model_mean, model_variance)
    return torch.where((t == 1).unsqueeze(-1), decoder_nll, kl).sum(-1)


def prior_matching(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:  # (B,)
    """KL(q(x_T | x₀) ‖ p(x_T)): closed form, the same for every estimator."""
    mean, variance = process.q_given_x0(x0, process.num_steps)
    return kl_normal(mean, variance.expand_as(mean), reverse.prior_mean, reverse.prior_std.square()).sum(-1)
