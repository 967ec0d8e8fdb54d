"""Gaussian q(z|x) with diagonal covariance, one per data point, parameterised by mean and log-std."""

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
class DiagonalGaussian:
    """N(mean_b, diag(exp(2 log_std_b))) for each data point b."""

    mean: Tensor  # (B, k)
    log_std: Tensor  # (B, k)

    def __post_init__(self) -> None:
        require_float_tensor("DiagonalGaussian.mean", self.mean)
        require_float_tensor("DiagonalGaussian.log_std", self.log_std)
        require_shape("DiagonalGaussian.mean", self.mean, (None, None), "(B, k)")
        require_shape(
            "DiagonalGaussian.log_std", self.log_std, tuple(self.mean.shape), "(B, k) like mean"
        )
        require_same_dtype("DiagonalGaussian.log_std", self.log_std, "mean", self.mean)
        require_finite("DiagonalGaussian.mean", self.mean)
        require_finite("DiagonalGaussian.log_std", self.log_std)

    @property
    def batch_size(self) -> int:
        return self.mean.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.mean.shape[1]

    @property
    def std(self) -> Tensor:  # (B, k)
        return self.log_std.exp()

    @property
    def scale_tril(self) -> Tensor:  # (B, k, k)
        return torch.diag_embed(self.std)

    def covariance(self) -> Tensor:  # (B, k, k)
        return torch.diag_embed(self.std.square())

    def rsample(self, eps: Tensor) -> Tensor:
        """z = mean + std * eps for standard-normal eps (..., B, k); differentiable in the parameters."""
        check_noise("eps", eps, self.batch_size, self.latent_dim, self.mean.dtype)
        return self.mean + self.std * eps  # (..., B, k)

    def sample(self, num_samples: int, generator: torch.Generator) -> Tensor:  # (L, B, k)
        require_positive_int("num_samples", num_samples)
        eps = standard_normal((num_samples, self.batch_size, self.latent_dim), generator, self.mean)
        return self.rsample(eps)

    def log_prob(self, z: Tensor) -> Tensor:
        """log q(z) for z (..., B, k) -> (..., B)."""
        check_noise("z", z, self.batch_size, self.latent_dim, self.mean.dtype)
        standardized = (z - self.mean) / self.std  # (..., B, k)
        return (
            -0.5 * standardized.square().sum(-1)
            - self.log_std.sum(-1)
            - 0.5 * self.latent_dim * _LOG_2PI
        )

    def entropy(self) -> Tensor:  # (B,)
        return self.log_std.sum(-1) + 0.5 * self.latent_dim * (1.0 + _LOG_2PI)

    def to_full_covariance(self):
        from elbo_suite.estimators.variational.full_covariance import FullCovGaussian

        return FullCovGaussian(self.mean, self.scale_tril)
