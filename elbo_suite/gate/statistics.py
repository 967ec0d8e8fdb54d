"""z-tests on replicated estimates, with a stated false-alarm rate and power.

Each test compares the mean of n independent replicates with an exact value (or with a second,
independent sample mean), coordinate by coordinate. With m coordinates tested together, each
uses α/m (Bonferroni), so the whole claim raises a false alarm with probability ≤ α. The power
is stated as the smallest bias detected with probability 0.95: (z_{α/m} + z_{0.05}) · SE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

Z_POWER_95 = 1.6448536269514722  # one-sided 95% normal quantile


def normal_quantile_upper(tail: float) -> float:
    """z with P(Z > z) = tail for Z ~ N(0, 1)."""
    if not 0.0 < tail < 1.0:
        raise ValueError(f"tail: expected a probability in (0, 1), got {tail!r}")
    return math.sqrt(2.0) * float(torch.special.erfinv(torch.tensor(1.0 - 2.0 * tail, dtype=torch.float64)))


@dataclass(frozen=True)
class ZTest:
    passed: bool
    index: int  # the coordinate with the largest |z| (flattened)
    estimate: float
    expected: float
    standard_error: float
    z: float
    critical: float
    detectable: float  # smallest bias detected with probability 0.95 at the worst coordinate's SE
    n: int
    coordinates: int
    side: str


def z_test(
    samples: Tensor,
    expected: Tensor,
    *,
    alpha: float,
    side: str = "two-sided",
    expected_standard_error: Tensor | None = None,
    zero_variance_atol: float = 1e-9,
) -> ZTest:
    """samples (n, *shape) against expected (*shape).

    side: "two-sided" (mean = expected), "less" (mean ≤ expected: fails when clearly above) or
    "greater" (mean ≥ expected). expected_standard_error adds the SE of an estimated reference.
    A coordinate with zero sample variance must match to zero_variance_atol (an exact check).
    """
    n = samples.shape[0]
    flat = samples.detach().reshape(n, -1)
    target = expected.detach().reshape(-1)
    mean = flat.mean(0)
    se = flat.std(0) / math.sqrt(n)
    if expected_standard_error is not None:
        se = torch.sqrt(se.square() + expected_standard_error.detach().reshape(-1).square())
    m = flat.shape[1]
    tail = alpha / m if side != "two-sided" else alpha / (2 * m)
    critical = normal_quantile_upper(tail)
    difference = mean - target
    degenerate = se <= zero_variance_atol * (1.0 + target.abs())
    safe_se = torch.where(degenerate, torch.ones_like(se), se)
    z = difference / safe_se
    if side == "less":
        bad = torch.where(degenerate, difference > zero_variance_atol * (1 + target.abs()), z > critical)
        score = z
    elif side == "greater":
        bad = torch.where(degenerate, difference < -zero_variance_atol * (1 + target.abs()), z < -critical)
        score = -z
    else:
        bad = torch.where(degenerate, difference.abs() > zero_variance_atol * (1 + target.abs()), z.abs() > critical)
        score = z.abs()
    score = torch.where(degenerate, torch.where(bad, torch.full_like(score, float("inf")), torch.zeros_like(score)), score)
    worst = int(score.argmax())
    return ZTest(
        passed=not bool(bad.any()),
        index=worst,
        estimate=float(mean[worst]),
        expected=float(target[worst]),
        standard_error=float(se[worst]),
        z=float(z[worst]) if not bool(degenerate[worst]) else (0.0 if not bool(bad[worst]) else float("inf")),
        critical=critical,
        detectable=(critical + Z_POWER_95) * float(se.max()),
        n=n,
        coordinates=m,
        side=side,
    )
