"""Correctness gate for users' own Gaussian KL, ELBO / IWAE and gradient-estimator code.

Each `check_*` function runs the user's callable on seeded exact Gaussian models and returns a
`GateResult` (passed, claim, error, n, alpha, message, details); bad input (a non-callable, a
callable that raises or returns the wrong type, dtype, shape, NaN or inf) raises `GateInputError`
with one line saying what was expected. The `assert_*` helpers raise AssertionError with the
result's message, for pytest. Each check's module docstring states the contract of the user's
function: `kl`, `elbo`, `gradients`.
"""

from elbo_suite.gate.asserts import (
    assert_elbo_estimator_correct,
    assert_gradient_estimator_correct,
    assert_kl_correct,
)
from elbo_suite.gate.callables import load_callable
from elbo_suite.gate.elbo import check_elbo_estimator
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.gradients import CallableTarget, check_gradient_estimator
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.result import ClaimOutcome, GateResult
from elbo_suite.gate.run import GATE_KINDS, run_gate

__all__ = [
    "GATE_KINDS",
    "CallableTarget",
    "ClaimOutcome",
    "GateInputError",
    "GateResult",
    "assert_elbo_estimator_correct",
    "assert_gradient_estimator_correct",
    "assert_kl_correct",
    "check_elbo_estimator",
    "check_gradient_estimator",
    "check_kl",
    "load_callable",
    "run_gate",
]
