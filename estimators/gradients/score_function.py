"""Score-function (REINFORCE) gradients: f(z) ∇_φ log q_φ(z), no derivative of f needed."""

from __future__ import annotations

from torch import Tensor

from elbo_suite.estimators.gradients._objective import require_objective, require_parameterisation
from elbo_suite.estimators.gradients.blocks import by_blocks
from elbo_suite.estimators.gradients.log_joint import LogJoint, values_only
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation


def integrand(
    log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor, objective: str
) -> Tensor:  # (N,)
    """f(z) per draw: log_joint(z) − log q(z) for the ELBO, log_joint(z) for a plain expectation."""
    values = values_only(log_joint, q.path(eps))
    return values - q.log_prob(eps).detach() if objective == "elbo" else values


def score_function(
    log_joint: LogJoint,
    q: GaussianParameterisation,
    eps: Tensor,
    *,
    objective: str = "elbo",
    keep_zero_mean_term: bool = True,
) -> Tensor:  # (N, P)
    """f(z) ∇_φ log q(z), plus, for the ELBO, the explicit ∇_φ(−log q_φ(z)) = −∇_φ log q(z).

    That second term has mean zero, so both forms are unbiased; dropping it is common in practice.
    """
    require_objective(objective)
    require_parameterisation(q)
    offset = 1.0 if objective == "elbo" and keep_zero_mean_term else 0.0  # f s − s = (f − 1) s

    def block(eps: Tensor) -> Tensor:
        f = integrand(log_joint, q, eps, objective)  # (N,)
        return (f - offset).unsqueeze(-1) * q.score(eps).detach()

    return by_blocks(block, eps)
