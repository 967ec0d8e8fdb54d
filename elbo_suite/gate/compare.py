"""Exact comparisons of the user's tensors with reference tensors, reported at the worst element.

An element passes when |actual − expected| ≤ atol + rtol · (|expected| + scale), where `scale` is
0 for values and the largest |expected| of the tensor for gradients (so a gradient entry that is
zero in exact arithmetic is judged relative to the size of the whole gradient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.gate.result import EXACT, ClaimOutcome


# The gate's inputs are finite and well-formed, so a NaN or inf coming back is the user's numerics
# failing: a failed claim (exit 1), never bad input (exit 2).
NON_FINITE = (
    "a non-finite result from finite inputs: overflow or underflow in your function (exp of values "
    "hundreds of nats from 0, the log of an underflowed density or probability) or 0/0"
)


def non_finite_note(value: float) -> str:
    """'; <why>' when `value` is NaN or inf, else ''."""
    return "" if math.isfinite(value) else f" ({NON_FINITE})"


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


# One user gradient beside its reference: (where, leaf name, user gradient or None, exact, hint);
# `where` names the batch or set-up, `hint` says why a gradient may be missing.
GradientPair = tuple[str, str, "Tensor | None", Tensor, str]


def exact_gradient_outcome(
    claim: str, pairs: list[GradientPair], *, rtol: float, atol: float, scale: float | None, reference: str
) -> ClaimOutcome:
    """Compare every gradient entry exactly; report a missing, non-finite or worst-wrong entry.

    `reference` says where the expected gradient comes from, for the message.
    """
    count = sum(exact.numel() for _, _, _, exact, _ in pairs)
    size = f"sample size {count} gradient entries, exact comparison"
    for where, name, user, exact, hint in pairs:
        if user is None and bool((exact != 0).any()):
            message = (
                f"{claim}: expected a gradient with respect to {name} (largest entry "
                f"{float(exact.abs().max()):.6g}), actual none [{where}]: {hint}; {size}"
            )
            return ClaimOutcome(claim, False, float("inf"), atol, count, EXACT, message)
    worst: tuple[Mismatch, str, str] | None = None
    failures = 0
    for where, name, user, exact, _ in pairs:
        user = torch.zeros_like(exact) if user is None else user
        if not bool(torch.isfinite(user).all()):
            bad = (~torch.isfinite(user)).nonzero().tolist()[0]
            message = (
                f"{claim}: expected a finite gradient, actual {float(user[tuple(bad)])} with respect to "
                f"{name}{bad} [{where}] ({NON_FINITE}); {size}"
            )
            return ClaimOutcome(claim, False, float("inf"), atol, count, EXACT, message)
        mismatch = worst_mismatch(user, exact, rtol=rtol, atol=atol, scale=scale)
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, where, name)
    if worst is None:
        raise ValueError(f"{claim}: no gradients to compare")
    mismatch, where, name = worst
    at = f"d/d {name}{list(mismatch.index)} [{where}]"
    if failures:
        zero = (
            " (your gradient is 0 there: is something detached — z drawn without rsample, .detach(), .data?)"
            if mismatch.actual == 0.0 and mismatch.expected != 0.0
            else ""
        )
        message = (
            f"{claim}: expected {mismatch.expected:.10g} ({reference}), actual {mismatch.actual:.10g} at "
            f"{at}{zero}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; {failures} of "
            f"{count} entries outside tolerance; {size}"
        )
    else:
        message = (
            f"{claim}: all {count} gradient entries within tolerance (largest |error| {mismatch.error:.3g} at "
            f"{at}, tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
    return ClaimOutcome(claim, failures == 0, mismatch.error, mismatch.tolerance, count, EXACT, message)
