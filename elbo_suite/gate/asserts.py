"""pytest-style assertions over the gate checks: AssertionError carries the result's message.

Bad input (GateInputError) is not turned into an assertion: it propagates, so a broken test set-up
reads as an error, not as a failed check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elbo_suite.gate.elbo import check_elbo_estimator
from elbo_suite.gate.gradients import check_gradient_estimator
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.result import GateResult
from elbo_suite.gate.styles import check_loss


def _raise_unless_passed(result: GateResult) -> GateResult:
    __tracebackhide__ = True  # pytest: show the user's line, not this one
    if result.passed:
        return result
    lines = [result.message]
    failed = [c for c in result.details.get("claims", []) if not c["passed"]]
    lines += [f"  {c['message']}" for c in failed[1:]]
    raise AssertionError("\n".join(lines))


def assert_kl_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """check_kl(fn, **options), raising AssertionError (expected, actual, sample size) on failure."""
    __tracebackhide__ = True
    return _raise_unless_passed(check_kl(fn, **options))


def assert_elbo_estimator_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """check_elbo_estimator(fn, **options), raising AssertionError on failure."""
    __tracebackhide__ = True
    return _raise_unless_passed(check_elbo_estimator(fn, **options))


def assert_gradient_estimator_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """check_gradient_estimator(fn, **options), raising AssertionError on failure."""
    __tracebackhide__ = True
    return _raise_unless_passed(check_gradient_estimator(fn, **options))


def assert_loss_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """check_loss(fn, **options) — any supported style, read from the signature or style=... —
    raising AssertionError on failure."""
    __tracebackhide__ = True
    return _raise_unless_passed(check_loss(fn, **options))
