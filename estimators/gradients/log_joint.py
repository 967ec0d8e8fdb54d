"""Evaluate a row-wise log-joint on a batch of draws, with its per-draw gradient in z."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

LogJoint = Callable[[Tensor], Tensor]  # z (N, k) -> (N,), row n depending on z[n] only


def value_and_grad_z(log_joint: LogJoint, z: Tensor) -> tuple[Tensor, Tensor]:
    """log_joint(z) (N,) and ∇_z log_joint(z) (N, k), both detached.

    Because row n of the output depends on z[n] only, one backward pass of the sum gives every
    row's gradient at once: this is what makes per-draw gradients cost one batched evaluation.
    """
    if not callable(log_joint):
        raise TypeError(f"log_joint: expected a callable z (N, k) -> (N,), got {type(log_joint).__name__}")
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        values = log_joint(z)
        if not isinstance(values, Tensor) or values.shape != z.shape[:1]:
            shape = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
            raise ValueError(
                f"log_joint: expected output shape (N,) = ({z.shape[0]},) for z of shape "
                f"{tuple(z.shape)}, got {shape}"
            )
        if not values.requires_grad:
            raise ValueError("log_joint: its output does not depend differentiably on z")
        (grad,) = torch.autograd.grad(values.sum(), z)
    return values.detach(), grad  # (N,), (N, k)


def values_only(log_joint: LogJoint, z: Tensor) -> Tensor:
    """log_joint(z) (N,) without gradients, for the score-function estimators."""
    if not callable(log_joint):
        raise TypeError(f"log_joint: expected a callable z (N, k) -> (N,), got {type(log_joint).__name__}")
    with torch.no_grad():
        values = log_joint(z.detach())
    if not isinstance(values, Tensor) or values.shape != z.shape[:1]:
        shape = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(
            f"log_joint: expected output shape (N,) = ({z.shape[0]},) for z of shape "
            f"{tuple(z.shape)}, got {shape}"
        )
    return values
