"""Elementwise univariate normal log-densities and KL divergences, the building blocks of the
diffusion closed forms (every distribution there is a product of univariate normals)."""

from __future__ import annotations

import math

from torch import Tensor

LOG_2PI = math.log(2.0 * math.pi)


def log_normal(x: Tensor, mean: Tensor, variance: Tensor) -> Tensor:
    """log N(x; mean, variance), elementwise."""
    return -0.5 * ((x - mean).square() / variance + variance.log() + LOG_2PI)


def expected_log_normal(residual_mean: Tensor, residual_variance: Tensor, variance: Tensor) -> Tensor:
    """E[log N(r; 0, variance)] for a random residual r with the given mean and variance."""
    return -0.5 * ((residual_mean.square() + residual_variance) / variance + variance.log() + LOG_2PI)


def kl_normal(mean_q: Tensor, variance_q: Tensor, mean_p: Tensor, variance_p: Tensor) -> Tensor:
    """KL(N(mean_q, variance_q) ‖ N(mean_p, variance_p)), elementwise."""
    return 0.5 * ((variance_q + (mean_q - mean_p).square()) / variance_p - 1.0 + (variance_p / variance_q).log())


def expected_kl_normal(variance_q: Tensor, difference_mean: Tensor, difference_variance: Tensor, variance_p: Tensor) -> Tensor:
    """E[KL(N(μ_q, variance_q) ‖ N(μ_p, variance_p))] when μ_q − μ_p is random with the given mean
    and variance (the variances fixed)."""
    return 0.5 * (
        (variance_q + difference_mean.square() + difference_variance) / variance_p - 1.0 + (variance_p / variance_q).log()
    )
