"""z-tests on replicated estimates, built on the suite's own z-test (`elbo_suite.estimators.stats.ztest`):
its standard error (floored so that a zero-variance estimator is judged to rounding), its
skewness-corrected critical value, its Bonferroni split and its detectable error.

The gate adds what its claims need: many coordinates tested together (the level α is split over
them, so the whole claim raises a false alarm with probability ≤ α), one-sided tests, and a
reference that is itself a Monte Carlo mean (its standard error is added in quadrature).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.stats.ztest import POWER, bonferroni, critical_value, detectable_error, mean_and_stderr

SIDES = ("two-sided", "less", "greater")


@dataclass(frozen=True)
class ZTest:
    passed: bool
    index: int  # the coordinate closest to (or furthest past) rejection, flattened
    estimate: float
    expected: float
    standard_error: float
    z: float
    critical: float
    detectable: float  # smallest bias detected with probability POWER, at the largest SE
    n: int
    coordinates: int
    side: str
    power: float = POWER


def z_test(
    samples: Tensor,
    expected: Tensor,
    *,
    alpha: float,
    side: str = "two-sided",
    expected_standard_error: Tensor | None = None,
) -> ZTest:
    """samples (n, *shape) against expected (*shape), every coordinate at level α / coordinates.

    side: "two-sided" (mean = expected), "less" (mean ≤ expected: fails when clearly above) or
    "greater" (mean ≥ expected: fails when clearly below).
    """
    if side not in SIDES:
        raise ValueError(f"side: expected one of {SIDES}, got {side!r}")
    n = samples.shape[0]
    flat = samples.detach().double().reshape(n, -1)  # (n, m)
    target = expected.detach().double().reshape(-1)  # (m,)
    mean, stderr = mean_and_stderr(flat, target)
    if expected_standard_error is not None:
        stderr = torch.sqrt(stderr.square() + expected_standard_error.detach().double().reshape(-1).square())
    m = flat.shape[1]
    critical = critical_value(bonferroni(alpha, m), flat, two_sided=side == "two-sided")  # (m,)
    z = (mean - target) / stderr
    margin = {"two-sided": z.abs(), "less": z, "greater": -z}[side] - critical
    worst = int(margin.argmax())
    return ZTest(
        passed=bool((margin <= 0).all()),
        index=worst,
        estimate=float(mean[worst]),
        expected=float(target[worst]),
        standard_error=float(stderr[worst]),
        z=float(z[worst]),
        critical=float(critical[worst]),
        detectable=float(detectable_error(stderr, critical).max()),
        n=n,
        coordinates=m,
        side=side,
    )
