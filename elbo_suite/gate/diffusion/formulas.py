"""The exact formulas of Gaussian diffusion (Ho et al. 2020; Nichol & Dhariwal 2021; Song et al.
2021; Salimans & Ho 2022), evaluated in float64 on `Approx` values so that each comes with the
rounding error a correct implementation may have (see `approx`).

Shapes: x_start, x_t, eps, ... are (B, ...) tensors; per-row schedule coefficients are (B,) and are
viewed as (B, 1, ..., 1) against them. A step goes from t to t_prev (t_prev < t; −1 is the data);
on the full chain t_prev = t − 1, on a strided one β_t is replaced by 1 − ᾱ_t/ᾱ_{t_prev}.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.gate.diffusion.approx import Approx

PREDICTIONS = ("epsilon", "sample", "v_prediction")  # what the network outputs, in diffusers' words
VARIANCES = ("fixed_small", "fixed_large", "learned_range", "learned")


@dataclass(frozen=True)
class Schedule:
    """ᾱ_t of a β table, with the error bound of computing ∏(1 − β_s) in the tables' precision."""

    betas: Tensor  # (T,) float64: the exact β_t (a float32 table's values, widened)
    alpha_bar: Approx  # (T,)
    final_alpha_bar: float = 1.0  # ᾱ of "timestep −1": 1 (the data) unless a scheduler says otherwise

    @classmethod
    def from_betas(cls, betas: Tensor, unit: float, final_alpha_bar: float | None = None) -> Schedule:
        betas = betas.detach().to(torch.float64).reshape(-1)
        alpha_bar = torch.cumprod(1 - betas, dim=0)
        # One rounding for each 1 − β_s and one for each product: 2(t + 1) units, relative.
        steps = torch.arange(1, betas.shape[0] + 1, dtype=torch.float64)
        approx = Approx(alpha_bar, alpha_bar * 2 * steps * unit, unit)
        final = 1.0 if final_alpha_bar is None else float(final_alpha_bar)
        return cls(betas, approx, final)

    @property
    def num_timesteps(self) -> int:
        return int(self.betas.shape[0])

    def at(self, t: Tensor) -> Approx:
        """ᾱ at the (B,) timesteps t; −1 gives the final ᾱ (exact)."""
        t = t.to(torch.long)
        safe = t.clamp_min(0)
        value = torch.where(t >= 0, self.alpha_bar.value[safe], torch.full_like(safe, self.final_alpha_bar, dtype=torch.float64))
        error = torch.where(t >= 0, self.alpha_bar.error[safe], torch.zeros_like(value))
        return Approx(value, error, self.alpha_bar.unit)


@dataclass(frozen=True)
class Step:
    """The schedule quantities of one step t → t_prev, per row, viewed against (B, ...) tensors."""

    alpha_bar: Approx  # ᾱ_t
    alpha_bar_prev: Approx  # ᾱ_{t_prev}
    final: Tensor  # (B, 1, ..., 1) bool: t_prev is the data (no noise is added)

    @classmethod
    def of(cls, schedule: Schedule, t: Tensor, t_prev: Tensor, ndim: int) -> Step:
        final = (t_prev < 0).reshape((-1,) + (1,) * (ndim - 1))
        return cls(schedule.at(t).view_rows(ndim), schedule.at(t_prev).view_rows(ndim), final)

    @property
    def beta(self) -> Approx:  # β of this step: 1 − ᾱ_t/ᾱ_{t_prev}
        return 1.0 - self.alpha_bar / self.alpha_bar_prev

    @property
    def posterior_variance(self) -> Approx:  # β̃ = β (1 − ᾱ_{t_prev}) / (1 − ᾱ_t)
        return (1.0 - self.alpha_bar_prev) / (1.0 - self.alpha_bar) * self.beta

    @property
    def posterior_coefficients(self) -> tuple[Approx, Approx]:
        """(coef_start, coef_t) of the posterior mean coef_start · x₀ + coef_t · x_t."""
        one_minus = 1.0 - self.alpha_bar
        coef_start = self.alpha_bar_prev.sqrt() * self.beta / one_minus
        coef_t = (self.alpha_bar / self.alpha_bar_prev).sqrt() * (1.0 - self.alpha_bar_prev) / one_minus
        return coef_start, coef_t

    def posterior_mean(self, x_start: Approx, x_t: Approx) -> Approx:
        coef_start, coef_t = self.posterior_coefficients
        return coef_start * x_start + coef_t * x_t


# -- q(x_t | x_0) and the conversions between ε, x₀ and v (alpha_bar viewed per row) ----------------
def q_sample(alpha_bar: Approx, x_start: Approx, noise: Approx) -> Approx:
    return alpha_bar.sqrt() * x_start + (1.0 - alpha_bar).sqrt() * noise


