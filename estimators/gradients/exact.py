"""The exact gradient: autograd on a closed-form objective, and the linear-Gaussian ELBO as one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.gradients._objective import require_parameterisation
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.validation import require_float_tensor, require_shape


def exact_gradient(
    closed_form: Callable[[GaussianParameterisation], Tensor], q: GaussianParameterisation
) -> Tensor:  # (P,)
    """∇_φ closed_form(q_φ) at q.phi, by autograd; closed_form returns a scalar."""
    require_parameterisation(q)
    phi = q.phi.detach().requires_grad_(True)
    with torch.enable_grad():
        value = closed_form(q.with_phi(phi))
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise ValueError(f"closed_form: expected a scalar Tensor, got {value!r}")
        (gradient,) = torch.autograd.grad(value.sum(), phi)
    return gradient


@dataclass(frozen=True, eq=False)
class LinearGaussianTarget:
    """One data point x (d,) of a LinearGaussianModel, in the form the estimators take."""

    model: LinearGaussianModel
    x: Tensor  # (d,)

    def __post_init__(self) -> None:
        require_float_tensor("x", self.x)
        require_shape("x", self.x, (self.model.data_dim,), "(d,) with d from the model")

    def log_joint(self, z: Tensor) -> Tensor:  # (N, k) -> (N,)
        return self.model.log_joint(self.x.unsqueeze(0), z.unsqueeze(-2)).squeeze(-1)

    def log_likelihood(self, z: Tensor) -> Tensor:  # (N, k) -> (N,)
        return self.model.log_likelihood(self.x.unsqueeze(0), z.unsqueeze(-2)).squeeze(-1)

    def elbo(self, q: GaussianParameterisation) -> Tensor:  # scalar, closed form
        return self.model.elbo(self.x.unsqueeze(0), q.distribution()).squeeze(0)

    def log_marginal(self) -> Tensor:  # scalar
        return self.model.log_marginal(self.x.unsqueeze(0)).squeeze(0)

    def posterior_mean_and_scale_tril(self) -> tuple[Tensor, Tensor]:  # (k,), (k, k)
        posterior = self.model.posterior(self.x.unsqueeze(0))
        return posterior.mean[0], posterior.scale_tril[0]

    def exact_elbo_gradient(self, q: GaussianParameterisation) -> Tensor:  # (P,)
        return exact_gradient(self.elbo, q)
