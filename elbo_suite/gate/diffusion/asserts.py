"""pytest-style assertion over check_diffusion (GateInputError propagates as an error, not a failure)."""

from __future__ import annotations

from typing import Any

from elbo_suite.gate.asserts import _raise_unless_passed
from elbo_suite.gate.diffusion.check import check_diffusion
from elbo_suite.gate.result import GateResult


def assert_diffusion_correct(target: Any, **options: Any) -> GateResult:
    """check_diffusion(target, **options), raising AssertionError with the failed claims' messages."""
    __tracebackhide__ = True
    return _raise_unless_passed(check_diffusion(target, **options))
