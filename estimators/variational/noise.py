"""Standard-normal noise for the reparameterisation z = mean + scale @ eps, and its shape check."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_finite, require_float_tensor


def standard_normal(shape: Sequence[int], generator: torch.Generator, like: Tensor) -> Tensor:
    """Fresh N(0, I) noise of `shape` with the dtype and device of `like`, drawn from `generator`."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator, got {type(generator).__name__}")
    return torch.randn(tuple(shape), generator=generator, dtype=like.dtype, device=like.device)


def check_noise(name: str, eps: object, batch_size: int, latent_dim: int, dtype: torch.dtype) -> None:
    """eps (or z) must be (..., B, k) in the distribution's dtype, with finite values."""
    eps = require_float_tensor(name, eps)
    if eps.dim() < 2 or tuple(eps.shape[-2:]) != (batch_size, latent_dim):
        raise ValueError(
            f"{name}: expected shape (..., B, k) = (..., {batch_size}, {latent_dim}), "
            f"got {tuple(eps.shape)}"
        )
    if eps.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} to match the distribution, got {eps.dtype}")
    require_finite(name, eps)
