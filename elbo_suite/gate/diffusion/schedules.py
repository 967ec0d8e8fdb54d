"""The β schedules and sampling chains the gate runs users' functions on, in float64.

Chosen to expose bugs: a linear schedule (β from 1e-4 to 0.02) where β_t and the posterior
variance β̃_t differ most at small t; the improved-DDPM cosine schedule whose last ᾱ_t is nearly
0 (conversions divide by √ᾱ_t there); and strided chains with a step count that does not divide
T, so that consecutive sampling steps skip unequal numbers of timesteps and β must be recovered
from ᾱ (β_{t←t'} = 1 − ᾱ_t/ᾱ_{t'}), never read from the full schedule.

Timesteps are 0-based as in every common codebase: index t holds ᾱ_t = ∏_{s≤t}(1 − β_s), and
"previous timestep −1" means the data, with ᾱ = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

FINAL = -1  # the previous timestep of the last sampling step: the data, ᾱ = 1


def linear_betas(num_timesteps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> Tensor:
    return torch.linspace(beta_start, beta_end, num_timesteps, dtype=torch.float64)


def cosine_betas(num_timesteps: int, s: float = 0.008, max_beta: float = 0.999) -> Tensor:
    """ᾱ(τ) = cos²((τ + s)/(1 + s) · π/2), β_t = min(1 − ᾱ((t+1)/T)/ᾱ(t/T), max_beta) (Nichol & Dhariwal 2021)."""
    tau = torch.arange(num_timesteps + 1, dtype=torch.float64) / num_timesteps
    alpha_bar = torch.cos((tau + s) / (1 + s) * math.pi / 2) ** 2
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)


def spaced_timesteps(num_timesteps: int, num_steps: int, spacing: str) -> list[int]:
    """Descending sampling timesteps, by the three spacings of Lin et al. 2023 (Table 2)."""
    if spacing == "linspace":
        steps = np.linspace(0, num_timesteps - 1, num_steps).round()[::-1]
    elif spacing == "leading":
        steps = (np.arange(num_steps) * (num_timesteps // num_steps))[::-1]
    elif spacing == "trailing":
        steps = np.round(np.arange(num_timesteps, 0, -num_timesteps / num_steps)) - 1
    else:
        raise ValueError(f"spacing: expected 'linspace', 'leading' or 'trailing', got {spacing!r}")
    return [int(t) for t in steps]


@dataclass(frozen=True)
class Chain:
    """A schedule and the sampling steps (t, t_prev) run on it; t_prev = FINAL at the last step."""

    label: str  # e.g. "cosine, T=1000, 7 steps (linspace)"
    betas: Tensor  # (T,) float64
    steps: tuple[tuple[int, int], ...]  # (t, t_prev) pairs, in sampling order
    strided: bool  # True when some step skips timesteps

    @property
    def num_timesteps(self) -> int:
        return int(self.betas.shape[0])


def consecutive_chain(label: str, betas: Tensor, timesteps: tuple[int, ...]) -> Chain:
    """Single steps t → t − 1 at the given t (the full chain, as a training-time sampler runs it)."""
    return Chain(label, betas, tuple((t, t - 1) for t in timesteps), strided=False)


def strided_chain(label: str, betas: Tensor, timesteps: list[int]) -> Chain:
    pairs = tuple(zip(timesteps, [*timesteps[1:], FINAL]))
    return Chain(label, betas, pairs, strided=True)


def respaced_betas(betas: Tensor, kept: list[int]) -> Tensor:
    """β of the chain that keeps only the timesteps `kept` (ascending): 1 − ᾱ_{k_i}/ᾱ_{k_{i−1}},
    as improved DDPM's respacing builds a shorter diffusion from a trained one."""
    alpha_bar = torch.cumprod(1 - betas, dim=0)[torch.tensor(sorted(kept))]
    previous = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
    return 1 - alpha_bar / previous


def probe_timesteps(num_timesteps: int) -> tuple[int, ...]:
    """t = 0, 1, 2 (where β_t and β̃_t differ most and β̃_0 = 0), the middle, and the last two."""
    T = num_timesteps
    return tuple(sorted({0, 1, 2, T // 2, T - 2, T - 1}))


def gate_chains() -> tuple[Chain, ...]:
    """The schedules a user's function is checked on (see the module docstring)."""
    linear, cosine = linear_betas(1000), cosine_betas(1000)
    return (
        consecutive_chain("linear, T=1000", linear, probe_timesteps(1000)),
        consecutive_chain("cosine, T=1000", cosine, probe_timesteps(1000)),
        strided_chain("cosine, T=1000, 7 steps (linspace)", cosine, spaced_timesteps(1000, 7, "linspace")),
        strided_chain("linear, T=1000, 7 steps (trailing)", linear, spaced_timesteps(1000, 7, "trailing")),
        consecutive_chain("cosine, T=37", cosine_betas(37), probe_timesteps(37)),
        consecutive_chain(
            "cosine, T=1000 respaced to 7 steps",
            respaced_betas(cosine, spaced_timesteps(1000, 7, "linspace")),
            probe_timesteps(7),
        ),
    )
