"""Correctness gate for users' own Gaussian KL, ELBO / IWAE and gradient-estimator code.

Each `check_*` function runs the user's callable on seeded exact Gaussian models and returns a
`GateResult`; bad input (a non-callable, a callable that raises or returns the wrong type,
dtype, shape, NaN or inf) raises `GateInputError` with one line saying what was expected.
The `assert_*` helpers raise AssertionError with the result's message, for pytest.
"""

from elbo_suite.gate.callables import load_callable
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.result import ClaimOutcome, GateResult

__all__ = [
    "ClaimOutcome",
    "GateInputError",
    "GateResult",
    "check_kl",
    "load_callable",
]
