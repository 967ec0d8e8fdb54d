"""Importance-weighted bound IWAE_K = E[log (1/K) Σ_k p(x, z_k) / q(z_k | x)] (Burda et al.).

Per-sample values are one log-mean-exp per group of K draws: eps (S, K, B, k) -> (S, B).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from elbo_suite.estimators.sampling import resolve_noise
from elbo_suite.estimators.variational import GaussianQ


def log_mean_exp(values: Tensor, dim: int) -> Tensor:
    """log mean exp along `dim`, shifted by the maximum so that neither float32 nor large K
    overflows or underflows."""
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def importance_log_weights(model, q: GaussianQ, x: Tensor, z: Tensor) -> Tensor:  # (..., B)
    return model.log_joint(x, z) - q.log_prob(z)


def iwae_samples(
    model,
    q: GaussianQ,
    x: Tensor,
    *,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
    num_groups: int | None = None,
    num_importance: int | None = None,
) -> Tensor:  # (S, B)
    eps = resolve_noise(
        q, eps, generator, {"num_groups": num_groups, "num_importance": num_importance}
    )
    z = q.rsample(eps)  # (S, K, B, k)
    return log_mean_exp(importance_log_weights(model, q, x, z), dim=1)
