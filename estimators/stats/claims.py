"""Statistical (and one exact) tests of the ELBO claims, on per-sample values (n, B).

Each data point b is tested on its own and the level is split over the B points (Bonferroni), so
one wrong data point cannot hide behind the others; the result reports the worst point. Every
function returns a CheckResult whose `alpha` is the false-alarm rate of the whole check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor

from elbo_suite.estimators.stats.result import CheckResult
from elbo_suite.numbers import EXACT_ZERO
from elbo_suite.estimators.stats.ztest import bonferroni, critical_value, detectable_error, mean_and_stderr

BOUND = "bound"
GAP_IDENTITY = "gap identity"
TIGHTNESS = "tightness"
UNBIASED = "unbiased"
IWAE_ORDERING = "IWAE ordering"
IWAE_CONVERGENCE = "IWAE convergence"

# What the null hypothesis says about E[values] relative to the reference, and how a rejection
# reads. "exceeds" is the one detection test: it passes only when E[values] > reference is shown.
_AT_MOST, _AT_LEAST, _EQUAL, _EXCEEDS = "≤", "≥", "=", ">"
# Margins (in z units) closer than this are a tie: rounding noise, not the data, would decide
# between them, so the first point or link is reported and every machine reports the same one.
TIE = 1e-9


def first_largest(margins: Sequence[float], tie: float) -> int:
    """The index of the largest margin; among margins within `tie` of it, the first."""
    largest = max(margins)
    return next(i for i, margin in enumerate(margins) if margin >= largest - tie)


def _require_values(values: Tensor, reference: Tensor) -> None:
    if not isinstance(values, Tensor) or values.dim() != 2:
        shape = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(f"values: expected per-sample values of shape (n, B), got {shape}")
    if reference.shape != values.shape[1:]:
        raise ValueError(
            f"exact: expected shape (B,) = ({values.shape[1]},), got {tuple(reference.shape)}"
        )
    if not bool(torch.isfinite(values).all()):
        raise ValueError("values: expected finite per-sample values, found NaN or inf")


def _z_test(
    claim: str, subject: str, model: str, values: Tensor, reference: Tensor, alpha: float, kind: str
) -> tuple[CheckResult, float]:
    """One claim on every data point; returns the worst point's result and its margin in z units
    (positive = rejected)."""
    _require_values(values, reference)
    values, reference = values.detach().double(), reference.detach().double()
    n, batch_size = values.shape
    mean, stderr = mean_and_stderr(values, reference)
    z = (mean - reference) / stderr  # (B,)
    critical = critical_value(bonferroni(alpha, batch_size), values, two_sided=kind == _EQUAL)
    margin = {_AT_MOST: z - critical, _AT_LEAST: -z - critical, _EQUAL: z.abs() - critical,
              _EXCEEDS: critical - z}[kind]
    worst = first_largest(margin.tolist(), TIE * max(1.0, float(margin.abs().max())))
    passed = bool(margin[worst] <= 0)
    error = float(mean[worst] - reference[worst])
    detectable = float(detectable_error(stderr[worst], critical[worst]))
    verdict = "holds" if passed else "FAILS"
    message = (
        f"{claim} {verdict} for {subject}: estimate {float(mean[worst]):.6g} ± {float(stderr[worst]):.2g} "
        f"vs exact {float(reference[worst]):.6g}, difference {error:+.3g} "
        f"(z = {float(z[worst]):+.1f}, claim: mean {kind} exact, critical {float(critical[worst]):.2f}) "
        f"at data point {worst} of {batch_size}; {model}; n = {n}, α = {alpha:.2g}, "
        f"detectable error {detectable:.2g}"
    )
    result = CheckResult(
        claim=claim, subject=subject, model=model, estimate=float(mean[worst]),
        stderr=float(stderr[worst]), exact=float(reference[worst]), passed=passed, alpha=alpha,
        n=n, detectable_error=detectable, message=message, data_point=worst,
    )
    return result, float(margin[worst])


def bound_claim(values: Tensor, log_marginal: Tensor, *, alpha: float = 1e-6,
                subject: str = "ELBO", model: str = "") -> CheckResult:
    """One-sided: E[values] ≤ log p(x) (values (n, B), log_marginal (B,))."""
    return _z_test(BOUND, subject, model, values, log_marginal, alpha, _AT_MOST)[0]


def gap_identity_claim(values: Tensor, kl_to_posterior: Tensor, log_marginal: Tensor, *,
                       alpha: float = 1e-6, subject: str = "ELBO + KL(q‖p(z|x))",
                       model: str = "") -> CheckResult:
    """Two-sided: E[values] + KL(q‖p(z|x)) = log p(x)."""
    return _z_test(GAP_IDENTITY, subject, model, values + kl_to_posterior, log_marginal, alpha, _EQUAL)[0]


def unbiased_claim(values: Tensor, exact: Tensor, *, alpha: float = 1e-6, subject: str = "ELBO",
                   model: str = "") -> CheckResult:
    """Two-sided: E[values] = exact, the closed-form value of what the estimator estimates."""
    return _z_test(UNBIASED, subject, model, values, exact, alpha, _EQUAL)[0]


def ordering_claim(chain: Sequence[tuple[str, Tensor]], upper: tuple[str, Tensor] | None = None, *,
                   alpha: float = 1e-6, model: str = "") -> CheckResult:
    """One-sided on paired differences: E[chain_0] ≤ E[chain_1] ≤ … (≤ upper, exact).

    The chain's values must come from common random numbers, sample for sample, so that each link
    is tested on the difference of two paired estimates (far smaller variance than either). The
    level is split over the links; the weakest link is reported.
    """
    links = [
        (f"{lower_name} ≤ {upper_name}", upper_values - lower_values)
        for (lower_name, lower_values), (upper_name, upper_values) in zip(chain, chain[1:])
    ]
    num_tests = len(links) + (upper is not None)
    if num_tests < 1:
        raise ValueError("chain: expected at least two estimators, or one and an exact upper bound")
    level = bonferroni(alpha, num_tests)
    outcomes = [
        _z_test(IWAE_ORDERING, subject, model, difference,
                torch.zeros(difference.shape[1], dtype=difference.dtype), level, _AT_LEAST)
        for subject, difference in links
    ]
    if upper is not None:
        (last_name, last_values), (upper_name, upper_values) = chain[-1], upper
        outcomes.append(_z_test(IWAE_ORDERING, f"{last_name} ≤ {upper_name}", model, last_values,
                                upper_values, level, _AT_MOST))
    margins = [margin for _, margin in outcomes]
    worst, _ = outcomes[first_largest(margins, TIE * max(1.0, max(abs(m) for m in margins)))]
    note = f" (each of the {num_tests} links at α/{num_tests}; α = {alpha:.2g} for the chain)"
    return replace(worst, alpha=alpha, message=worst.message + note)


def improvement_claim(lower: Tensor, upper: Tensor, *, alpha: float = 1e-6,
                      subject: str = "IWAE_K − ELBO", model: str = "") -> CheckResult:
    """Detection: E[upper − lower] > 0 is shown at level alpha, on paired values (n, B).

    Used for IWAE_K → log p(x): at q ≠ p(z|x) a larger K must close part of the gap. Here alpha is
    the chance of passing an estimator with no improvement at all; a correct estimator fails only
    when its true improvement is below `detectable_error` (the message shows both).
    """
    difference = upper - lower
    zero = torch.zeros(difference.shape[1], dtype=difference.dtype)
    return _z_test(IWAE_CONVERGENCE, subject, model, difference, zero, alpha, _EXCEEDS)[0]


def tightness_claim(values: Tensor, log_marginal: Tensor, tolerance: float, *,
                    subject: str = "ELBO at q = p(z|x)", model: str = "") -> CheckResult:
    """Exact: every single-sample value equals log p(x) within `tolerance` (rounding), so the
    estimator has zero variance. No randomness in the verdict: alpha = 0.

    Deviations within the tolerance are rounding noise, so they never pick the data point: the
    first point beyond the tolerance is reported (the first of the batch when all hold), and a
    claim that holds reports a standard error of exactly zero (`EXACT_ZERO`)."""
    _require_values(values, log_marginal)
    values, log_marginal = values.detach().double(), log_marginal.detach().double()
    n, batch_size = values.shape
    deviation = (values - log_marginal).abs().max(0).values  # (B,)
    worst = first_largest(deviation.tolist(), tolerance)
    largest = float(deviation[worst])
    passed = largest <= tolerance
    if passed:
        stderr = EXACT_ZERO
        message = (f"{TIGHTNESS} holds for {subject}: every single-sample value equals log p(x) to "
                   f"rounding (tolerance {tolerance:.2g}) at each of the {batch_size} data points; "
                   f"{model}; n = {n}")
    else:
        stderr = float(values[:, worst].std(correction=1)) if n > 1 else 0.0
        message = (f"{TIGHTNESS} FAILS for {subject}: single-sample values differ by up to "
                   f"{largest:.3g} from log p(x) = {float(log_marginal[worst]):.6g} (tolerance "
                   f"{tolerance:.2g}, sample std {stderr:.2g}) at data point {worst} of {batch_size}; "
                   f"{model}; n = {n}")
    return CheckResult(
        claim=TIGHTNESS, subject=subject, model=model, estimate=float(values[:, worst].mean()),
        stderr=stderr, exact=float(log_marginal[worst]), passed=passed, alpha=0.0, n=n,
        detectable_error=tolerance, message=message, data_point=worst,
    )
