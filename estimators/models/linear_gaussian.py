"""Linear-Gaussian latent variable model: z ~ N(0, I_k), x | z ~ N(W z + b, s² I_d).

Everything is exact: log p(x) = log N(x; b, W Wᵀ + s² I), p(z|x) = N(Σ Wᵀ(x − b)/s², Σ) with
Σ = (I + WᵀW/s²)⁻¹, and for a Gaussian q the ELBO splits in closed form into
reconstruction E_q[log p(x|z)] minus prior matching KL(q‖N(0, I)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.kl import kl_to_standard_normal
from elbo_suite.estimators.validation import (
    require_finite,
    require_float_tensor,
    require_positive_int,
    require_same_dtype,
    require_shape,
)
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ
from elbo_suite.estimators.variational.noise import check_noise, standard_normal

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True, eq=False)
class LinearGaussianModel:
    W: Tensor  # (d, k) loading matrix
    b: Tensor  # (d,) offset; non-zero in every default model so that a dropped b shows up
    noise_std: float  # s, the observation noise standard deviation

    def __post_init__(self) -> None:
        require_float_tensor("LinearGaussianModel.W", self.W)
        require_float_tensor("LinearGaussianModel.b", self.b)
        require_shape("LinearGaussianModel.W", self.W, (None, None), "(d, k)")
        require_shape("LinearGaussianModel.b", self.b, (self.W.shape[0],), "(d,) with d from W")
        require_same_dtype("LinearGaussianModel.b", self.b, "W", self.W)
        require_finite("LinearGaussianModel.W", self.W)
        require_finite("LinearGaussianModel.b", self.b)
        s = self.noise_std
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s <= 0:
            raise ValueError(
                f"LinearGaussianModel.noise_std: expected a finite positive float, got {s!r}"
            )

    @classmethod
    def random(
        cls,
        latent_dim: int,
        data_dim: int,
        generator: torch.Generator,
        noise_std: float = 0.5,
        dtype: torch.dtype = torch.float64,
    ) -> LinearGaussianModel:
        """A seeded model with W entries N(0, 1/k) (so Var x_i ≈ 1 + s²) and b ~ N(0, I)."""
        require_positive_int("latent_dim", latent_dim)
        require_positive_int("data_dim", data_dim)
        like = torch.empty(0, dtype=dtype)
        W = standard_normal((data_dim, latent_dim), generator, like) / math.sqrt(latent_dim)
        b = standard_normal((data_dim,), generator, like)
        return cls(W, b, float(noise_std))

    @property
    def latent_dim(self) -> int:
        return self.W.shape[1]

    @property
    def data_dim(self) -> int:
        return self.W.shape[0]

    def _check_x(self, x: Tensor) -> None:
        require_float_tensor("x", x)
        require_shape("x", x, (None, self.data_dim), "(B, d)")
        require_same_dtype("x", x, "the model's W", self.W)
        require_finite("x", x)

    def marginal_covariance(self) -> Tensor:  # (d, d) = W Wᵀ + s² I
        identity = torch.eye(self.data_dim, dtype=self.W.dtype, device=self.W.device)
        return self.W @ self.W.T + self.noise_std**2 * identity

    def log_prior(self, z: Tensor) -> Tensor:
        """log N(z; 0, I) for z (..., k) -> (...)."""
        require_float_tensor("z", z)
        if z.dim() < 1 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z: expected shape (..., k) = (..., {self.latent_dim}), got {tuple(z.shape)}")
        return -0.5 * z.square().sum(-1) - 0.5 * self.latent_dim * _LOG_2PI

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log N(x; W z + b, s² I) for x (B, d), z (..., B, k) -> (..., B)."""
        self._check_x(x)
        check_noise("z", z, x.shape[0], self.latent_dim, self.W.dtype)
        residual = (x - self.b) - z @ self.W.T  # (..., B, d); x − b once per data point
        s = self.noise_std
        return -0.5 * torch.linalg.vecdot(residual, residual) / s**2 - self.data_dim * (
            math.log(s) + 0.5 * _LOG_2PI
        )

    def log_joint(self, x: Tensor, z: Tensor) -> Tensor:  # (..., B)
        return self.log_likelihood(x, z) + self.log_prior(z)

    def log_marginal(self, x: Tensor) -> Tensor:
        """Exact log p(x) = log N(x; b, W Wᵀ + s² I) for x (B, d) -> (B,)."""
        self._check_x(x)
        cholesky = torch.linalg.cholesky(self.marginal_covariance())  # (d, d)
        whitened = torch.linalg.solve_triangular(cholesky, (x - self.b).T, upper=False)  # (d, B)
        half_log_det = torch.diagonal(cholesky).log().sum()
        return -0.5 * whitened.square().sum(0) - half_log_det - 0.5 * self.data_dim * _LOG_2PI

    def posterior(self, x: Tensor) -> FullCovGaussian:
        """Exact p(z|x), one full-covariance Gaussian per row of x (B, d)."""
        self._check_x(x)
        identity = torch.eye(self.latent_dim, dtype=self.W.dtype, device=self.W.device)
        precision = identity + self.W.T @ self.W / self.noise_std**2  # (k, k)
        covariance = torch.cholesky_inverse(torch.linalg.cholesky(precision))  # (k, k)
        covariance = 0.5 * (covariance + covariance.T)
        mean = (x - self.b) @ self.W @ covariance / self.noise_std**2  # (B, k); Σ symmetric
        scale_tril = torch.linalg.cholesky(covariance).expand(x.shape[0], -1, -1)  # (B, k, k)
        return FullCovGaussian(mean, scale_tril.contiguous())

    def reconstruction(self, x: Tensor, q: GaussianQ) -> Tensor:
        """E_q[log p(x|z)] in closed form: the residual at the q mean plus tr(W Σq Wᵀ), (B,)."""
        self._check_x(x)
        self._check_q(q, x)
        residual = x - (q.mean @ self.W.T + self.b)  # (B, d)
        if isinstance(q, DiagonalGaussian):
            spread = q.std.square() @ self.W.square().sum(0)  # (B,) = Σ_j σ_j² ‖W_:j‖²
        else:
            spread = torch.einsum("dk,bkj->bdj", self.W, q.scale_tril).square().sum((-2, -1))
        s = self.noise_std
        return -0.5 * (residual.square().sum(-1) + spread) / s**2 - self.data_dim * (
            math.log(s) + 0.5 * _LOG_2PI
        )

    def prior_matching(self, q: GaussianQ) -> Tensor:  # (B,) = KL(q‖N(0, I))
        if q.latent_dim != self.latent_dim:
            raise ValueError(f"q: expected latent dimension k = {self.latent_dim}, got {q.latent_dim}")
        return kl_to_standard_normal(q)

    def elbo(self, x: Tensor, q: GaussianQ) -> Tensor:  # (B,)
        """Closed-form ELBO = reconstruction − prior matching."""
        return self.reconstruction(x, q) - self.prior_matching(q)

    def sample_data(self, n: int, generator: torch.Generator) -> Tensor:  # (n, d)
        require_positive_int("n", n)
        z = standard_normal((n, self.latent_dim), generator, self.W)
        noise = standard_normal((n, self.data_dim), generator, self.W)
        return z @ self.W.T + self.b + self.noise_std * noise

    def _check_q(self, q: object, x: Tensor) -> None:
        if not isinstance(q, (DiagonalGaussian, FullCovGaussian)):
            raise TypeError(f"q: expected DiagonalGaussian or FullCovGaussian, got {type(q).__name__}")
        expected = (x.shape[0], self.latent_dim)
        if tuple(q.mean.shape) != expected:
            raise ValueError(
                f"q: expected (B, k) = {expected} to match x and the model, got {tuple(q.mean.shape)}"
            )
