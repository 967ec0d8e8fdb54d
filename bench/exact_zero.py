"""Sampled quantities that are exactly zero in exact arithmetic, reported as such.

A gradient estimator whose exact variance is 0 (sticking the landing at the posterior, a score
function with a baseline when f = log p(x, z) − log q(z) is constant) returns the same gradient
for every draw in exact arithmetic; float64 leaves a sample variance of ~1e-31 whose digits depend
on the machine. Such a variance is `EXACT_ZERO` when the sample agrees with 0 to rounding, and
the measured value otherwise, so that a disagreement shows in the table and fails its claim.
"""

from __future__ import annotations

import sys

from elbo_suite.numbers import EXACT_ZERO, is_exact_zero

# Rounding of a per-sample gradient of size s is a few hundred ulps of s; its sample variance is
# the square. 2²⁰ ulps leaves a margin of 10³ over that and is still 10⁻¹⁹ of s².
ROUNDING = 2**20 * sys.float_info.epsilon


def zero_to_rounding(value: float, scale: float = 1.0) -> bool:
    """|value| is below the rounding of quantities of size `scale` (value a first moment)."""
    return abs(value) <= ROUNDING * max(1.0, abs(scale))


def sampled_variance(measured: float, exactly_zero: bool, scale: float = 1.0) -> float:
    """The variance to report: EXACT_ZERO when theory says it is 0 and the sample agrees to
    rounding (variance ≤ (ROUNDING · scale)²), else the measured value."""
    if exactly_zero and measured <= (ROUNDING * max(1.0, abs(scale))) ** 2:
        return EXACT_ZERO
    return measured


def exact_variance(value: float) -> float:
    """A closed-form variance (exact_variance cancels to exactly 0): EXACT_ZERO when it is 0."""
    return EXACT_ZERO if value == 0.0 else value


def signal_to_noise(measured: float, variance: float, exact_mean: float) -> float | str:
    """|mean| / std; with an exactly zero variance, "∞" (a constant, nonzero gradient) or "—"
    (the constant is 0: 0/0, e.g. any unbiased gradient at the optimum). Strings, so that the
    JSON stays standard."""
    if not is_exact_zero(variance):
        return measured
    return "—" if zero_to_rounding(exact_mean) else "∞"
