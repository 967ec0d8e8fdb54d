"""Summaries of per-sample gradients (N, P): variance with its standard error, and SNR."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_float_tensor, require_shape


def variance_with_standard_error(samples: Tensor) -> tuple[Tensor, Tensor]:  # (P,), (P,)
    """Unbiased sample variance per column and its standard error, from the sample's fourth
    central moment m4: Var(s²) = m4/n − s⁴ (n − 3)/(n (n − 1))."""
    require_float_tensor("samples", samples)
    require_shape("samples", samples, (None, None), "(N, P)")
    n = samples.shape[0]
    if n < 4:
        raise ValueError(f"samples: expected N ≥ 4 rows for a fourth moment, got N = {n}")
    centred = samples - samples.mean(0)  # (N, P)
    variance = centred.square().sum(0) / (n - 1)
    fourth = centred.pow(4).mean(0)
    variance_of_variance = fourth / n - variance.square() * (n - 3) / (n * (n - 1))
    return variance, variance_of_variance.clamp_min(0.0).sqrt()


def signal_to_noise(samples: Tensor) -> Tensor:  # (P,)
    """|E g| / std g per column, the SNR of Rainforth et al. (2018)."""
    require_float_tensor("samples", samples)
    require_shape("samples", samples, (None, None), "(N, P)")
    return samples.mean(0).abs() / samples.std(0)


def mean_standard_error(samples: Tensor) -> Tensor:  # (P,)
    return samples.std(0) / math.sqrt(samples.shape[0])


def two_sided_normal_quantile(alpha: float) -> float:
    """z with P(|Z| > z) = alpha for Z ~ N(0, 1)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: expected a float in (0, 1), got {alpha!r}")
    return math.sqrt(2.0) * float(torch.special.erfinv(torch.tensor(1.0 - alpha, dtype=torch.float64)))
