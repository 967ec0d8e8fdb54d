"""Pathwise (reparameterisation) gradients: differentiate through z = mean + L ε."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from elbo_suite.estimators.gradients._objective import require_objective, require_parameterisation
from elbo_suite.estimators.gradients.blocks import by_blocks
from elbo_suite.estimators.gradients.log_joint import LogJoint, value_and_grad_z
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation


def pathwise(
    log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor, *, objective: str = "elbo"
) -> Tensor:  # (N, P)
    """Total derivative of log_joint(z(ε,φ)) − log q_φ(z(ε,φ)) in φ, through z and through φ."""
    require_objective(objective)
    require_parameterisation(q)
    return by_blocks(lambda block: _pathwise_block(log_joint, q, block, objective), eps)


def _pathwise_block(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor, objective: str) -> Tensor:
    z = q.path(eps)  # (N, k)
    _, grad_log_joint = value_and_grad_z(log_joint, z)  # (N, k)
    if objective == "expectation":
        return q.path_vjp(eps, grad_log_joint)
    # Along the path log q_φ(z(ε,φ)) = log N(ε; 0, I) − log|det L|, so the total derivative of
    # −log q is the same for every draw: the score term and the path term through z cancel
    # down to ∇_φ log|det L| (this saves two passes over (N, P) at large N).
    return q.path_vjp(eps, grad_log_joint) + q.log_det_scale_grad()


def pathwise_analytic_kl(
    log_likelihood: LogJoint,
    q: GaussianParameterisation,
    eps: Tensor,
    kl_to_prior: Callable[[GaussianParameterisation], Tensor],
) -> Tensor:  # (N, P)
    """ELBO = E_q[log p(x|z)] − KL(q‖p(z)): pathwise on the likelihood, exact gradient of the KL.

    kl_to_prior(q) returns KL(q‖p(z)) as a scalar differentiable in q.phi.
    """
    require_parameterisation(q)
    if not callable(kl_to_prior):
        raise TypeError(f"kl_to_prior: expected a callable q -> scalar, got {type(kl_to_prior).__name__}")
    phi = q.phi.detach().requires_grad_(True)
    with torch.enable_grad():
        kl = kl_to_prior(q.with_phi(phi))
        if not isinstance(kl, Tensor) or kl.numel() != 1:
            raise ValueError(f"kl_to_prior: expected a scalar Tensor, got {kl!r}")
        (grad_kl,) = torch.autograd.grad(kl.sum(), phi)  # (P,)
    return by_blocks(lambda block: _likelihood_path_block(log_likelihood, q, block), eps) - grad_kl


def _likelihood_path_block(log_likelihood: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:
    _, grad_log_likelihood = value_and_grad_z(log_likelihood, q.path(eps))  # (N, k)
    return q.path_vjp(eps, grad_log_likelihood)


def kl_to_standard_normal_prior(q: GaussianParameterisation) -> Tensor:  # scalar
    """KL(q‖N(0, I)), the prior-matching term for models with a standard-normal prior."""
    from elbo_suite.estimators.kl import kl_to_standard_normal

    return kl_to_standard_normal(q.distribution()).sum()
