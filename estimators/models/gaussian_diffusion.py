"""The forward process of a diffusion model on Gaussian data, with every distribution in closed form.

Data x₀ ~ N(μ, diag(s²)) in d dimensions; forward q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I) under a
NoiseSchedule. Since every step is linear-Gaussian and the dimensions are independent, each of the
following is a Gaussian per dimension (t ≥ 1 unless stated; ᾱ, β̃ from the schedule):

    q(x_t | x₀)          = N(√ᾱ_t x₀, (1 − ᾱ_t))                                     (t ≥ 0)
    q(x_t)               = N(m_t, V_t),  m_t = √ᾱ_t μ,  V_t = ᾱ_t s² + 1 − ᾱ_t       (t ≥ 0)
    q(x_{t−1} | x_t, x₀) = N(k₀_t x₀ + k_t x_t, β̃_t),
                           k₀_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t),  k_t = √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)
    q(x_{t−1} | x_t)     = N(a_t x_t + c_t, σ_t²),
                           a_t = √α_t V_{t−1} / V_t,  c_t = m_{t−1} − a_t m_t,  σ_t² = β_t V_{t−1} / V_t
    ∇ log q(x_t)         = −(x_t − m_t) / V_t
    Cov(x_r, x_t | x₀)   = √(ᾱ_t / ᾱ_r) (1 − ᾱ_r)                                    (r ≤ t)

Shapes: per-dimension parameters are (d,); data (..., d); a timestep argument t is an int or an
integer Tensor of any shape, and per-timestep results broadcast as (*t.shape, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models.noise_schedule import NoiseSchedule
from elbo_suite.estimators.models.normal_density import log_normal
from elbo_suite.estimators.validation import require_finite, require_float_tensor, require_positive_int, require_shape
from elbo_suite.estimators.variational.noise import standard_normal



@dataclass(frozen=True, eq=False)
class GaussianDiffusion:
    schedule: NoiseSchedule
    data_mean: Tensor  # (d,) μ; non-zero in the default models so that a dropped √ᾱ μ shows up
    data_std: Tensor  # (d,) s, one per dimension, so that a per-dimension mix-up shows up

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, NoiseSchedule):
            raise TypeError(f"GaussianDiffusion.schedule: expected a NoiseSchedule, got {type(self.schedule).__name__}")
        require_float_tensor("GaussianDiffusion.data_mean", self.data_mean)
        require_float_tensor("GaussianDiffusion.data_std", self.data_std)
        require_shape("GaussianDiffusion.data_mean", self.data_mean, (None,), "(d,)")
        require_shape("GaussianDiffusion.data_std", self.data_std, (self.data_mean.shape[0],), "(d,) with d from data_mean")
        for name, value in (("data_mean", self.data_mean), ("data_std", self.data_std)):
            if value.dtype != torch.float64:
                raise TypeError(f"GaussianDiffusion.{name}: expected dtype torch.float64, got {value.dtype}")
            require_finite(f"GaussianDiffusion.{name}", value)
        if bool((self.data_std <= 0).any()):
            raise ValueError(f"GaussianDiffusion.data_std: expected positive values, got {self.data_std.tolist()}")

    @classmethod
    def random(cls, schedule: NoiseSchedule, data_dim: int, generator: torch.Generator) -> GaussianDiffusion:
        """Seeded data: μ ~ N(0, I), s = exp(U(−1, 0.5)) per dimension."""
        require_positive_int("data_dim", data_dim)
        like = torch.empty(0, dtype=torch.float64)
        mean = standard_normal((data_dim,), generator, like)
        log_std = torch.rand(data_dim, generator=generator, dtype=torch.float64) * 1.5 - 1.0
        return cls(schedule, mean, log_std.exp())

    # ---- sizes and per-timestep gathers -----------------------------------------------------------
    @property
    def num_steps(self) -> int:  # T
        return self.schedule.num_steps

    @property
    def data_dim(self) -> int:  # d
        return self.data_mean.shape[0]

    def _timesteps(self, t: int | Tensor, lowest: int = 1) -> Tensor:
        """t as a LongTensor, checked to lie in lowest … T."""
        if isinstance(t, bool) or not isinstance(t, (int, Tensor)):
            raise TypeError(f"t: expected an int or an integer Tensor, got {type(t).__name__}")
        index = torch.as_tensor(t)
        if index.is_floating_point() or index.dtype == torch.bool:
            raise TypeError(f"t: expected integer timesteps, got dtype {index.dtype}")
        if index.numel() and (int(index.min()) < lowest or int(index.max()) > self.num_steps):
            raise ValueError(
                f"t: expected timesteps in {lowest} … T = {self.num_steps}, got values from "
                f"{int(index.min())} to {int(index.max())}"
            )
        return index.long()

    def _per_step(self, values: Tensor, t: Tensor) -> Tensor:  # (T + 1,) gathered at t -> (*t.shape, 1)
        return values[t].unsqueeze(-1)

    def _check_x(self, name: str, x: Tensor) -> None:
        require_float_tensor(name, x)
        if x.dim() < 1 or x.shape[-1] != self.data_dim:
            raise ValueError(f"{name}: expected shape (..., d) = (..., {self.data_dim}), got {tuple(x.shape)}")
        if x.dtype != torch.float64:
            raise TypeError(f"{name}: expected dtype torch.float64, got {x.dtype}")

    # ---- the data ---------------------------------------------------------------------------------
    def log_data_density(self, x0: Tensor) -> Tensor:
        """log q(x₀) = log N(x₀; μ, diag s²), (..., d) -> (...)."""
        self._check_x("x0", x0)
        return log_normal(x0, self.data_mean, self.data_std.square()).sum(-1)

    def sample_data(self, n: int, generator: torch.Generator) -> Tensor:  # (n, d)
        require_positive_int("n", n)
        return self.data_mean + self.data_std * standard_normal((n, self.data_dim), generator, self.data_mean)

    # ---- forward process --------------------------------------------------------------------------
    def forward_step(self, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t): (√α_t, β_t), each (*t.shape, 1)."""
        t = self._timesteps(t)
        return self._per_step(self.schedule.alpha.sqrt(), t), self._per_step(self.schedule.beta, t)

    def q_given_x0(self, x0: Tensor, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """q(x_t | x₀) = N(√ᾱ_t x₀, 1 − ᾱ_t): mean (broadcast of x0 (..., d) and t), variance (*t.shape, 1)."""
        self._check_x("x0", x0)
        t = self._timesteps(t, lowest=0)
        return self._per_step(self.schedule.alpha_bar.sqrt(), t) * x0, self._per_step(
            self.schedule.one_minus_alpha_bar, t
        )

    def q_sample(self, x0: Tensor, t: int | Tensor, eps: Tensor) -> Tensor:
        """x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε."""
        mean, variance = self.q_given_x0(x0, t)
        self._check_x("eps", eps)
        return mean + variance.sqrt() * eps

    def marginal(self, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """q(x_t) = N(m_t, V_t): mean and variance, each (*t.shape, d)."""
        t = self._timesteps(t, lowest=0)
        alpha_bar = self._per_step(self.schedule.alpha_bar, t)
        return alpha_bar.sqrt() * self.data_mean, alpha_bar * self.data_std.square() + self._per_step(
            self.schedule.one_minus_alpha_bar, t
        )

    def log_marginal_density(self, x_t: Tensor, t: int | Tensor) -> Tensor:
        """log q(x_t), (..., d) -> (...)."""
        self._check_x("x_t", x_t)
        mean, variance = self.marginal(t)
        return log_normal(x_t, mean, variance).sum(-1)

    def marginal_score(self, x_t: Tensor, t: int | Tensor) -> Tensor:
        """∇_{x_t} log q(x_t) = −(x_t − m_t) / V_t, (..., d)."""
        self._check_x("x_t", x_t)
        mean, variance = self.marginal(t)
        return -(x_t - mean) / variance

    def chain_covariance(self, r: int | Tensor, t: int | Tensor) -> Tensor:
        """Cov(x_r, x_t | x₀) = √(ᾱ_t / ᾱ_r)(1 − ᾱ_r) for r ≤ t, (broadcast shape, 1); the same for
        every dimension and every x₀."""
        r, t = self._timesteps(r, lowest=0), self._timesteps(t, lowest=0)
        if bool((r > t).any()):
            raise ValueError("r: expected r ≤ t (the earlier timestep first)")
        log_alpha_bar = self.schedule.log_alpha_bar
        return (0.5 * (log_alpha_bar[t] - log_alpha_bar[r])).exp().unsqueeze(-1) * self._per_step(
            self.schedule.one_minus_alpha_bar, r
        )

    # ---- posteriors ----------------------------------------------------------------------------------
    def posterior_coefficients(self, t: int | Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q(x_{t−1} | x_t, x₀) = N(k₀_t x₀ + k_t x_t, β̃_t): (k₀_t, k_t, β̃_t), each (*t.shape, 1).
        At t = 1: k₀ = 1, k = 0, β̃ = 0 (x₀ itself)."""
        t = self._timesteps(t)
        schedule = self.schedule
        one_minus = schedule.one_minus_alpha_bar
        coef_x0 = schedule.alpha_bar[t - 1].sqrt() * schedule.beta[t] / one_minus[t]
        coef_xt = schedule.alpha[t].sqrt() * one_minus[t - 1] / one_minus[t]
        return coef_x0.unsqueeze(-1), coef_xt.unsqueeze(-1), self._per_step(schedule.posterior_variance, t)

    def posterior(self, x0: Tensor, x_t: Tensor, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """q(x_{t−1} | x_t, x₀): mean (broadcast, d) and variance β̃_t (*t.shape, 1)."""
        self._check_x("x0", x0)
        self._check_x("x_t", x_t)
        coef_x0, coef_xt, variance = self.posterior_coefficients(t)
        return coef_x0 * x0 + coef_xt * x_t, variance

    def true_reverse_coefficients(self, t: int | Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q(x_{t−1} | x_t) = N(a_t x_t + c_t, σ_t²): (a_t, c_t, σ_t²), each (*t.shape, d)."""
        t = self._timesteps(t)
        mean_before, variance_before = self.marginal(t - 1)
        mean_now, variance_now = self.marginal(t)
        sqrt_alpha, beta = self.forward_step(t)
        slope = sqrt_alpha * variance_before / variance_now
        return slope, mean_before - slope * mean_now, beta * variance_before / variance_now

    def true_reverse(self, x_t: Tensor, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """q(x_{t−1} | x_t): mean (broadcast, d) and variance (*t.shape, d)."""
        self._check_x("x_t", x_t)
        slope, offset, variance = self.true_reverse_coefficients(t)
        return slope * x_t + offset, variance

    def denoiser_coefficients(self, t: int | Tensor) -> tuple[Tensor, Tensor]:
        """E[x₀ | x_t] = g_t x_t + h_t (Tweedie; linear here): (g_t, h_t), each (*t.shape, d)."""
        t = self._timesteps(t, lowest=0)
        mean_now, variance_now = self.marginal(t)
        gain = self._per_step(self.schedule.alpha_bar.sqrt(), t) * self.data_std.square() / variance_now
        return gain, self.data_mean - gain * mean_now

