"""The β schedules and sampling chains the gate runs users' functions on, in float64.

Chosen to expose bugs: a linear schedule (β from 1e-4 to 0.02) where β_t and the posterior
variance β̃_t differ most at small t; the improved-DDPM cosine schedule whose last ᾱ_t is nearly
0 (conversions divide by √ᾱ_t there); and strided chains with a step count that does not divide
T, so that consecutive sampling steps skip unequal numbers of timesteps and β must be recovered
from ᾱ (β_{t←t'} = 1 − ᾱ_t/ᾱ_{t'}), never read from the full schedule.

The schedules themselves (β tables, timestep spacings, respacing) are the exact diffusion model's
(`elbo_suite.estimators.models.noise_schedule`, held there against the published definitions);
this module only changes their indexing to the codebases': timesteps are 0-based, index t holds
ᾱ_t = ∏_{s≤t}(1 − β_s), and "previous timestep −1" means the data, with ᾱ = 1. Sharing them keeps
the gate's references independent: a β table is an input, handed both to the user's function and
to the gate's own closed forms (`formulas`); the gate checks what is computed from a table, never
the table. The formulas stay written out on their own (tests/gate/test_diffusion_two_references.py
holds them against the model's).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models import noise_schedule

FINAL = -1  # the previous timestep of the last sampling step: the data, ᾱ = 1


def spaced_timesteps(num_timesteps: int, num_steps: int, spacing: str) -> list[int]:
    """Descending 0-based sampling timesteps, by diffusers' spacings (Lin et al. 2023, Table 2)."""
    return [t - 1 for t in reversed(noise_schedule.spaced_timesteps(num_timesteps, num_steps, spacing))]


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
    """β of the chain that keeps only the 0-based timesteps `kept`: 1 − ᾱ_{k_i}/ᾱ_{k_{i−1}}, as
    improved DDPM's respacing builds a shorter diffusion from a trained one."""
    return noise_schedule.respace(noise_schedule.NoiseSchedule(betas), sorted(t + 1 for t in kept)).betas


def probe_timesteps(num_timesteps: int) -> tuple[int, ...]:
    """t = 0, 1, 2 (where β_t and β̃_t differ most and β̃_0 = 0), the middle, and the last two."""
    T = num_timesteps
    return tuple(sorted({0, 1, 2, T // 2, T - 2, T - 1}))


def gate_chains() -> tuple[Chain, ...]:
    """The schedules a user's function is checked on (see the module docstring)."""
    linear, cosine = noise_schedule.linear_schedule(1000).betas, noise_schedule.cosine_schedule(1000).betas
    return (
        consecutive_chain("linear, T=1000", linear, probe_timesteps(1000)),
        consecutive_chain("cosine, T=1000", cosine, probe_timesteps(1000)),
        strided_chain("cosine, T=1000, 7 steps (linspace)", cosine, spaced_timesteps(1000, 7, "linspace")),
        strided_chain("linear, T=1000, 7 steps (trailing)", linear, spaced_timesteps(1000, 7, "trailing")),
        consecutive_chain("cosine, T=37", noise_schedule.cosine_schedule(37).betas, probe_timesteps(37)),
        consecutive_chain(
            "cosine, T=1000 respaced to 7 steps",
            respaced_betas(cosine, spaced_timesteps(1000, 7, "linspace")),
            probe_timesteps(7),
        ),
    )
