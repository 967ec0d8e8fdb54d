"""The ELBO gradient estimators the sweeps compare, each with its cost in log-joint evaluations."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.gradients import (
    LinearGaussianTarget,
    MeanLogStd,
    MovingAverageBaseline,
    kl_to_standard_normal_prior,
    pathwise,
    pathwise_analytic_kl,
    score_function,
    score_function_moving_average,
    score_function_optimal_baseline,
    score_function_rloo,
    sticking_the_landing,
)

RLOO_K = 4
MOVING_AVERAGE_BATCHES = 10


def _moving_average(target: LinearGaussianTarget, q: MeanLogStd, eps: Tensor) -> Tensor:
    # One batch warms the baseline up (its rows are dropped); the rest each use the average
    # of the batches before them, as in a training loop at a fixed φ.
    baseline = MovingAverageBaseline(decay=0.9)
    batches = eps.chunk(MOVING_AVERAGE_BATCHES + 1)
    score_function_moving_average(target.log_joint, q, batches[0], baseline)
    return torch.cat(
        [score_function_moving_average(target.log_joint, q, batch, baseline) for batch in batches[1:]]
    )


@dataclass(frozen=True)
class SweepEstimator:
    name: str
    draws_per_row: int  # log-joint evaluations behind one per-sample gradient
    run: Callable[[LinearGaussianTarget, MeanLogStd, Tensor], Tensor]  # eps (R·draws, k) -> (R, P)
    exact_name: str | None  # its name in elbo_suite.estimators.gradients.exact_variance, if it has one
    # Zero variance at q = p(z|x): STL's gradient is then 0 for every draw, and a score function
    # with a baseline sees the constant f = log p(x) and subtracts it exactly.
    zero_variance_at_posterior: bool = False


ELBO_SWEEP_ESTIMATORS = (
    SweepEstimator("pathwise", 1, lambda t, q, e: pathwise(t.log_joint, q, e), "pathwise"),
    SweepEstimator(
        "pathwise + analytic KL",
        1,
        lambda t, q, e: pathwise_analytic_kl(t.log_likelihood, q, e, kl_to_standard_normal_prior),
        "pathwise_analytic_kl",
    ),
    SweepEstimator(
        "sticking the landing", 1, lambda t, q, e: sticking_the_landing(t.log_joint, q, e), "sticking_the_landing",
        zero_variance_at_posterior=True,
    ),
    SweepEstimator("score function", 1, lambda t, q, e: score_function(t.log_joint, q, e), "score_function"),
    SweepEstimator(
        "score function, no −∇log q term",
        1,
        lambda t, q, e: score_function(t.log_joint, q, e, keep_zero_mean_term=False),
        "score_function_without_zero_mean_term",
    ),
    SweepEstimator(
        "score function + optimal baseline",
        1,
        lambda t, q, e: score_function_optimal_baseline(t.log_joint, q, e),
        "score_function_optimal_baseline",
        zero_variance_at_posterior=True,
    ),
    SweepEstimator("score function + moving average", 1, _moving_average, None, zero_variance_at_posterior=True),
    SweepEstimator(
        f"score function RLOO (K={RLOO_K})",
        RLOO_K,
        lambda t, q, e: score_function_rloo(t.log_joint, q, e.reshape(-1, RLOO_K, e.shape[-1])),
        None,
        zero_variance_at_posterior=True,
    ),
)


def timed(run: Callable[[], Tensor]) -> tuple[Tensor, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def noise(seed: int, rows: int, *shape: int) -> Tensor:
    return torch.randn(rows, *shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
