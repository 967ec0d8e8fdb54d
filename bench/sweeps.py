"""run_sweeps: every benchmark sweep, its tables, claims, figures and timings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from elbo_suite.bench import cost_sweep, dimension_sweep, distance_sweep, iwae_sweep
from elbo_suite.bench.results import BenchResults
from elbo_suite.bench.variance_table import variance_rows

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SweepSettings:
    variance_draws: int  # per-sample gradients behind each exact-vs-empirical variance row
    cost_ks: tuple[float, ...]  # k values of the Mohamed et al. cost sweep
    cost_draws: int
    dimensions: tuple[int, ...]
    dimension_draws: int
    deltas: tuple[float, ...]  # shifts of q's mean from the posterior
    distance_draws: int
    iwae_ks: tuple[int, ...]
    iwae_groups: int


FULL = SweepSettings(
    variance_draws=200_000,
    cost_ks=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    cost_draws=20_000,
    dimensions=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    dimension_draws=10_000,
    deltas=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0),
    distance_draws=20_000,
    iwae_ks=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    iwae_groups=20_000,
)
QUICK = SweepSettings(
    variance_draws=20_000,
    cost_ks=(0.1, 1.0, 10.0),
    cost_draws=4_000,
    dimensions=(1, 4, 16, 64),
    dimension_draws=2_000,
    deltas=(0.0, 1.0, 4.0),
    distance_draws=4_000,
    iwae_ks=(1, 4, 16, 64),
    iwae_groups=4_000,
)


def run_sweeps(quick: bool, out_dir: Path, progress: Progress | None = None) -> BenchResults:
    """Run every sweep, write the PNGs into out_dir, and return the results.

    Everything but `timings` and `elapsed_seconds` is a function of `quick` alone: fixed seeds,
    float64, no timing-dependent choices.
    """
    if not isinstance(quick, bool):
        raise TypeError(f"quick: expected a bool, got {type(quick).__name__}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = QUICK if quick else FULL
    results = BenchResults(quick=quick)

    def stage(name: str, work: Callable[[], None]) -> None:
        start = time.perf_counter()
        work()
        results.elapsed_seconds[name] = time.perf_counter() - start

    def variance_table() -> None:
        if progress:
            progress("exact vs empirical variances", 0, 1)
        results.variance_rows = variance_rows(settings.variance_draws, results.variance_alpha)
        if progress:
            progress("exact vs empirical variances", 1, 1)

    def add(name: str, outcome) -> None:
        table, claims, timings, figure = outcome
        results.tables[name] = table
        results.claims.extend(claims)
        results.timings.extend(timings)
        results.figures.append(figure)

    with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG untouched
        stage("variance table", variance_table)
        stage("cost", lambda: add("cost", cost_sweep.run(list(settings.cost_ks), settings.cost_draws, out_dir, progress)))
        stage("dimension", lambda: add(
            "dimension", dimension_sweep.run(list(settings.dimensions), settings.dimension_draws, out_dir, progress)
        ))
        stage("distance", lambda: add(
            "distance", distance_sweep.run(list(settings.deltas), settings.distance_draws, out_dir, progress)
        ))
        stage("iwae", lambda: add("iwae", iwae_sweep.run(list(settings.iwae_ks), settings.iwae_groups, out_dir, progress)))
    return results
