"""Seeded random members of the q families, for tests and the default model set."""

from __future__ import annotations

import torch

from elbo_suite.estimators.validation import require_positive_int
from elbo_suite.estimators.variational.diagonal import DiagonalGaussian
from elbo_suite.estimators.variational.full_covariance import FullCovGaussian
from elbo_suite.estimators.variational.noise import standard_normal


def random_diagonal_gaussian(
    batch_size: int, latent_dim: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
) -> DiagonalGaussian:
    """Means N(0, I), log-stds uniform on (−1, 0.5): std between 0.37 and 1.65, never all 1."""
    require_positive_int("batch_size", batch_size)
    require_positive_int("latent_dim", latent_dim)
    like = torch.empty(0, dtype=dtype)
    mean = standard_normal((batch_size, latent_dim), generator, like)
    log_std = torch.rand((batch_size, latent_dim), generator=generator, dtype=dtype) * 1.5 - 1.0
    return DiagonalGaussian(mean, log_std)


def random_full_cov_gaussian(
    batch_size: int, latent_dim: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
) -> FullCovGaussian:
    """Means N(0, I); Cholesky factors with diagonal in (0.37, 1.65) and off-diagonal N(0, 0.3²)."""
    diagonal = random_diagonal_gaussian(batch_size, latent_dim, generator, dtype)
    like = torch.empty(0, dtype=dtype)
    off_diagonal = 0.3 * standard_normal((batch_size, latent_dim, latent_dim), generator, like)
    scale_tril = torch.tril(off_diagonal, diagonal=-1) + torch.diag_embed(diagonal.std)
    return FullCovGaussian(diagonal.mean, scale_tril)
