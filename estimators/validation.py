"""Input validation shared by the exact models, the q families and the estimators.

Every failure raises TypeError (wrong kind of object) or ValueError (wrong shape or value) with a
message naming the parameter, what it got and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def require_float_tensor(name: str, value: object) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point Tensor, got dtype {value.dtype}")
    return value


def require_shape(name: str, value: Tensor, expected: Sequence[int | None], meaning: str) -> None:
    """`expected` lists sizes, None meaning any size; `meaning` names the axes, e.g. '(B, k)'."""
    matches = value.dim() == len(expected) and all(
        want is None or got == want for got, want in zip(value.shape, expected)
    )
    if not matches:
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in expected) + ")"
        raise ValueError(
            f"{name}: expected shape {meaning} = {wanted}, got {tuple(value.shape)}"
        )


def require_finite(name: str, value: Tensor) -> None:
    if not bool(torch.isfinite(value).all()):
        bad = value[~torch.isfinite(value)]
        raise ValueError(
            f"{name}: expected finite values, found {bad.numel()} non-finite "
            f"(e.g. {bad.flatten()[:3].tolist()}) in a Tensor of shape {tuple(value.shape)}"
        )


def require_same_dtype(name: str, value: Tensor, reference_name: str, reference: Tensor) -> None:
    if value.dtype != reference.dtype:
        raise TypeError(
            f"{name}: expected dtype {reference.dtype} to match {reference_name}, got {value.dtype}"
        )


def require_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return value
