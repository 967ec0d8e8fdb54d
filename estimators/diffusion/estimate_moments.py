"""Exact moments of the diffusion ELBO estimators, beyond the variance: the cumulants of each per-step
loss ℓ_t and, from a sampler's law, the central moments of its estimate. The fourth moment gives the
exact standard error of an empirical variance, so that a measured variance can be held against the
exact one with an error bar that does not itself come from the (heavy-tailed) sample.

Per dimension, ℓ_t = K + u²/(2σ²) with u ~ N(δ, w): a scaled noncentral χ²₁, whose n-th cumulant is
2^{n−1}(n − 1)! [cⁿ + n δ² w^{n−1} / (2σ²)ⁿ] with c = w/(2σ²) (plus K for n = 1); dimensions add.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse, vlb_terms
from elbo_suite.estimators.models.diffusion_elbo import denoising_residual


def vlb_term_cumulants(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:
    """κ₁ … κ₄ of ℓ_t over x_t ~ q(x_t|x₀), (4, B, T)."""
    u_mean, u_variance = denoising_residual(process, reverse, x0)  # (B, T, d), (T, d)
    t = torch.arange(1, process.num_steps + 1)
    _, _, step_variance = reverse.step(t)  # (T, d)
    scale = 2.0 * step_variance
    c = u_variance / scale
    cumulants = []
    for n in range(1, 5):
        per_dimension = 2 ** (n - 1) * math.factorial(n - 1) * (
            c**n + n * u_mean.square() * u_variance ** (n - 1) / scale**n
        )
        cumulants.append(per_dimension.sum(-1))
    cumulants[0] = cumulants[0] + vlb_terms(process, reverse, x0[:1]).constant  # the constant K_t
    return torch.stack(cumulants)


def _raw_from_cumulants(k: Tensor) -> Tensor:  # (4, ...) -> (4, ...) E[X], E[X²], E[X³], E[X⁴]
    k1, k2, k3, k4 = k
    return torch.stack([
        k1,
        k2 + k1**2,
        k3 + 3 * k2 * k1 + k1**3,
        k4 + 4 * k3 * k1 + 3 * k2**2 + 6 * k2 * k1**2 + k1**4,
    ])


def _cumulants_from_raw(m: Tensor) -> Tensor:
    m1, m2, m3, m4 = m
    return torch.stack([
        m1,
        m2 - m1**2,
        m3 - 3 * m2 * m1 + 2 * m1**3,
        m4 - 4 * m3 * m1 - 3 * m2**2 + 12 * m2 * m1**2 - 6 * m1**4,
    ])


def estimate_central_moments(sampler, cumulants: Tensor) -> tuple[Tensor, Tensor]:
    """Variance and fourth central moment of Σ_k w_k ℓ_{t_k} under `sampler`'s law, (B,) each,
    from the per-step cumulants (4, B, T)."""
    total = torch.zeros(cumulants.shape[:2], dtype=cumulants.dtype)  # (4, B)
    for component in sampler.components():
        powers = torch.stack([component.weights**n for n in range(1, 5)])  # (4, O, J)
        per_step = cumulants[:, :, component.timesteps - 1]  # (4, B, O, J)
        given_outcome = (powers[:, None] * per_step).sum(-1)  # (4, B, O): the ℓ's are independent
        raw = (_raw_from_cumulants(given_outcome) * component.probabilities).sum(-1)  # mixture, (4, B)
        total = total + _cumulants_from_raw(raw)  # components are independent
    variance = total[1]
    return variance, total[3] + 3.0 * variance.square()


def variance_standard_error(variance: Tensor, fourth_central_moment: Tensor, n: int) -> Tensor:
    """Standard deviation of the unbiased sample variance of n independent estimates."""
    return ((fourth_central_moment - variance.square() * (n - 3) / (n - 1)) / n).clamp_min(0.0).sqrt()
