"""Gradients of the importance-weighted bound IWAE_K(φ) = E[log 1/K Σ_k w_k] in φ.

Each row of the output comes from one group of K draws, eps (N, K, k), with log-weights
log w_k = log_joint(z_k) − log q_φ(z_k) and normalised weights w̃_k = w_k / Σ_j w_j.
- standard:  Σ_k w̃_k d/dφ log w_k(z(ε_k, φ))         (the reparameterised gradient; its SNR
             for φ falls like 1/√K, Rainforth et al. 2018);
- DReG:      Σ_k w̃_k² (∇_z log w_k)ᵀ ∂z_k/∂φ          (doubly reparameterised, Tucker et al. 2019);
- STL:       Σ_k w̃_k (∇_z log w_k)ᵀ ∂z_k/∂φ           (score term stopped: unbiased only for K = 1).
"""

from __future__ import annotations

from torch import Tensor

from elbo_suite.estimators.gradients._objective import require_grouped_eps, require_parameterisation
from elbo_suite.estimators.gradients.blocks import by_blocks
from elbo_suite.estimators.gradients.log_joint import LogJoint, value_and_grad_z
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation


def _checked(q: GaussianParameterisation, eps: Tensor) -> Tensor:
    require_parameterisation(q)
    return require_grouped_eps(eps, q.latent_dim)


def _per_draw_terms(
    log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Normalised weights (N, K), path term (N, K, P) and score term (N, K, P) of every draw."""
    groups, draws, latent_dim = eps.shape
    flat_eps = eps.reshape(groups * draws, latent_dim)
    values, grad_log_joint = value_and_grad_z(log_joint, q.path(flat_eps))  # (NK,), (NK, k)
    log_weights = (values - q.log_prob(flat_eps).detach()).reshape(groups, draws)  # (N, K)
    normalised = log_weights.softmax(-1)  # (N, K)
    path_term = q.path_vjp(flat_eps, grad_log_joint - q.grad_z_log_prob(flat_eps)).detach()
    score_term = q.score(flat_eps).detach()
    return (
        normalised,
        path_term.reshape(groups, draws, -1),
        score_term.reshape(groups, draws, -1),
    )


def iwae_reparameterised(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:  # (N, P)
    """The standard reparameterised IWAE_K gradient: Σ_k w̃_k (path term − score term)."""

    def block(eps: Tensor) -> Tensor:
        normalised, path_term, score_term = _per_draw_terms(log_joint, q, eps)
        return (normalised.unsqueeze(-1) * (path_term - score_term)).sum(1)

    return by_blocks(block, _checked(q, eps))


def iwae_dreg(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:  # (N, P)
    """The doubly reparameterised IWAE_K gradient: Σ_k w̃_k² · path term."""

    def block(eps: Tensor) -> Tensor:
        normalised, path_term, _ = _per_draw_terms(log_joint, q, eps)
        return (normalised.square().unsqueeze(-1) * path_term).sum(1)

    return by_blocks(block, _checked(q, eps))


def iwae_sticking_the_landing(log_joint: LogJoint, q: GaussianParameterisation, eps: Tensor) -> Tensor:  # (N, P)
    """Σ_k w̃_k · path term: STL applied to IWAE; biased for K > 1 (kept as a comparison)."""

    def block(eps: Tensor) -> Tensor:
        normalised, path_term, _ = _per_draw_terms(log_joint, q, eps)
        return (normalised.unsqueeze(-1) * path_term).sum(1)

    return by_blocks(block, _checked(q, eps))
