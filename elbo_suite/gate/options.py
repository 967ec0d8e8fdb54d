"""Validation of the gate's own options: one line naming the option, its value and what was expected."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from elbo_suite.gate.errors import GateInputError


def require_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise GateInputError(f"{name}: expected one of {choices}, got {value!r}")


def require_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise GateInputError(f"{name}: expected an int ≥ {minimum}, got {value!r}")


def require_positive_float(name: str, value: object, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        expected = "None or a finite float > 0" if allow_none else "a finite float > 0"
        raise GateInputError(f"{name}: expected {expected}, got {value!r}")


def require_tolerances(rtol: object, atol: object) -> None:
    for name, value in (("rtol", rtol), ("atol", atol)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise GateInputError(f"{name}: expected a finite float ≥ 0, got {value!r}")


def require_alpha(alpha: object) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise GateInputError(f"alpha: expected a false-alarm rate in (0, 1), got {alpha!r}")


def require_known_options(check: Callable[..., Any], options: dict[str, Any], subject: str) -> None:
    """Options `check` does not take (its first parameter is the user's code), named in one line."""
    accepted = list(inspect.signature(check).parameters)[1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise GateInputError(
            f"option(s) {', '.join(unknown)} do not apply to {subject}; it takes {', '.join(sorted(accepted))}"
        )
