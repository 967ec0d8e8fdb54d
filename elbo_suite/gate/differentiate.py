"""Gradients of a user's output with respect to the leaves the gate handed in."""

from __future__ import annotations

import torch
from torch import Tensor


def gradients_of(scalar: Tensor, leaves: dict[str, Tensor]) -> dict[str, Tensor | None]:
    """d scalar / d leaf for each leaf; None where no gradient path exists (or none at all)."""
    if not scalar.requires_grad:
        return {name: None for name in leaves}
    names = list(leaves)
    grads = torch.autograd.grad(scalar, [leaves[n] for n in names], allow_unused=True, retain_graph=True)
    return dict(zip(names, grads))


def missing_gradient_hint(scalar: Tensor) -> str:
    if not scalar.requires_grad:
        return (
            "the output carries no gradient at all (requires_grad=False): it was computed outside "
            "autograd, e.g. through numpy, .item(), .detach(), .data or torch.no_grad()"
        )
    return "no gradient path reaches this parameter (detached, .data, or not used)"
