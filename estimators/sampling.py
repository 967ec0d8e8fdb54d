"""The estimator contract's noise argument: injected eps, or fresh draws from a generator."""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_float_tensor, require_positive_int
from elbo_suite.estimators.variational import GaussianQ
from elbo_suite.estimators.variational.noise import standard_normal


def resolve_noise(
    q: GaussianQ,
    eps: Tensor | None,
    generator: torch.Generator | None,
    sample_axes: dict[str, int | None],
) -> Tensor:
    """eps (*sample_axes, B, k): the given eps, or N(0, I) drawn from `generator`.

    `sample_axes` names the leading axes and their sizes, e.g. {"num_samples": L}; sizes are only
    needed (and only used) when drawing.
    """
    if (eps is None) == (generator is None):
        raise ValueError("noise: pass exactly one of eps (standard-normal Tensor) or generator")
    names = ", ".join(sample_axes)
    if eps is not None:
        require_float_tensor("eps", eps)
        if eps.dim() != len(sample_axes) + 2:
            raise ValueError(
                f"eps: expected shape ({names}, B, k) with {len(sample_axes) + 2} axes, "
                f"got {tuple(eps.shape)}"
            )
        return eps
    sizes = [require_positive_int(name, size) for name, size in sample_axes.items()]
    return standard_normal((*sizes, q.batch_size, q.latent_dim), generator, q.mean)
