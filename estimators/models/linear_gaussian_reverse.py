"""A linear-Gaussian reverse process, whose evidence log p_θ(x₀) is exact.

    p(x_T) = N(m_T, v_T),   p_θ(x_{t−1} | x_t) = N(a_t x_t + c_t, σ_t²)   (t = T … 1, per dimension)

Ancestral sampling keeps every x_t Gaussian: m_{t−1} = a_t m_t + c_t, v_{t−1} = a_t² v_t + σ_t², so
p_θ(x₀) = N(m₀, v₀) in closed form. The family holds the true reverse q(x_{t−1} | x_t) of a
GaussianDiffusion (then p_θ(x_{0:T}) = q(x_{0:T}) and the ELBO is tight), the DDPM reverse with the
optimal mean and a fixed variance β_t or β̃_t, and any linear denoiser: a network predicting ε, x₀ or
v linearly in x_t gives the mean k₀_t x̂₀ + k_t x_t, which is again a_t x_t + c_t.

Shapes: per-step parameters are (T, d) with row t − 1 holding step t; data (..., d).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models.diffusion_targets import target_from_x0
from elbo_suite.estimators.models.gaussian_diffusion import GaussianDiffusion
from elbo_suite.estimators.models.normal_density import log_normal
from elbo_suite.estimators.validation import require_finite, require_float_tensor, require_shape
from elbo_suite.estimators.variational.noise import standard_normal

REVERSE_VARIANCES = ("posterior", "beta")  # DDPM's two fixed choices: σ_t² = β̃_t or β_t


@dataclass(frozen=True, eq=False)
class LinearGaussianReverse:
    slope: Tensor  # (T, d) a_t
    offset: Tensor  # (T, d) c_t
    std: Tensor  # (T, d) σ_t > 0
    prior_mean: Tensor  # (d,) m_T of p(x_T)
    prior_std: Tensor  # (d,) √v_T of p(x_T)

    def __post_init__(self) -> None:
        for name in ("slope", "offset", "std", "prior_mean", "prior_std"):
            value = getattr(self, name)
            require_float_tensor(f"LinearGaussianReverse.{name}", value)
            if value.dtype != torch.float64:
                raise TypeError(f"LinearGaussianReverse.{name}: expected dtype torch.float64, got {value.dtype}")
        require_shape("LinearGaussianReverse.slope", self.slope, (None, None), "(T, d)")
        T, d = self.slope.shape
        for name in ("offset", "std"):
            require_shape(f"LinearGaussianReverse.{name}", getattr(self, name), (T, d), "(T, d) like slope")
        for name in ("prior_mean", "prior_std"):
            require_shape(f"LinearGaussianReverse.{name}", getattr(self, name), (d,), "(d,) with d from slope")
        for name in ("slope", "offset", "std", "prior_mean", "prior_std"):
            require_finite(f"LinearGaussianReverse.{name}", getattr(self, name))
        for name in ("std", "prior_std"):
            if bool((getattr(self, name) <= 0).any()):
                raise ValueError(f"LinearGaussianReverse.{name}: expected positive standard deviations")

    # ---- the family's members ---------------------------------------------------------------------
    @classmethod
    def true_reverse(cls, process: GaussianDiffusion) -> LinearGaussianReverse:
        """p_θ(x_{t−1} | x_t) = q(x_{t−1} | x_t) and p(x_T) = q(x_T): the ELBO is log q(x₀), exactly."""
        slope, offset, variance = process.true_reverse_coefficients(_all_steps(process))
        prior_mean, prior_variance = process.marginal(process.num_steps)
        return cls(slope, offset, variance.sqrt(), prior_mean, prior_variance.sqrt())

    @classmethod
    def ddpm(cls, process: GaussianDiffusion, variance: str = "posterior", standard_prior: bool = True) -> LinearGaussianReverse:
        """The DDPM reverse with the optimal (true-reverse) mean and a fixed variance: β̃_t
        ("posterior"; at t = 1, where β̃_1 = 0, β̃_2 as improved-diffusion clips it) or β_t ("beta").
        The prior is N(0, I) (standard_prior) or q(x_T)."""
        truth = cls.true_reverse(process)
        schedule = process.schedule
        if variance == "posterior":
            tilde = schedule.posterior_variance[1:].clone()  # (T,)
            tilde[0] = tilde[1] if process.num_steps > 1 else schedule.betas[0]
            step_variance = tilde
        elif variance == "beta":
            step_variance = schedule.betas
        else:
            raise ValueError(f"variance: expected one of {', '.join(REVERSE_VARIANCES)}, got {variance!r}")
        std = step_variance.sqrt().unsqueeze(-1).expand_as(truth.slope).contiguous()
        if standard_prior:
            return cls(truth.slope, truth.offset, std, torch.zeros_like(truth.prior_mean), torch.ones_like(truth.prior_std))
        return cls(truth.slope, truth.offset, std, truth.prior_mean, truth.prior_std)

    def perturbed(self, process: GaussianDiffusion, distance: float, generator: torch.Generator) -> LinearGaussianReverse:
        """A reverse moved `distance` from this one, in units that keep every step's KL comparable:
        c_t by distance·σ_t·N(0, 1), a_t by distance·σ_t/√V_t·N(0, 1) (V_t the variance of q(x_t)),
        log σ_t by 0.5·distance·N(0, 1), and the prior likewise."""
        shape = tuple(self.slope.shape)
        _, marginal_variance = process.marginal(_all_steps(process))  # (T, d)

        def noise(*size: int) -> Tensor:
            return standard_normal(size, generator, self.slope)

        return LinearGaussianReverse(
            self.slope + distance * self.std / marginal_variance.sqrt() * noise(*shape),
            self.offset + distance * self.std * noise(*shape),
            self.std * (0.5 * distance * noise(*shape)).exp(),
            self.prior_mean + distance * self.prior_std * noise(shape[1]),
            self.prior_std * (0.5 * distance * noise(shape[1])).exp(),
        )

    # ---- sizes and gathers --------------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return self.slope.shape[0]

    @property
    def data_dim(self) -> int:
        return self.slope.shape[1]

    def require_matches(self, process: GaussianDiffusion) -> None:
        if (self.num_steps, self.data_dim) != (process.num_steps, process.data_dim):
            raise ValueError(
                f"reverse: expected T = {process.num_steps} steps and d = {process.data_dim} to match the "
                f"diffusion, got T = {self.num_steps}, d = {self.data_dim}"
            )

    def step(self, t: int | Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(a_t, c_t, σ_t²), each (*t.shape, d)."""
        index = torch.as_tensor(t)
        if index.is_floating_point() or index.dtype == torch.bool:
            raise TypeError(f"t: expected integer timesteps, got dtype {index.dtype}")
        if index.numel() and (int(index.min()) < 1 or int(index.max()) > self.num_steps):
            raise ValueError(
                f"t: expected timesteps in 1 … T = {self.num_steps}, got values from {int(index.min())} to {int(index.max())}"
            )
        row = index.long() - 1
        return self.slope[row], self.offset[row], self.std[row].square()

    def mean(self, x_t: Tensor, t: int | Tensor) -> Tensor:  # (..., d) = a_t x_t + c_t
        slope, offset, _ = self.step(t)
        return slope * x_t + offset

    # ---- densities ----------------------------------------------------------------------------------
    def log_prior(self, x_T: Tensor) -> Tensor:  # (..., d) -> (...)
        return log_normal(x_T, self.prior_mean, self.prior_std.square()).sum(-1)

    def log_step(self, x_previous: Tensor, x_t: Tensor, t: int | Tensor) -> Tensor:
        """log p_θ(x_{t−1} | x_t), (..., d) -> (...)."""
        slope, offset, variance = self.step(t)
        return log_normal(x_previous, slope * x_t + offset, variance).sum(-1)

    def log_joint(self, x0: Tensor, chain: Tensor) -> Tensor:
        """log p_θ(x_{0:T}) for x0 (..., d) and chain (T, ..., d) with chain[t − 1] = x_t -> (...)."""
        if chain.dim() < 2 or chain.shape[0] != self.num_steps or chain.shape[-1] != self.data_dim:
            raise ValueError(
                f"chain: expected shape (T, ..., d) = ({self.num_steps}, ..., {self.data_dim}), got {tuple(chain.shape)}"
            )
        previous = torch.cat([x0.expand_as(chain[:1]), chain[:-1]])  # (T, ..., d): x_{t−1}
        steps = torch.arange(1, self.num_steps + 1).reshape(-1, *([1] * (chain.dim() - 1)))  # (T, 1, …, 1)
        slope, offset, variance = self.step(steps)
        log_steps = log_normal(previous, slope * chain + offset, variance).sum(-1)  # (T, ...)
        return self.log_prior(chain[-1]) + log_steps.sum(0)

    def marginal_moments(self) -> tuple[Tensor, Tensor]:
        """Mean and variance of p_θ(x_t) for t = 0 … T, each (T + 1, d), by ancestral recursion."""
        means, variances = [self.prior_mean], [self.prior_std.square()]
        for row in range(self.num_steps - 1, -1, -1):
            means.append(self.slope[row] * means[-1] + self.offset[row])
            variances.append(self.slope[row].square() * variances[-1] + self.std[row].square())
        return torch.stack(means[::-1]), torch.stack(variances[::-1])

    def log_marginal(self, x0: Tensor) -> Tensor:
        """Exact log p_θ(x₀) = log N(x₀; m₀, v₀), (..., d) -> (...)."""
        means, variances = self.marginal_moments()
        return log_normal(x0, means[0], variances[0]).sum(-1)

    # ---- what a network in this family predicts -------------------------------------------------------
    def predict(self, process: GaussianDiffusion, x_t: Tensor, t: int | Tensor, target: str) -> Tensor:
        """The prediction of `target` ("eps", "x0", "v", "score") that gives this reverse mean through
        the posterior mean μ_θ = k₀_t x̂₀ + k_t x_t, (..., d)."""
        coef_x0, coef_xt, _ = process.posterior_coefficients(t)
        x0_hat = (self.mean(x_t, t) - coef_xt * x_t) / coef_x0
        alpha_bar = process.schedule.alpha_bar[torch.as_tensor(t).long()].unsqueeze(-1)
        return target_from_x0(target, x_t, x0_hat, alpha_bar)


def _all_steps(process: GaussianDiffusion) -> Tensor:  # (T,) = 1 … T
    return torch.arange(1, process.num_steps + 1)

