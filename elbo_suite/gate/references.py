"""Reference ELBO / IWAE values on a given draw, from the exact model's own log-densities.

These are the per-data-point estimates the user's estimator must reproduce on the same noise:
- "elbo":             1/L Σ_l [log p(x, z_l) − log q(z_l|x)],          z_l = q.rsample(eps_l);
- "elbo_analytic_kl": 1/L Σ_l log p(x | z_l) − KL(q‖N(0, I))  (closed-form prior matching);
- "iwae":             log 1/K Σ_k p(x, z_k) / q(z_k|x), by log-sum-exp.
eps is (L, B, k) for the ELBO forms and (..., K, B, k) for IWAE (leading axes: independent groups).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from estimators.models import LinearGaussianModel
from estimators.variational import GaussianQ

ESTIMATOR_KINDS = ("elbo", "elbo_analytic_kl", "iwae")


def log_weights(model: LinearGaussianModel, q: GaussianQ, x: Tensor, eps: Tensor) -> Tensor:  # (..., B)
    z = q.rsample(eps)  # (..., B, k)
    return model.log_joint(x, z) - q.log_prob(z)


def reference_estimate(kind: str, model: LinearGaussianModel, q: GaussianQ, x: Tensor, eps: Tensor) -> Tensor:  # (B,)
    if kind == "elbo":
        return log_weights(model, q, x, eps).mean(0)
    if kind == "elbo_analytic_kl":
        z = q.rsample(eps)  # (L, B, k)
        return model.log_likelihood(x, z).mean(0) - model.prior_matching(q)
    if kind == "iwae":
        return torch.logsumexp(log_weights(model, q, x, eps), dim=-2) - math.log(eps.shape[-3])
    raise ValueError(f"kind: expected one of {ESTIMATOR_KINDS}, got {kind!r}")
