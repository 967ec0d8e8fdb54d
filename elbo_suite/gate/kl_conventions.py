"""How a user's Gaussian KL function takes its arguments, for each supported convention.

A convention turns a seeded Gaussian (mean and log-std, or mean and Cholesky factor) into the
tensors the user's function receives: fresh leaf tensors requiring grad, so that the gradient of
the user's KL and of the reference KL are taken with respect to the same tensors.

- "mean_logvar":     fn(mean, logvar)                        mean, logvar (B, k); diagonal only
- "mean_std":        fn(mean, std)                           mean, std (B, k); diagonal only
- "mean_scale_tril": fn(mean, scale_tril)                    mean (B, k), scale_tril (B, k, k)
- "distributions":   fn(q) with q = Independent(Normal(loc, scale), 1) (diagonal) or
                     MultivariateNormal(loc, scale_tril=scale_tril) (full), batch shape (B,)
Against a Gaussian p the user's function receives q's arguments followed by p's:
fn(mean_q, logvar_q, mean_p, logvar_p), ..., fn(q, p).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from elbo_suite.gate.errors import GateInputError
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ

Convention = Literal["mean_logvar", "mean_std", "mean_scale_tril", "distributions"]
Covariance = Literal["diagonal", "full"]
CONVENTIONS: tuple[str, ...] = ("mean_logvar", "mean_std", "mean_scale_tril", "distributions")
COVARIANCES: tuple[str, ...] = ("diagonal", "full")


@dataclass(frozen=True)
class UserGaussian:
    """One Gaussian as the user's function sees it, tied to its reference by the same leaves."""

    leaves: dict[str, Tensor]  # name -> leaf tensor requiring grad, e.g. {"mean": ..., "logvar": ...}
    args: tuple[object, ...]  # what the user's function receives for this Gaussian
    reference: GaussianQ  # the same Gaussian for the reference KL, differentiable in the leaves


def require_convention(convention: object, covariance: object) -> tuple[str, str]:
    if convention not in CONVENTIONS:
        raise GateInputError(f"convention: expected one of {CONVENTIONS}, got {convention!r}")
    if covariance not in COVARIANCES:
        raise GateInputError(f"covariance: expected one of {COVARIANCES}, got {covariance!r}")
    if covariance == "full" and convention in ("mean_logvar", "mean_std"):
        raise GateInputError(
            f"convention {convention!r} describes a diagonal Gaussian; for covariance='full' use "
            f"'mean_scale_tril' or 'distributions'"
        )
    return convention, covariance  # type: ignore[return-value]


def argument_names(convention: str, covariance: str) -> tuple[str, ...]:
    return {
        "mean_logvar": ("mean", "logvar"),
        "mean_std": ("mean", "std"),
        "mean_scale_tril": ("mean", "scale_tril"),
        "distributions": ("Independent(Normal)",) if covariance == "diagonal" else ("MultivariateNormal",),
    }[convention]


def signature_text(convention: str, covariance: str, with_p: bool, batch: int, dim: int) -> str:
    """How the gate calls the user's KL, with shapes, for messages."""
    if convention == "distributions":
        kind = argument_names(convention, covariance)[0]
        sides = ("q", "p") if with_p else ("q",)
        return "fn(" + ", ".join(f"{side}: {kind} batch ({batch},) event ({dim},)" for side in sides) + ")"
    shapes = {"mean": (batch, dim), "logvar": (batch, dim), "std": (batch, dim), "scale_tril": (batch, dim, dim)}
    suffixes = ("_q", "_p") if with_p else ("",)
    names = argument_names(convention, covariance)
    return "fn(" + ", ".join(f"{n}{suffix} {shapes[n]}" for suffix in suffixes for n in names) + ")"


def to_user(gaussian: GaussianQ, convention: str, covariance: str) -> UserGaussian:
    """Fresh leaves in the user's parameterisation of `gaussian` (a detached, seeded Gaussian)."""
    mean = gaussian.mean.detach().clone().requires_grad_(True)
    if covariance == "diagonal":
        if not isinstance(gaussian, DiagonalGaussian):
            raise TypeError("a diagonal convention needs a DiagonalGaussian")
        log_std = gaussian.log_std.detach()
        if convention == "mean_logvar":
            logvar = (2.0 * log_std).clone().requires_grad_(True)
            return UserGaussian(
                {"mean": mean, "logvar": logvar}, (mean, logvar), DiagonalGaussian(mean, 0.5 * logvar)
            )
        if convention == "mean_std":
            std = log_std.exp().clone().requires_grad_(True)
            return UserGaussian({"mean": mean, "std": std}, (mean, std), DiagonalGaussian(mean, std.log()))
        if convention == "mean_scale_tril":
            diagonal = log_std.exp().clone().requires_grad_(True)
            scale_tril = torch.diag_embed(diagonal)
            return UserGaussian(
                {"mean": mean, "scale_diagonal": diagonal},
                (mean, scale_tril),
                DiagonalGaussian(mean, diagonal.log()),
            )
        scale = log_std.exp().clone().requires_grad_(True)
        distribution = torch.distributions.Independent(torch.distributions.Normal(mean, scale), 1)
        return UserGaussian({"loc": mean, "scale": scale}, (distribution,), DiagonalGaussian(mean, scale.log()))
    full = gaussian.to_full_covariance()
    scale_tril = full.scale_tril.detach().clone().requires_grad_(True)
    reference = FullCovGaussian(mean, scale_tril)
    if convention == "mean_scale_tril":
        return UserGaussian({"mean": mean, "scale_tril": scale_tril}, (mean, scale_tril), reference)
    distribution = torch.distributions.MultivariateNormal(mean, scale_tril=scale_tril)
    return UserGaussian({"loc": mean, "scale_tril": scale_tril}, (distribution,), reference)


def lower_triangle_only(name: str, gradient: Tensor) -> Tensor:
    """Entries above the diagonal of a Cholesky factor are structurally zero: ignore their gradient."""
    return torch.tril(gradient) if name == "scale_tril" else gradient
