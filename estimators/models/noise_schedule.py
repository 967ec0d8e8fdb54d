"""Noise schedules of a diffusion model: β_1 … β_T, and every quantity derived from them, in float64.

Timesteps follow the papers: t = 1 … T, with t = 0 the clean data. Every per-timestep tensor of a
schedule has T + 1 entries and is indexed by t directly (`schedule.alpha_bar[t]` is ᾱ_t), with the
t = 0 entry being the clean data's (β_0 = 0, α_0 = ᾱ_0 = 1, SNR_0 = ∞). `schedule.betas` is the
(T,) layout of diffusers and improved-diffusion, where betas[i] is β_{i+1}.

Constructors, by the names the common codebases use (SCHEDULES):
- linear: β linear from beta_start to beta_end (DDPM; diffusers "linear");
- improved_linear: the same with both ends scaled by 1000 / T (improved-diffusion "linear"), so
  that every T ends near the same ᾱ_T;
- scaled_linear: √β linear (diffusers "scaled_linear", latent diffusion);
- cosine: ᾱ(t) = f(t) / f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), β_t = min(1 − ᾱ_t/ᾱ_{t−1},
  max_beta) (Nichol & Dhariwal 2021; diffusers "squaredcos_cap_v2").

Respacing (`respace`) keeps a subset of the timesteps and re-derives β from ᾱ at the kept steps,
β'_i = 1 − ᾱ_{τ_i} / ᾱ_{τ_{i−1}} (τ_0 = 0), as improved-diffusion's respacing does and as diffusers'
DDIM step does implicitly; `spaced_timesteps` chooses the kept steps as diffusers' timestep spacings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_finite, require_float_tensor, require_positive_int

COSINE_OFFSET = 0.008  # s of the cosine schedule: keeps β_1 from being vanishingly small
MAX_BETA = 0.999  # the cosine schedule's cap on β_t, which keeps β_T < 1 (ᾱ_T > 0)


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    betas: Tensor  # (T,) β_1 … β_T, float64, each in (0, 1); betas[t − 1] = β_t
    name: str = "custom"  # how it was made, e.g. "cosine T=1000" or "linear T=1000 respaced to 50"
    timesteps: tuple[int, ...] | None = None  # respaced: the original timestep τ_i of each step i

    def __post_init__(self) -> None:
        require_float_tensor("NoiseSchedule.betas", self.betas)
        if self.betas.dim() != 1 or self.betas.shape[0] < 1:
            raise ValueError(f"NoiseSchedule.betas: expected shape (T,) with T ≥ 1, got {tuple(self.betas.shape)}")
        if self.betas.dtype != torch.float64:
            raise TypeError(f"NoiseSchedule.betas: expected dtype torch.float64, got {self.betas.dtype}")
        require_finite("NoiseSchedule.betas", self.betas)
        outside = (self.betas <= 0) | (self.betas >= 1)
        if bool(outside.any()):
            first = int(outside.nonzero()[0])
            raise ValueError(
                f"NoiseSchedule.betas: expected every β_t in (0, 1), got β_{first + 1} = {float(self.betas[first])!r}"
            )
        if self.timesteps is not None and len(self.timesteps) != self.betas.shape[0]:
            raise ValueError(
                f"NoiseSchedule.timesteps: expected one original timestep per step ({self.betas.shape[0]}), "
                f"got {len(self.timesteps)}"
            )

    @property
    def num_steps(self) -> int:  # T
        return self.betas.shape[0]

    @property
    def beta(self) -> Tensor:  # (T + 1,) β_t, β_0 = 0
        return torch.cat([self.betas.new_zeros(1), self.betas])

    @property
    def alpha(self) -> Tensor:  # (T + 1,) α_t = 1 − β_t
        return 1.0 - self.beta

    @property
    def log_alpha_bar(self) -> Tensor:  # (T + 1,) log ᾱ_t = Σ_{s ≤ t} log(1 − β_s), exact near 0
        return torch.cat([self.betas.new_zeros(1), torch.cumsum(torch.log1p(-self.betas), 0)])

    @property
    def alpha_bar(self) -> Tensor:  # (T + 1,) ᾱ_t = Π_{s ≤ t} α_s
        return self.log_alpha_bar.exp()

    @property
    def one_minus_alpha_bar(self) -> Tensor:  # (T + 1,) 1 − ᾱ_t without cancellation at small t
        return -torch.expm1(self.log_alpha_bar)

    @property
    def snr(self) -> Tensor:  # (T + 1,) ᾱ_t / (1 − ᾱ_t); SNR_0 = ∞
        return self.alpha_bar / self.one_minus_alpha_bar

    @property
    def posterior_variance(self) -> Tensor:  # (T + 1,) β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t); β̃_0 = β̃_1 = 0
        one_minus = self.one_minus_alpha_bar
        tilde = self.betas * one_minus[:-1] / one_minus[1:]
        return torch.cat([self.betas.new_zeros(1), tilde])


def _require_steps(num_steps: object) -> int:
    return require_positive_int("num_steps", num_steps)


def _require_beta_range(beta_start: float, beta_end: float) -> None:
    for name, value in (("beta_start", beta_start), ("beta_end", beta_end)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
            raise ValueError(f"{name}: expected a float in (0, 1), got {value!r}")


def linear_schedule(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> NoiseSchedule:
    """β_t linear in t from beta_start (t = 1) to beta_end (t = T), as in DDPM."""
    T = _require_steps(num_steps)
    _require_beta_range(beta_start, beta_end)
    betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    return NoiseSchedule(betas, f"linear T={T}")


def improved_linear_schedule(num_steps: int) -> NoiseSchedule:
    """improved-diffusion's "linear": DDPM's 1e-4 … 0.02 at T = 1000, both ends scaled by 1000 / T."""
    T = _require_steps(num_steps)
    scale = 1000.0 / T
    if 0.02 * scale >= 1.0:
        raise ValueError(f"num_steps: expected T ≥ 21 for improved_linear (β_T = 20 / T < 1), got {T}")
    schedule = linear_schedule(T, 1e-4 * scale, 0.02 * scale)
    return NoiseSchedule(schedule.betas, f"improved_linear T={T}")


def scaled_linear_schedule(num_steps: int, beta_start: float = 0.00085, beta_end: float = 0.012) -> NoiseSchedule:
    """√β_t linear in t (latent diffusion's schedule)."""
    T = _require_steps(num_steps)
    _require_beta_range(beta_start, beta_end)
    betas = torch.linspace(math.sqrt(beta_start), math.sqrt(beta_end), T, dtype=torch.float64).square()
    return NoiseSchedule(betas, f"scaled_linear T={T}")


def cosine_schedule(num_steps: int, offset: float = COSINE_OFFSET, max_beta: float = MAX_BETA) -> NoiseSchedule:
    """β_t = min(1 − f(t/T) / f((t − 1)/T), max_beta), f(u) = cos²((u + s)/(1 + s) · π/2)."""
    T = _require_steps(num_steps)
    if not 0.0 <= offset < 1.0:
        raise ValueError(f"offset: expected s in [0, 1), got {offset!r}")
    if not 0.0 < max_beta < 1.0:
        raise ValueError(f"max_beta: expected a float in (0, 1), got {max_beta!r}")
    u = torch.arange(T + 1, dtype=torch.float64) / T
    log_f = 2.0 * torch.log(torch.cos((u + offset) / (1.0 + offset) * (math.pi / 2)).clamp_min(0.0))
    ratio = torch.exp(log_f[1:] - log_f[:-1])  # f(t/T) / f((t−1)/T); 0 at t = T when s = 0
    betas = torch.clamp(1.0 - ratio, max=max_beta)
    return NoiseSchedule(betas, f"cosine T={T}")


SCHEDULES: dict[str, Callable[[int], NoiseSchedule]] = {
    "linear": linear_schedule,
    "improved_linear": improved_linear_schedule,
    "scaled_linear": scaled_linear_schedule,
    "cosine": cosine_schedule,
}


def make_schedule(name: str, num_steps: int) -> NoiseSchedule:
    """The schedule called `name` in SCHEDULES, at T = num_steps, with its default parameters."""
    if name not in SCHEDULES:
        raise ValueError(f"name: expected one of {', '.join(SCHEDULES)}, got {name!r}")
    return SCHEDULES[name](num_steps)


def respace(schedule: NoiseSchedule, timesteps: Sequence[int]) -> NoiseSchedule:
    """The schedule restricted to the kept timesteps τ_1 < … < τ_N (1-based, in 1 … T):
    ᾱ'_i = ᾱ_{τ_i}, hence β'_i = 1 − ᾱ_{τ_i} / ᾱ_{τ_{i−1}} with ᾱ_{τ_0} = ᾱ_0 = 1.

    The common bug this guards against is taking β'_i = β_{τ_i} (the full schedule's β at the kept
    step), which leaves ᾱ'_N far above ᾱ_{τ_N}."""
    kept = _require_timesteps(timesteps, schedule.num_steps)
    log_alpha_bar = schedule.log_alpha_bar[list(kept)]  # (N,)
    previous = torch.cat([log_alpha_bar.new_zeros(1), log_alpha_bar[:-1]])
    betas = -torch.expm1(log_alpha_bar - previous)
    original = kept if schedule.timesteps is None else tuple(schedule.timesteps[t - 1] for t in kept)
    return NoiseSchedule(betas, f"{schedule.name} respaced to {len(kept)}", original)


def _require_timesteps(timesteps: Sequence[int], num_steps: int) -> tuple[int, ...]:
    if isinstance(timesteps, Tensor):
        timesteps = timesteps.tolist()
    kept = tuple(timesteps)
    if not kept or not all(isinstance(t, int) and not isinstance(t, bool) for t in kept):
        raise ValueError(f"timesteps: expected a non-empty sequence of ints, got {timesteps!r}")
    if any(b <= a for a, b in zip(kept, kept[1:])) or kept[0] < 1 or kept[-1] > num_steps:
        raise ValueError(
            f"timesteps: expected strictly increasing timesteps in 1 … {num_steps}, got {list(kept)[:8]}"
            + ("…" if len(kept) > 8 else "")
        )
    return kept


SPACINGS = ("leading", "trailing", "linspace")


def spaced_timesteps(num_steps: int, num_kept: int, spacing: str = "leading", steps_offset: int = 0) -> tuple[int, ...]:
    """The timesteps a sampler with `num_kept` steps visits out of T = num_steps, ascending and
    1-based, by diffusers' `timestep_spacing` rules (stated there 0-based; here shifted by one):
    - leading: 0, r, 2r, … with r = T // N (plus steps_offset);
    - trailing: round(T − k·T/N) − 1 for k = 0 … N − 1, so T − 1 (0-based) is always kept;
    - linspace: round(linspace(0, T − 1, N)), half to even.
    When N does not divide T the leading rule stops short of T and the others are uneven."""
    T = _require_steps(num_steps)
    N = require_positive_int("num_kept", num_kept)
    if N > T:
        raise ValueError(f"num_kept: expected at most T = {T} kept steps, got {N}")
    if spacing == "leading":
        zero_based = [k * (T // N) + steps_offset for k in range(N)]
    elif spacing == "trailing":
        zero_based = [round(T - k * T / N) - 1 for k in range(N)]
    elif spacing == "linspace":
        zero_based = [round(k * (T - 1) / (N - 1)) if N > 1 else 0 for k in range(N)]
    else:
        raise ValueError(f"spacing: expected one of {', '.join(SPACINGS)}, got {spacing!r}")
    return _require_timesteps(sorted(t + 1 for t in zero_based), T)
