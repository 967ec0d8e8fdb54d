"""Sticking the landing (Roeder et al. 2017): the pathwise gradient with the score term stopped.

The total pathwise gradient of −log q_φ(z(ε,φ)) has a part through z and a part −∇_φ log q at
fixed z; the latter has mean zero, and dropping it leaves an estimator that is exactly zero for
every draw when q is the posterior (log p(x,z) − log q(z) is then constant in z).
"""

from __future__ import annotations

from torch import Tensor

from elbo_suite.estimators.gradients._objective import require_parameterisation
from elbo_suite.estimators.gradients.blocks import by_blocks
from elbo_suite.estimators.gradients.log_joint import LogJoint, value_and_grad_z
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation


def sticking_the_landing(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:  # (N, P)
    """(∇_z log_joint − ∇_z log q)ᵀ ∂z/∂φ, with q's parameters held fixed inside log q."""
    require_parameterisation(q)
    return by_blocks(lambda block: _stl_block(log_joint, q, block), eps)


def _stl_block(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:
    _, grad_log_joint = value_and_grad_z(log_joint, q.path(eps))  # (N, k)
    return q.path_vjp(eps, grad_log_joint - q.grad_z_log_prob(eps))
