"""The two objectives the single-draw estimators accept, and the checks on their arguments."""

from __future__ import annotations

from torch import Tensor

from elbo_suite.estimators.gradients.parameterisation import MeanCholesky, MeanLogStd

OBJECTIVES = ("elbo", "expectation")


def require_objective(objective: object) -> str:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {OBJECTIVES}, got {objective!r}")
    return objective  # type: ignore[return-value]


def require_parameterisation(q: object) -> None:
    if not isinstance(q, (MeanLogStd, MeanCholesky)):
        raise TypeError(f"q: expected MeanLogStd or MeanCholesky, got {type(q).__name__}")


def require_grouped_eps(eps: object, latent_dim: int) -> Tensor:
    """Grouped noise (N, K, k): N independent groups of K draws each."""
    if not isinstance(eps, Tensor) or eps.dim() != 3 or eps.shape[2] != latent_dim:
        shape = tuple(eps.shape) if isinstance(eps, Tensor) else type(eps).__name__
        raise ValueError(f"eps: expected shape (N, K, k) = (N, K, {latent_dim}), got {shape}")
    return eps