def x_start_from_eps(alpha_bar: Approx, x_t: Approx, eps: Approx) -> Approx:
    return (x_t - (1.0 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def eps_from_x_start(alpha_bar: Approx, x_t: Approx, x_start: Approx) -> Approx:
    return (x_t - alpha_bar.sqrt() * x_start) / (1.0 - alpha_bar).sqrt()


def velocity(alpha_bar: Approx, x_start: Approx, eps: Approx) -> Approx:
    return alpha_bar.sqrt() * eps - (1.0 - alpha_bar).sqrt() * x_start


def x_start_from_v(alpha_bar: Approx, x_t: Approx, v: Approx) -> Approx:
    return alpha_bar.sqrt() * x_t - (1.0 - alpha_bar).sqrt() * v


def eps_from_v(alpha_bar: Approx, x_t: Approx, v: Approx) -> Approx:
    return alpha_bar.sqrt() * v + (1.0 - alpha_bar).sqrt() * x_t


def x_start_from_x_prev(step: Step, x_t: Approx, x_prev: Approx) -> Approx:
    coef_start, coef_t = step.posterior_coefficients
    return (x_prev - coef_t * x_t) / coef_start


def normal_kl(mean1: Approx, logvar1: Approx, mean2: Approx, logvar2: Approx) -> Approx:
    """KL(N(mean1, e^logvar1) ‖ N(mean2, e^logvar2)), elementwise, in nats."""
    diff = mean1 - mean2
    return 0.5 * (-1.0 + logvar2 - logvar1 + (logvar1 - logvar2).exp() + diff * diff * (-logvar2).exp())


# -- the reverse step -------------------------------------------------------------------------------
def predicted_x_start_and_eps(prediction: str, alpha_bar: Approx, x_t: Approx, output: Approx) -> tuple[Approx, Approx]:
    """(x̂₀, ε̂) from the network output, by what it predicts."""
    if prediction == "epsilon":
        return x_start_from_eps(alpha_bar, x_t, output), output
    if prediction == "sample":
        return output, eps_from_x_start(alpha_bar, x_t, output)
    if prediction == "v_prediction":
        return x_start_from_v(alpha_bar, x_t, output), eps_from_v(alpha_bar, x_t, output)
    raise ValueError(f"prediction: expected one of {PREDICTIONS}, got {prediction!r}")


def clip(x: Approx, clip_range: float | None) -> Approx:
    return x if clip_range is None else x.clamp(-clip_range, clip_range)


def step_log_variance(variance: str, step: Step, var_values: Approx | None) -> Approx:
    """log σ² of p(x_{t_prev} | x_t); away from the final step, where every convention agrees."""
    log_small = step.posterior_variance.log()
    log_large = step.beta.log()
    if variance == "fixed_small":
        return log_small
    if variance == "fixed_large":
        return log_large
    if var_values is None:
        raise ValueError(f"variance {variance!r} needs the network's variance output")
    if variance == "learned_range":  # improved DDPM: v log β + (1 − v) log β̃, v = (output + 1)/2
        frac = (var_values + 1.0) * 0.5
        return frac * log_large + (1.0 - frac) * log_small
    if variance == "learned":  # the network outputs log σ² itself
        return var_values
    raise ValueError(f"variance: expected one of {VARIANCES}, got {variance!r}")


@dataclass(frozen=True)
class StepOutcome:
    sample: Approx  # x_{t_prev}
    pred_x_start: Approx  # x̂₀ after clipping
    mean: Approx
    log_variance: Approx | None  # None for DDIM (its σ is in the sample)


def ddpm_step(
    step: Step, prediction: str, variance: str, x_t: Approx, output: Approx, var_values: Approx | None,
    noise: Approx, clip_range: float | None,
) -> StepOutcome:
    x_start, _ = predicted_x_start_and_eps(prediction, step.alpha_bar, x_t, output)
    x_start = clip(x_start, clip_range)
    mean = step.posterior_mean(x_start, x_t)
    log_variance = step_log_variance(variance, step, var_values)
    # No noise at the last step (to the data): Ho et al. 2020, Algorithm 2.
    std = (0.5 * log_variance).exp()
    std = Approx(torch.where(step.final, 0.0, std.value), torch.where(step.final, 0.0, std.error), std.unit)
    return StepOutcome(mean + std * noise, x_start, mean, log_variance)


def ddim_step(
    step: Step, prediction: str, eta: float, x_t: Approx, output: Approx, noise: Approx,
    clip_range: float | None, eps_from_clipped: bool,
) -> StepOutcome:
    """Song et al. 2021, eq. (12) with σ_t(η) of eq. (16)."""
    x_start, eps = predicted_x_start_and_eps(prediction, step.alpha_bar, x_t, output)
    x_start = clip(x_start, clip_range)
    if eps_from_clipped:
        eps = eps_from_x_start(step.alpha_bar, x_t, x_start)
    sigma = eta * step.posterior_variance.sqrt()  # σ_t(η)² = η² β̃
    direction = (1.0 - step.alpha_bar_prev - sigma * sigma).sqrt() * eps
    mean = step.alpha_bar_prev.sqrt() * x_start + direction
    return StepOutcome(mean + sigma * noise, x_start, mean, None)
