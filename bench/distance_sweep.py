"""Variance of every ELBO estimator against the distance of q from the posterior, in the 1-D
model z ~ N(0,1), x|z ~ N(z,1), x = 1 (posterior N(½, ½)): q = N(½ + δ, ½)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from elbo_suite.bench import plots
from elbo_suite.bench.estimator_registry import ELBO_SWEEP_ESTIMATORS, noise, timed
from elbo_suite.bench.results import Claim, Table, Timing
from elbo_suite.bench.variance_table import one_dimensional_target
from elbo_suite.estimators.gradients import MeanLogStd
from elbo_suite.estimators.gradients.exact_variance import linear_gaussian_gradients
from elbo_suite.estimators.gradients.statistics import signal_to_noise

X = 1.0
POSTERIOR_MEAN, POSTERIOR_LOG_STD = 0.5, 0.5 * math.log(0.5)


def exact_variance(name: str, delta: float) -> float:
    return linear_gaussian_gradients(X, POSTERIOR_MEAN + delta, POSTERIOR_LOG_STD)[name][0].variance()


def run(deltas: list[float], draws: int, out_dir: Path, progress, seed: int = 4000):
    t = one_dimensional_target(X)
    rows, timings, measured = [], [], {}
    for i, delta in enumerate(deltas):
        q = MeanLogStd(torch.tensor([POSTERIOR_MEAN + delta, POSTERIOR_LOG_STD], dtype=torch.float64))
        for estimator in ELBO_SWEEP_ESTIMATORS:
            eps = noise(seed + i, draws * estimator.draws_per_row, 1)
            samples, seconds = timed(lambda: estimator.run(t, q, eps))
            variance = samples.var(0)
            snr = signal_to_noise(samples)[0].item()
            snr = snr if math.isfinite(snr) else "—"  # STL at the posterior: 0 / 0
            exact = exact_variance(estimator.exact_name, delta) if estimator.exact_name else None
            measured[(delta, estimator.name)] = variance[0].item()
            rows.append([
                delta, estimator.name, variance[0].item(), exact if exact is not None else "—",
                variance[1].item(), snr, variance[0].item() * estimator.draws_per_row,
            ])
            timings.append(Timing("distance", f"δ={delta:g}", estimator.name, seconds / samples.shape[0], variance[0].item()))
        if progress:
            progress("variance vs distance from the posterior", i + 1, len(deltas))
    table = Table(
        f"1-D ELBO gradient against the shift δ of q's mean from the posterior ({draws} samples per point)",
        ["δ", "estimator", "var ∂mean", "exact", "var ∂log_std", "SNR ∂mean", "var × evals"],
        rows,
    )
    stl_at_posterior = measured[(deltas[0], "sticking the landing")]
    path_at_posterior = measured[(deltas[0], "pathwise")]
    claim = Claim(
        "sticking the landing has zero variance at the exact posterior; the total pathwise gradient does not",
        f"at δ = {deltas[0]:g}: STL var ∂mean {stl_at_posterior:.3g}, pathwise {path_at_posterior:.4g} "
        f"(exact {exact_variance('pathwise', deltas[0]):.4g})",
        deltas[0] == 0.0 and stl_at_posterior < 1e-20 and path_at_posterior > 0.1,
    )
    return table, [claim], timings, _plot(deltas, measured, out_dir)


def _plot(deltas: list[float], measured: dict, out_dir: Path) -> str:
    figure, axes = plots.new_figure(1, 1, 7.5, 4.8)
    ax = axes[0][0]
    dense = np.linspace(deltas[0], deltas[-1], 60).tolist()
    floor = 1e-6  # STL's exact zero at δ = 0 drawn on the log axis at this floor
    for n, estimator in enumerate(ELBO_SWEEP_ESTIMATORS):
        colour = f"C{n}"
        ax.plot(deltas, [max(measured[(d, estimator.name)], floor) for d in deltas], "o", color=colour, markersize=3.5, label=estimator.name)
        if estimator.exact_name:
            ax.plot(dense, [max(exact_variance(estimator.exact_name, d), floor) for d in dense], "-", color=colour, linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("δ = mean(q) − mean(posterior)")
    ax.set_ylabel("variance of ∂ELBO/∂mean")
    ax.set_title(f"Variance vs distance from the posterior (floor {floor:g}): lines exact, dots sampled")
    ax.legend(fontsize=7)
    return plots.save(figure, out_dir, "variance_vs_distance.png")
