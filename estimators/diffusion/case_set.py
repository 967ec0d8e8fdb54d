"""The default seeded diffusion cases: schedules the common codebases use, each with the true reverse
(tight), a DDPM reverse (optimal mean, σ_t² = β̃_t, p(x_T) = N(0, I)) and a reverse moved away from
the truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    NoiseSchedule,
    cosine_schedule,
    linear_schedule,
    respace,
    spaced_timesteps,
)

# (schedule, data dimension d): DDPM's own linear T = 1000; a cosine schedule respaced to 50 steps as
# a sampler visits it (trailing spacing); and a short cosine chain whose T = 10 is not a multiple of
# the stratified sampler's 4 strata.
DEFAULT_PROCESSES: tuple[tuple[str, int], ...] = (
    ("linear T=1000", 2),
    ("cosine T=1000 respaced to 50", 3),
    ("cosine T=10", 2),
)
QUICK_PROCESSES: tuple[tuple[str, int], ...] = (("cosine T=10", 2),)  # the report's quick mode (tests)
FAR = 0.3  # distance of the "far" reverse from the truth (LinearGaussianReverse.perturbed)
BATCH_SIZE = 3


def default_schedule(name: str) -> NoiseSchedule:
    schedules = {
        "linear T=1000": lambda: linear_schedule(1000),
        "cosine T=1000 respaced to 50": lambda: respace(cosine_schedule(1000), spaced_timesteps(1000, 50, "trailing")),
        "cosine T=10": lambda: cosine_schedule(10),
    }
    if name not in schedules:
        raise ValueError(f"name: expected one of {', '.join(schedules)}, got {name!r}")
    return schedules[name]()


@dataclass(frozen=True, eq=False)
class DiffusionCase:
    process: GaussianDiffusion
    x0: Tensor  # (B, d)
    reverses: dict[str, LinearGaussianReverse]  # "true", "DDPM", "far"
    description: str  # e.g. "linear T=1000, d=2, B=3, seed 0"


def default_diffusion_cases(seed: int = 0, processes: Sequence[tuple[str, int]] = DEFAULT_PROCESSES) -> list[DiffusionCase]:
    """The cases of `processes` ((schedule name, d) pairs), drawn in order from one generator seeded
    with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for name, data_dim in processes:
        process = GaussianDiffusion.random(default_schedule(name), data_dim, generator)
        x0 = process.sample_data(BATCH_SIZE, generator)
        truth = LinearGaussianReverse.true_reverse(process)
        reverses = {
            "true": truth,
            "DDPM": LinearGaussianReverse.ddpm(process, "posterior"),
            "far": truth.perturbed(process, FAR, generator),
        }
        cases.append(DiffusionCase(process, x0, reverses, f"{name}, d={data_dim}, B={BATCH_SIZE}, seed {seed}"))
    return cases
