"""Pathwise (reparameterisation) gradients: differentiate through z = mean + L ε."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from estimators.gradients._objective import require_objective, require_parameterisation
from estimators.gradients.log_joint import LogJoint, value_and_grad_z
from estimators.gradients.parameterisation import GaussianParameterisation


def pathwise(
    log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor, *, objective: str = "elbo"
) -> Tensor:  # (N, P)
    """Total derivative of log_joint(z(ε,φ)) − log q_φ(z(ε,φ)) in φ, through z and through φ."""
    require_objective(objective)
    require_parameterisation(q)
    z = q.path(eps)  # (N, k)
    _, grad_log_joint = value_and_grad_z(log_joint, z)  # (N, k)
    if objective == "expectation":
        return q.path_vjp(eps, grad_log_joint)
    # d/dφ [-log q_φ(z(ε,φ))] = -(∇_z log q)ᵀ ∂z/∂φ  -  ∇_φ log q at fixed z.
    through_z = q.path_vjp(eps, grad_log_joint - q.grad_z_log_prob(eps))  # (N, P)
    return through_z - q.score(eps)


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
    z = q.path(eps)  # (N, k)
    _, grad_log_likelihood = value_and_grad_z(log_likelihood, z)  # (N, k)
    phi = q.phi.detach().requires_grad_(True)
    with torch.enable_grad():
        kl = kl_to_prior(q.with_phi(phi))
        if not isinstance(kl, Tensor) or kl.numel() != 1:
            raise ValueError(f"kl_to_prior: expected a scalar Tensor, got {kl!r}")
        (grad_kl,) = torch.autograd.grad(kl.sum(), phi)  # (P,)
    return q.path_vjp(eps, grad_log_likelihood) - grad_kl


def kl_to_standard_normal_prior(q: GaussianParameterisation) -> Tensor:  # scalar
    """KL(q‖N(0, I)), the prior-matching term for models with a standard-normal prior."""
    from estimators.kl import kl_to_standard_normal

    return kl_to_standard_normal(q.distribution()).sum()
