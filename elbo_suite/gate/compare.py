"""Exact comparisons of the user's tensors with reference tensors, reported at the worst element.

An element passes when |actual − expected| ≤ atol + rtol · (|expected| + scale), where `scale` is
0 for values and the largest |expected| of the tensor for gradients (so a gradient entry that is
zero in exact arithmetic is judged relative to the size of the whole gradient).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Mismatch:
    """The worst element of a comparison: the one with the largest error / tolerance."""

    ratio: float  # error / tolerance; ≤ 1 passes
    index: tuple[int, ...]
    actual: float
    expected: float
    error: float  # |actual − expected|
    tolerance: float
    count: int  # elements compared
    failures: int  # elements outside tolerance

    @property
    def passed(self) -> bool:
        return self.failures == 0


def worst_mismatch(
    actual: Tensor, expected: Tensor, *, rtol: float, atol: float, scale: float | None = 0.0
) -> Mismatch:
    """`scale` adds rtol · scale to every element's tolerance; None means the largest |expected|."""
    actual = actual.detach().to(torch.float64)
    expected = expected.detach().to(torch.float64)
    if actual.shape != expected.shape:
        raise ValueError(
            f"actual: expected shape {tuple(expected.shape)} like the reference, got {tuple(actual.shape)}"
        )
    if scale is None:
        scale = float(expected.abs().max()) if expected.numel() else 0.0
    error = (actual - expected).abs()
    tolerance = atol + rtol * (expected.abs() + scale)
    # NaN errors count as failures and rank first.
    ratio = torch.where(torch.isnan(error), torch.full_like(error, float("inf")), error / tolerance)
    flat = int(ratio.reshape(-1).argmax()) if ratio.numel() else 0
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), ratio.shape)) if ratio.dim() else ()
    failures = int((~(error <= tolerance)).sum())
    return Mismatch(
        ratio=float(ratio.reshape(-1)[flat]) if ratio.numel() else 0.0,
        index=index,
        actual=float(actual.reshape(-1)[flat]) if actual.numel() else 0.0,
        expected=float(expected.reshape(-1)[flat]) if expected.numel() else 0.0,
        error=float(error.reshape(-1)[flat]) if error.numel() else 0.0,
        tolerance=float(tolerance.reshape(-1)[flat]) if tolerance.numel() else atol,
        count=actual.numel(),
        failures=failures,
    )


def pattern_hint(actual: Tensor, expected: Tensor) -> str:
    """A hint when the error has a simple shape: a constant factor or a constant offset."""
    actual = actual.detach().reshape(-1)
    expected = expected.detach().reshape(-1)
    if actual.numel() < 2:
        return ""
    if bool((expected.abs() > 1e-12).all()):
        ratio = actual / expected
        if float((ratio - ratio.mean()).abs().max()) <= 1e-6 * float(ratio.abs().mean()) and abs(
            float(ratio.mean()) - 1.0
        ) > 1e-6:
            return f"; actual/expected = {float(ratio.mean()):.6g} everywhere: a constant factor"
    offset = actual - expected
    if float((offset - offset.mean()).abs().max()) <= 1e-8 * (1.0 + float(expected.abs().max())):
        value = float(offset.mean())
        if abs(value) > 1e-9:
            return f"; actual − expected = {value:.6g} everywhere: a constant offset"
    return ""
