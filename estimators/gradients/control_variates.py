"""Baselines for the score-function estimator: (f(z) − b) ∇_φ log q(z).

Subtracting b leaves the estimator unbiased exactly when b does not depend on the draw it
multiplies (E[b ∇ log q] = b E[∇ log q] = 0). Each baseline below keeps that property:
- optimal constant:  b_p = E[f s_p²] / E[s_p²] per coordinate p (minimises each coordinate's
                      variance); estimated for draw n from the other N − 1 draws;
- moving average:    an exponential average of f over earlier batches only;
- leave-one-out:     RLOO over K draws of a group, b_k = mean of the other K − 1 values of f.
For the ELBO, f = log_joint − log q and the zero-mean −∇ log q term is left out: a constant
baseline already absorbs it ((f − b) s − s = (f − b − 1) s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

from elbo_suite.estimators.gradients._objective import (
    require_grouped_eps,
    require_objective,
    require_parameterisation,
)
from elbo_suite.estimators.gradients.blocks import by_blocks
from elbo_suite.estimators.gradients.log_joint import LogJoint
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation
from elbo_suite.estimators.gradients.score_function import integrand


def optimal_baseline(f: Tensor, score: Tensor) -> Tensor:  # (P,)
    """The variance-minimising constant b_p = E[f s_p²] / E[s_p²], estimated from (f, score)."""
    weights = score.square()  # (N, P)
    return (f.unsqueeze(-1) * weights).sum(0) / weights.sum(0)


def score_function_optimal_baseline(
    log_joint: LogJoint,
    q: GaussianParameterisation,
    eps: Tensor,
    *,
    objective: str = "elbo",
    baseline: Tensor | None = None,
) -> Tensor:  # (N, P)
    """(f − b) s with the optimal constant b: given (P,), or else estimated leaving draw n out."""
    require_objective(objective)
    require_parameterisation(q)
    f = integrand(log_joint, q, eps, objective)  # (N,)
    score = q.score(eps).detach()  # (N, P)
    if baseline is None:
        if f.shape[0] < 2:
            raise ValueError(f"eps: the leave-one-out baseline needs N ≥ 2 draws, got N = {f.shape[0]}")
        weights = score.square()  # (N, P)
        weighted_f = f.unsqueeze(-1) * weights
        leave_one_out = (weighted_f.sum(0) - weighted_f) / (weights.sum(0) - weights)  # (N, P)
        return (f.unsqueeze(-1) - leave_one_out) * score
    if not isinstance(baseline, Tensor) or baseline.shape != (q.num_params,):
        shape = tuple(baseline.shape) if isinstance(baseline, Tensor) else type(baseline).__name__
        raise ValueError(f"baseline: expected shape (P,) = ({q.num_params},), got {shape}")
    return (f.unsqueeze(-1) - baseline) * score


@dataclass
class MovingAverageBaseline:
    """b ← decay · b + (1 − decay) · mean f of each batch; the first batch's mean starts it."""

    decay: float = 0.9
    value: float = 0.0  # the baseline the next batch uses
    batches_seen: int = field(default=0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.decay < 1.0:
            raise ValueError(f"decay: expected a float in [0, 1), got {self.decay!r}")

    def update(self, f: Tensor) -> None:
        batch_mean = float(f.mean())
        self.value = batch_mean if self.batches_seen == 0 else (
            self.decay * self.value + (1.0 - self.decay) * batch_mean
        )
        self.batches_seen += 1


def score_function_moving_average(
    log_joint: LogJoint,
    q: GaussianParameterisation,
    eps: Tensor,
    baseline: MovingAverageBaseline,
    *,
    objective: str = "elbo",
) -> Tensor:  # (N, P)
    """(f − b) s with b from earlier batches; then folds this batch into b."""
    require_objective(objective)
    require_parameterisation(q)
    if not isinstance(baseline, MovingAverageBaseline):
        raise TypeError(f"baseline: expected a MovingAverageBaseline, got {type(baseline).__name__}")
    f = integrand(log_joint, q, eps, objective)  # (N,)
    gradient = (f - baseline.value).unsqueeze(-1) * q.score(eps).detach()
    baseline.update(f)
    return gradient


def score_function_rloo(
    log_joint: LogJoint,
    q: GaussianParameterisation,
    eps: Tensor,
    *,
    objective: str = "elbo",
) -> Tensor:  # (N, P)
    """REINFORCE leave-one-out over groups eps (N, K, k): row n = 1/K Σ_k (f_k − f̄_{-k}) s_k."""
    require_objective(objective)
    require_parameterisation(q)
    eps = require_grouped_eps(eps, q.latent_dim)
    if eps.shape[1] < 2:
        raise ValueError(f"eps: RLOO needs K ≥ 2 draws per group, got K = {eps.shape[1]}")
    return by_blocks(lambda block: _rloo_block(log_joint, q, block, objective), eps)


def _rloo_block(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor, objective: str) -> Tensor:
    groups, draws, latent_dim = eps.shape
    flat_eps = eps.reshape(groups * draws, latent_dim)
    f = integrand(log_joint, q, flat_eps, objective).reshape(groups, draws)  # (N, K)
    score = q.score(flat_eps).detach().reshape(groups, draws, -1)  # (N, K, P)
    others_mean = (f.sum(-1, keepdim=True) - f) / (draws - 1)  # (N, K)
    return ((f - others_mean).unsqueeze(-1) * score).mean(1)
