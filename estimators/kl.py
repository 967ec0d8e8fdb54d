"""Closed-form KL divergences between Gaussians, one value per data point: (B,).

KL(q‖p) = ½ [tr(Σp⁻¹Σq) + (μp − μq)ᵀ Σp⁻¹ (μp − μq) − k + log det Σp − log det Σq].
"""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ


def _require_same_batch(q: GaussianQ, p: GaussianQ) -> None:
    if q.mean.shape != p.mean.shape:
        raise ValueError(
            f"KL(q‖p): expected q and p with the same (B, k), got q {tuple(q.mean.shape)} "
            f"and p {tuple(p.mean.shape)}"
        )


def _require_gaussian(name: str, value: object) -> None:
    if not isinstance(value, (DiagonalGaussian, FullCovGaussian)):
        raise TypeError(
            f"{name}: expected DiagonalGaussian or FullCovGaussian, got {type(value).__name__}"
        )


def kl_diagonal_diagonal(q: DiagonalGaussian, p: DiagonalGaussian) -> Tensor:  # (B,)
    _require_same_batch(q, p)
    variance_ratio = (2.0 * (q.log_std - p.log_std)).exp()  # (B, k)
    mean_term = ((q.mean - p.mean) / p.std).square()  # (B, k)
    return 0.5 * (variance_ratio + mean_term - 1.0).sum(-1) + (p.log_std - q.log_std).sum(-1)


def kl_full_full(q: FullCovGaussian, p: FullCovGaussian) -> Tensor:  # (B,)
    _require_same_batch(q, p)
    # tr(Σp⁻¹Σq) = ‖Lp⁻¹ Lq‖²_F and the Mahalanobis term = ‖Lp⁻¹ (μq − μp)‖².
    whitened_scale = torch.linalg.solve_triangular(p.scale_tril, q.scale_tril, upper=False)
    whitened_mean = torch.linalg.solve_triangular(
        p.scale_tril, (q.mean - p.mean).unsqueeze(-1), upper=False
    ).squeeze(-1)  # (B, k)
    trace_term = whitened_scale.square().sum((-2, -1))
    mean_term = whitened_mean.square().sum(-1)
    return (
        0.5 * (trace_term + mean_term - q.latent_dim) + p.log_det_scale() - q.log_det_scale()
    )


def kl_to_standard_normal(q: GaussianQ) -> Tensor:  # (B,)
    """KL(q‖N(0, I)), the prior-matching term of the ELBO."""
    _require_gaussian("q", q)
    if isinstance(q, DiagonalGaussian):
        return 0.5 * (q.std.square() + q.mean.square() - 1.0 - 2.0 * q.log_std).sum(-1)
    trace_term = q.scale_tril.square().sum((-2, -1))
    return 0.5 * (trace_term + q.mean.square().sum(-1) - q.latent_dim) - q.log_det_scale()


def kl_divergence(q: GaussianQ, p: GaussianQ) -> Tensor:  # (B,)
    """KL(q‖p) for any pair of the two families."""
    _require_gaussian("q", q)
    _require_gaussian("p", p)
    if isinstance(q, DiagonalGaussian) and isinstance(p, DiagonalGaussian):
        return kl_diagonal_diagonal(q, p)
    return kl_full_full(q.to_full_covariance(), p.to_full_covariance())
