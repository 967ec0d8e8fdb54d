"""L-sample Monte Carlo ELBO, in the two forms the document writes (see the contract in
estimators/__init__.py): per-sample values (L, B)."""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.sampling import resolve_noise
from elbo_suite.estimators.variational import GaussianQ


def elbo_samples(
    model,
    q: GaussianQ,
    x: Tensor,
    *,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
    num_samples: int | None = None,
) -> Tensor:  # (L, B)
    """log p(x, z_l) − log q(z_l | x) for z_l = q.rsample(eps_l): unbiased for the ELBO."""
    eps = resolve_noise(q, eps, generator, {"num_samples": num_samples})
    z = q.rsample(eps)  # (L, B, k)
    return model.log_joint(x, z) - q.log_prob(z)


def analytic_kl_elbo_samples(
    model,
    q: GaussianQ,
    x: Tensor,
    *,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
    num_samples: int | None = None,
) -> Tensor:  # (L, B)
    """log p(x | z_l) − KL(q‖p(z)): Monte Carlo reconstruction minus closed-form prior matching."""
    eps = resolve_noise(q, eps, generator, {"num_samples": num_samples})
    z = q.rsample(eps)  # (L, B, k)
    return model.log_likelihood(x, z) - model.prior_matching(q)
