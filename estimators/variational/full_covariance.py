"""Gaussian q(z|x) with full covariance, one per data point, parameterised by mean and Cholesky factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.validation import (
    require_finite,
    require_float_tensor,
    require_positive_int,
    require_same_dtype,
    require_shape,
)
from elbo_suite.estimators.variational.noise import check_noise, standard_normal

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True, eq=False)
class FullCovGaussian:
    """N(mean_b, L_b L_bᵀ) for each data point b, L_b lower-triangular with a positive diagonal."""

    mean: Tensor  # (B, k)
    scale_tril: Tensor  # (B, k, k)

    def __post_init__(self) -> None:
        require_float_tensor("FullCovGaussian.mean", self.mean)
        require_float_tensor("FullCovGaussian.scale_tril", self.scale_tril)
        require_shape("FullCovGaussian.mean", self.mean, (None, None), "(B, k)")
        batch_size, latent_dim = self.mean.shape
        require_shape(
            "FullCovGaussian.scale_tril",
            self.scale_tril,
            (batch_size, latent_dim, latent_dim),
            "(B, k, k) with B, k from mean",
        )
        require_same_dtype("FullCovGaussian.scale_tril", self.scale_tril, "mean", self.mean)
        require_finite("FullCovGaussian.mean", self.mean)
        require_finite("FullCovGaussian.scale_tril", self.scale_tril)
        above_diagonal = torch.triu(self.scale_tril.detach(), diagonal=1)
        if bool((above_diagonal != 0).any()):
            raise ValueError(
                "FullCovGaussian.scale_tril: expected lower-triangular matrices, found non-zero "
                f"entries above the diagonal (largest {above_diagonal.abs().max().item():.3g})"
            )
        diagonal = torch.diagonal(self.scale_tril.detach(), dim1=-2, dim2=-1)
        if bool((diagonal <= 0).any()):
            raise ValueError(
                "FullCovGaussian.scale_tril: expected a strictly positive diagonal, found "
                f"minimum {diagonal.min().item():.3g}"
            )

    @classmethod
    def from_covariance(cls, mean: Tensor, covariance: Tensor) -> FullCovGaussian:
        covariance = require_float_tensor("covariance", covariance)
        scale_tril, info = torch.linalg.cholesky_ex(covariance)
        if bool((info != 0).any()):
            raise ValueError("covariance: expected symmetric positive-definite (B, k, k) matrices")
        return cls(mean, scale_tril)

    @property
    def batch_size(self) -> int:
        return self.mean.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.mean.shape[1]

    @property
    def std(self) -> Tensor:  # (B, k) marginal standard deviations
        return self.scale_tril.square().sum(-1).sqrt()

    def covariance(self) -> Tensor:  # (B, k, k)
        return self.scale_tril @ self.scale_tril.transpose(-1, -2)

    def log_det_scale(self) -> Tensor:  # (B,) = 0.5 log det covariance
        return torch.diagonal(self.scale_tril, dim1=-2, dim2=-1).log().sum(-1)

    def rsample(self, eps: Tensor) -> Tensor:
        """z = mean + L eps for standard-normal eps (..., B, k); differentiable in the parameters."""
        check_noise("eps", eps, self.batch_size, self.latent_dim, self.mean.dtype)
        return self.mean + torch.einsum("bij,...bj->...bi", self.scale_tril, eps)  # (..., B, k)

    def sample(self, num_samples: int, generator: torch.Generator) -> Tensor:  # (L, B, k)
        require_positive_int("num_samples", num_samples)
        eps = standard_normal((num_samples, self.batch_size, self.latent_dim), generator, self.mean)
        return self.rsample(eps)

    def log_prob(self, z: Tensor) -> Tensor:
        """log q(z) for z (..., B, k) -> (..., B)."""
        check_noise("z", z, self.batch_size, self.latent_dim, self.mean.dtype)
        leading = z.shape[:-2]
        diff = (z - self.mean).reshape(-1, self.batch_size, self.latent_dim)  # (N, B, k)
        # Solve L y = z - mean for all N draws at once: right-hand sides stacked as (B, k, N).
        standardized = torch.linalg.solve_triangular(
            self.scale_tril, diff.permute(1, 2, 0), upper=False
        )  # (B, k, N)
        mahalanobis = standardized.square().sum(-2).transpose(0, 1)  # (N, B)
        return (
            -0.5 * mahalanobis.reshape(*leading, self.batch_size)
            - self.log_det_scale()
            - 0.5 * self.latent_dim * _LOG_2PI
        )

    def entropy(self) -> Tensor:  # (B,)
        return self.log_det_scale() + 0.5 * self.latent_dim * (1.0 + _LOG_2PI)

    def to_full_covariance(self) -> FullCovGaussian:
        return self
