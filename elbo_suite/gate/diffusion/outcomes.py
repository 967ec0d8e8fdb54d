"""Turning comparisons into claim outcomes: the worst element, every wrong timestep, the error size.

An element passes when |actual − exact| ≤ safety · bound + 4u₆₄|exact|, where `bound` is the
first-order rounding-error bound of the exact value's formula in the precision of the tables
(see `approx`) and `safety` (default 4) absorbs the order in which a correct implementation
happens to evaluate it.
"""

from __future__ import annotations

import torch

from elbo_suite.gate.diffusion.approx import FLOAT64_UNIT
from elbo_suite.gate.diffusion.evaluate import Comparison
from elbo_suite.gate.result import EXACT, ClaimOutcome

SAFETY = 4.0
MAX_LISTED = 6


def claim_outcome(claim: str, items: list[tuple[str, Comparison]], safety: float = SAFETY) -> ClaimOutcome:
    """`items` are (chain label, comparison) pairs for one claim across chains."""
    worst = None  # (ratio, chain, comparison, flat index, actual, expected, error, tolerance)
    wrong: dict[str, list[str]] = {}  # chain -> wrong timesteps, in order
    count = failures = 0
    for chain, c in items:
        actual = c.actual.to(torch.float64)
        value, bound = c.expected.value, c.expected.error
        tolerance = safety * bound + 4 * FLOAT64_UNIT * value.abs()
        error = (actual - value).abs()
        ok = (error <= tolerance) | (torch.isinf(value) & (actual == value))  # NaN error: not ok
        ratio = error / tolerance.clamp_min(1e-300)
        inf = torch.full_like(ratio, float("inf"))
        ratio = torch.where(ok, torch.nan_to_num(ratio, nan=0.0).clamp(max=1.0), torch.where(torch.isnan(ratio), inf, ratio))
        rows = torch.ones(actual.shape[0], dtype=torch.bool) if c.rows is None else c.rows
        row_mask = rows.reshape((-1,) + (1,) * (actual.dim() - 1)).expand_as(actual)
        ratio = torch.where(row_mask, ratio, torch.zeros_like(ratio))
        ok = ok | ~row_mask
        count += int(row_mask.sum())
        failures += int((~ok).sum())
        bad_rows = (~ok).reshape(actual.shape[0], -1).any(dim=1)
        for i in bad_rows.nonzero().reshape(-1).tolist():
            listed = wrong.setdefault(chain, [])
            if c.where[i] not in listed:
                listed.append(c.where[i])
        flat = int(ratio.reshape(-1).argmax())
        r = float(ratio.reshape(-1)[flat])
        if worst is None or r > worst[0]:
            worst = (r, chain, c, flat, float(actual.reshape(-1)[flat]), float(value.reshape(-1)[flat]),
                     float(error.reshape(-1)[flat]), float(tolerance.reshape(-1)[flat]))
    if worst is None:
        raise ValueError(f"{claim}: nothing was compared")
    _, chain, c, flat, actual_v, expected_v, error_v, tolerance_v = worst
    shape = c.actual.shape
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), shape))
    where = f"{c.where[index[0]]} [{chain}], element {list(index)}"
    relative = error_v / abs(expected_v) if expected_v != 0 else float("inf")
    size = f"exact comparison in float64, {count} values"
    if failures:
        listed = "; ".join(
            ", ".join(ts[:MAX_LISTED]) + (f", ... ({len(ts)} in all)" if len(ts) > MAX_LISTED else "") + f" [{chain}]"
            for chain, ts in wrong.items()
        )
        rel = f", relative {relative:.3g}" if relative != float("inf") else ""
        message = (
            f"{claim}: expected {expected_v:.10g}, actual {actual_v:.10g} at {where}; |error| {error_v:.3g}{rel} "
            f"> tolerance {tolerance_v:.3g}; {failures} of {count} values wrong, at {listed}; {size}"
        )
        hints = {c.hint for _, c in items if c.hint}
        if len(hints) == 1:
            message += f" ({hints.pop()})"
        return ClaimOutcome(claim, False, error_v if error_v == error_v else float("inf"), tolerance_v, count, EXACT, message)
    message = (
        f"{claim}: {count} values within tolerance (largest |error| {error_v:.3g} at {c.where[index[0]]} [{chain}], "
        f"tolerance there {tolerance_v:.3g}); {size}"
    )
    return ClaimOutcome(claim, True, error_v, tolerance_v, count, EXACT, message)


def group_outcomes(items: list[tuple[str, Comparison]], safety: float = SAFETY) -> list[ClaimOutcome]:
    claims: dict[str, list[tuple[str, Comparison]]] = {}
    for chain, c in items:
        claims.setdefault(c.claim, []).append((chain, c))
    return [claim_outcome(claim, group, safety) for claim, group in claims.items()]
