"""The variational parameters φ of a Gaussian q over z ∈ R^k, flattened into one vector (P,).

Two parameterisations, both reparameterised as z = mean + L ε with ε ~ N(0, I):
- `MeanLogStd`:   φ = (mean (k), log_std (k)),                         L = diag(exp(log_std)), P = 2k;
- `MeanCholesky`: φ = (mean (k), log of L's diagonal (k), L's strictly lower entries
                  in row-major order (k(k-1)/2)),                                        P = 2k + k(k-1)/2.

Each supplies, in closed form and per draw, the three derivatives every estimator is built from:
- `path_vjp(eps, v)`: vᵀ ∂z/∂φ at z = z(ε, φ)             (N, k) -> (N, P);
- `score(eps)`:       ∇_φ log q_φ(z) at fixed z = z(ε, φ)   (N, P);
- `grad_z_log_prob(eps)`: ∇_z log q_φ(z) at z = z(ε, φ)      (N, k);
and `log_det_scale_grad()`: ∇_φ log|det L| (P,), since log q_φ(z(ε, φ)) = log N(ε; 0, I) − log|det L|.
Everything is written in terms of ε because every z the estimators see is z(ε, φ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_finite, require_float_tensor, require_shape
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian

_LOG_2PI = math.log(2.0 * math.pi)


def _require_phi(name: str, phi: Tensor, size: int, meaning: str) -> None:
    require_float_tensor(name, phi)
    require_shape(name, phi, (size,), meaning)
    require_finite(name, phi)


def _require_eps(eps: object, latent_dim: int, dtype: torch.dtype) -> Tensor:
    eps = require_float_tensor("eps", eps)
    if eps.dim() != 2 or eps.shape[1] != latent_dim:
        raise ValueError(f"eps: expected shape (N, k) = (N, {latent_dim}), got {tuple(eps.shape)}")
    if eps.dtype != dtype:
        raise TypeError(f"eps: expected dtype {dtype} to match phi, got {eps.dtype}")
    return eps


@dataclass(frozen=True, eq=False)
class MeanLogStd:
    """q = N(mean, diag(exp(2 log_std))), φ = (mean, log_std)."""

    phi: Tensor  # (2k,)

    def __post_init__(self) -> None:
        require_float_tensor("phi", self.phi)
        if self.phi.dim() != 1 or self.phi.numel() % 2 or self.phi.numel() == 0:
            raise ValueError(
                f"phi: expected shape (2k,) = (mean, log_std) with k ≥ 1, got {tuple(self.phi.shape)}"
            )
        require_finite("phi", self.phi)

    @classmethod
    def from_parts(cls, mean: Tensor, log_std: Tensor) -> MeanLogStd:
        require_float_tensor("mean", mean)
        require_shape("mean", mean, (None,), "(k,)")
        require_shape("log_std", log_std, tuple(mean.shape), "(k,) like mean")
        return cls(torch.cat([mean, log_std]))

    @property
    def latent_dim(self) -> int:
        return self.phi.numel() // 2

    @property
    def num_params(self) -> int:
        return self.phi.numel()

    @property
    def mean(self) -> Tensor:  # (k,)
        return self.phi[: self.latent_dim]

    @property
    def log_std(self) -> Tensor:  # (k,)
        return self.phi[self.latent_dim :]

    @property
    def std(self) -> Tensor:  # (k,)
        return self.log_std.exp()

    def param_names(self) -> list[str]:
        k = self.latent_dim
        return [f"mean[{i}]" for i in range(k)] + [f"log_std[{i}]" for i in range(k)]

    def with_phi(self, phi: Tensor) -> MeanLogStd:
        return MeanLogStd(phi)

    def distribution(self) -> DiagonalGaussian:
        """The same q as a batch of one, differentiable in φ (for closed-form ELBOs and KLs)."""
        return DiagonalGaussian(self.mean.unsqueeze(0), self.log_std.unsqueeze(0))

    def path(self, eps: Tensor) -> Tensor:  # (N, k)
        eps = _require_eps(eps, self.latent_dim, self.phi.dtype)
        return self.mean + self.std * eps

    def log_prob(self, eps: Tensor) -> Tensor:  # (N,) log q(z(ε))
        eps = _require_eps(eps, self.latent_dim, self.phi.dtype)
        return -0.5 * eps.square().sum(-1) - self.log_std.sum() - 0.5 * self.latent_dim * _LOG_2PI

    def path_vjp(self, eps: Tensor, v: Tensor) -> Tensor:  # (N, P)
        # ∂z_i/∂mean_i = 1 and ∂z_i/∂log_std_i = std_i ε_i.
        return torch.cat([v, v * self.std * eps], dim=-1)

    def score(self, eps: Tensor) -> Tensor:  # (N, P)
        # log q = -½ Σ ((z - mean)/std)² - Σ log_std: ∂/∂mean = ε/std, ∂/∂log_std = ε² - 1.
        return torch.cat([eps / self.std, eps.square() - 1.0], dim=-1)

    def grad_z_log_prob(self, eps: Tensor) -> Tensor:  # (N, k)
        return -eps / self.std

    def log_det_scale_grad(self) -> Tensor:  # (P,) ∇_φ log|det L| = ∇_φ Σ log_std
        k = self.latent_dim
        return torch.cat([self.phi.new_zeros(k), self.phi.new_ones(k)]).detach()


@dataclass(frozen=True, eq=False)
class MeanCholesky:
    """q = N(mean, L Lᵀ), φ = (mean, log diag L, strictly lower entries of L)."""

    phi: Tensor  # (2k + k(k-1)/2,)
    latent_dim: int

    def __post_init__(self) -> None:
        if isinstance(self.latent_dim, bool) or not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError(f"latent_dim: expected a positive int, got {self.latent_dim!r}")
        k = self.latent_dim
        _require_phi("phi", self.phi, 2 * k + k * (k - 1) // 2, "(2k + k(k-1)/2,)")

    @classmethod
    def from_parts(cls, mean: Tensor, scale_tril: Tensor) -> MeanCholesky:
        """From the mean (k,) and a lower-triangular L (k, k) with a positive diagonal."""
        require_float_tensor("mean", mean)
        require_shape("mean", mean, (None,), "(k,)")
        k = mean.numel()
        require_shape("scale_tril", scale_tril, (k, k), "(k, k) with k from mean")
        diagonal = torch.diagonal(scale_tril)
        if bool((diagonal <= 0).any()):
            raise ValueError(f"scale_tril: expected a positive diagonal, got {diagonal.tolist()}")
        rows, cols = torch.tril_indices(k, k, offset=-1)
        return cls(torch.cat([mean, diagonal.log(), scale_tril[rows, cols]]), k)

    @property
    def num_params(self) -> int:
        return self.phi.numel()

    @property
    def mean(self) -> Tensor:  # (k,)
        return self.phi[: self.latent_dim]

    @property
    def log_diagonal(self) -> Tensor:  # (k,)
        k = self.latent_dim
        return self.phi[k : 2 * k]

    @property
    def scale_tril(self) -> Tensor:  # (k, k)
        k = self.latent_dim
        rows, cols = torch.tril_indices(k, k, offset=-1)
        strictly_lower = self.phi.new_zeros(k, k).index_put((rows, cols), self.phi[2 * k :])
        return strictly_lower + torch.diag(self.log_diagonal.exp())

    def param_names(self) -> list[str]:
        k = self.latent_dim
        rows, cols = torch.tril_indices(k, k, offset=-1).tolist()
        return (
            [f"mean[{i}]" for i in range(k)]
            + [f"log_L[{i},{i}]" for i in range(k)]
            + [f"L[{i},{j}]" for i, j in zip(rows, cols)]
        )

    def with_phi(self, phi: Tensor) -> MeanCholesky:
        return MeanCholesky(phi, self.latent_dim)

    def distribution(self) -> FullCovGaussian:
        """The same q as a batch of one, differentiable in φ (for closed-form ELBOs and KLs)."""
        return FullCovGaussian(self.mean.unsqueeze(0), self.scale_tril.unsqueeze(0))

    def path(self, eps: Tensor) -> Tensor:  # (N, k)
        eps = _require_eps(eps, self.latent_dim, self.phi.dtype)
        return self.mean + eps @ self.scale_tril.T

    def log_prob(self, eps: Tensor) -> Tensor:  # (N,) log q(z(ε))
        eps = _require_eps(eps, self.latent_dim, self.phi.dtype)
        return (
            -0.5 * eps.square().sum(-1)
            - self.log_diagonal.sum()
            - 0.5 * self.latent_dim * _LOG_2PI
        )

    def _lower_outer(self, a: Tensor, b: Tensor) -> Tensor:  # (N, k(k-1)/2): a_i b_j for i > j
        rows, cols = torch.tril_indices(self.latent_dim, self.latent_dim, offset=-1)
        return a[:, rows] * b[:, cols]

    def path_vjp(self, eps: Tensor, v: Tensor) -> Tensor:  # (N, P)
        # z = mean + L ε: ∂z_i/∂L_ij = ε_j, and L_ii = exp(log_diagonal_i) adds a factor L_ii.
        diagonal = self.log_diagonal.exp()
        return torch.cat([v, v * diagonal * eps, self._lower_outer(v, eps)], dim=-1)

    def score(self, eps: Tensor) -> Tensor:  # (N, P)
        # With u = L⁻ᵀ ε: ∇_mean log q = u and ∇_L log q = tril(u εᵀ) - diag(1/L_ii).
        u = torch.linalg.solve_triangular(self.scale_tril.T, eps.T, upper=True).T  # (N, k)
        diagonal = self.log_diagonal.exp()
        return torch.cat([u, u * eps * diagonal - 1.0, self._lower_outer(u, eps)], dim=-1)

    def grad_z_log_prob(self, eps: Tensor) -> Tensor:  # (N, k) = -L⁻ᵀ ε
        return -torch.linalg.solve_triangular(self.scale_tril.T, eps.T, upper=True).T

    def log_det_scale_grad(self) -> Tensor:  # (P,) ∇_φ log|det L| = ∇_φ Σ log L_ii
        k = self.latent_dim
        gradient = self.phi.new_zeros(self.num_params)
        gradient[k : 2 * k] = 1.0
        return gradient.detach()


GaussianParameterisation = MeanLogStd | MeanCholesky
