"""Seeded inputs chosen to expose bugs: k ≥ 2, distinct rows, variances away from 1, b ≠ 0.

Variances away from 1 matter: at std = 1 a log-variance read as a log-std, or a std read as a
variance, changes nothing. Distinct means and distinct q and p make swapped KL arguments and
sign errors in (μq − μp) visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ

KL_LATENT_DIMS = (2, 3, 5)
KL_BATCH_SIZE = 6
KL_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class KLCase:
    """One batch of (q, p) pairs; p is N(0, I) when `against` is 'standard_normal'."""

    label: str  # e.g. "k=3, seed 1"
    q: GaussianQ
    p: GaussianQ | None


def _log_std_away_from_zero(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    # |log std| in (0.3, 0.9): std in (0.41, 0.74) or (1.35, 2.46), never near 1.
    magnitude = 0.3 + 0.6 * torch.rand(shape, generator=generator, dtype=torch.float64)
    sign = torch.where(torch.rand(shape, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
    return sign * magnitude


def seeded_gaussian(
    batch_size: int, latent_dim: int, covariance: str, generator: torch.Generator
) -> GaussianQ:
    mean = 0.3 + torch.randn((batch_size, latent_dim), generator=generator, dtype=torch.float64)
    log_std = _log_std_away_from_zero((batch_size, latent_dim), generator)
    if covariance == "diagonal":
        return DiagonalGaussian(mean, log_std)
    off_diagonal = 0.5 * torch.randn((batch_size, latent_dim, latent_dim), generator=generator, dtype=torch.float64)
    scale_tril = torch.tril(off_diagonal, diagonal=-1) + torch.diag_embed(log_std.exp())
    return FullCovGaussian(mean, scale_tril)


def kl_cases(
    covariance: str,
    against: str,
    latent_dims: tuple[int, ...] = KL_LATENT_DIMS,
    seeds: tuple[int, ...] = KL_SEEDS,
    batch_size: int = KL_BATCH_SIZE,
) -> Iterator[KLCase]:
    for latent_dim in latent_dims:
        for seed in seeds:
            generator = torch.Generator().manual_seed(1000 * latent_dim + seed)
            q = seeded_gaussian(batch_size, latent_dim, covariance, generator)
            p = seeded_gaussian(batch_size, latent_dim, covariance, generator) if against == "gaussian" else None
            yield KLCase(f"k={latent_dim}, seed {seed}", q, p)


# Stress: q far from p, in a higher dimension, with variances e^±7 apart. Closed forms stay exact
# in float64; a KL built from densities, or from exp/log of large values, does not.
KL_STRESS_LATENT_DIM = 16
KL_STRESS_MEAN_SCALE = 10.0
KL_STRESS_LOG_STD = (1.0, 3.5)  # |log std| range: std from e^-3.5 = 0.03 to e^3.5 = 33


def kl_stress_cases(covariance: str, against: str, seed: int, batch_size: int = KL_BATCH_SIZE) -> Iterator[KLCase]:
    generator = torch.Generator().manual_seed(90_000 + seed)
    k = KL_STRESS_LATENT_DIM

    def gaussian() -> GaussianQ:
        mean = KL_STRESS_MEAN_SCALE * torch.randn((batch_size, k), generator=generator, dtype=torch.float64)
        low, high = KL_STRESS_LOG_STD
        magnitude = low + (high - low) * torch.rand((batch_size, k), generator=generator, dtype=torch.float64)
        sign = torch.where(torch.rand((batch_size, k), generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
        log_std = sign * magnitude
        if covariance == "diagonal":
            return DiagonalGaussian(mean, log_std)
        off = 0.3 * torch.randn((batch_size, k, k), generator=generator, dtype=torch.float64)
        scale_tril = torch.tril(off, diagonal=-1) * log_std.exp().unsqueeze(-1) + torch.diag_embed(log_std.exp())
        return FullCovGaussian(mean, scale_tril)

    q = gaussian()
    p = gaussian() if against == "gaussian" else None
    yield KLCase(f"stress: k={k}, means ~ N(0, {KL_STRESS_MEAN_SCALE:g}²), std e^±{KL_STRESS_LOG_STD[1]:g}, seed {seed}", q, p)


def standard_normal_like(batch_size: int, latent_dim: int, covariance: str) -> GaussianQ:
    mean = torch.zeros(batch_size, latent_dim, dtype=torch.float64)
    if covariance == "diagonal":
        return DiagonalGaussian(mean, torch.zeros_like(mean))
    eye = torch.eye(latent_dim, dtype=torch.float64).expand(batch_size, -1, -1).contiguous()
    return FullCovGaussian(mean, eye)
