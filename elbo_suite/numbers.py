"""Numbers as the report prints them: rounded where float64 rounding noise cannot reach.

Two runs of the same seeded computation on different machines (thread counts, SIMD widths,
summation orders) agree to about 1e-15 relative, not bit for bit. What they print must agree
byte for byte, so:
- a quantity that is exactly zero in exact arithmetic carries that knowledge (`EXACT_ZERO`) and
  prints as "0 (exact)", never as its rounding noise (a variance of 5.9e-32);
- an estimate prints to the last digit of its own standard error, and no number prints more
  than `MAX_DIGITS` significant digits, so noise at 1e-12 relative stays below the last digit;
- a value within `GUARD` (1e-9 relative) of a rounding boundary gets one more digit, until the
  boundary is behind it: noise cannot decide which way an exact 0.015625 rounds at 4 digits
  (it prints "0.015625"), and only a value that lies between 1e-9 and 1e-9 ± 1e-12 from a
  boundary could still print differently (odds ~1e-12 per number);
- a rounded zero never keeps the sign of its noise ("0", not "-0.000").
"""

from __future__ import annotations

import math
from collections.abc import Callable

MAX_DIGITS = 8  # significant digits; noise is ~1e-15 relative, so 1e-8 leaves a wide margin
SE_DIGITS = 2  # significant digits of a standard error
GUARD = 1e-9  # relative distance to a rounding boundary below which one more digit is printed
GUARD_DIGITS = 12  # the guard adds digits up to this many (binary fractions end by then)


class ExactZero(float):
    """A value that is 0 in exact arithmetic (a zero-variance estimator's variance, a closed-form
    difference that cancels): it prints as "0 (exact)" and serialises as the float 0.0."""

    def __new__(cls) -> ExactZero:
        return super().__new__(cls, 0.0)

    def __repr__(self) -> str:
        return "EXACT_ZERO"

    def __reduce__(self):  # copies and pickles stay exact zeros
        return (ExactZero, ())


EXACT_ZERO = ExactZero()
EXACT_ZERO_TEXT = "0 (exact)"


def is_exact_zero(value: object) -> bool:
    return isinstance(value, ExactZero)


def _no_negative_zero(text: str) -> str:
    # "-0", "-0.000", "-0e+00": the sign of rounding noise, not of the quantity.
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        return text[1:]
    return text


def _guarded(render: Callable[[float, int], str], value: float, precision: int, most: int) -> str:
    """render(value, precision), with more precision while value ± GUARD would print differently."""
    while precision < most and render(value * (1 - GUARD), precision) != render(value * (1 + GUARD), precision):
        precision += 1
    return _no_negative_zero(render(value, precision))


def _significant(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def _decimals(value: float, decimals: int) -> str:
    """`decimals` places; a negative count rounds to tens, hundreds, … and prints an integer."""
    return f"{value:.{decimals}f}" if decimals >= 0 else str(int(round(value, decimals)))


def number(value: object, digits: int = 4) -> str:
    """One cell: strings as they are, ints in full, booleans as yes/no, floats to `digits`
    significant digits (at most MAX_DIGITS), exact zeros as "0 (exact)", ±inf as ±∞, NaN as —."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, ExactZero):
        return EXACT_ZERO_TEXT
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0.0:
        return "0"
    return _guarded(_significant, value, min(digits, MAX_DIGITS), GUARD_DIGITS)


def fixed(value: float, decimals: int) -> str:
    """`value` to a fixed number of decimals (for slopes, fractions), without a noisy "-0.00"."""
    return _guarded(_decimals, float(value), decimals, decimals + GUARD_DIGITS)


def with_error(value: float, error: float) -> str:
    """"estimate ± standard error": the error to two significant digits and the estimate to the
    error's last digit (never beyond MAX_DIGITS significant digits). An exact zero error (an
    exact check, a zero-variance estimator) prints as "± 0 (exact)"."""
    value, error_is_exact = float(value), is_exact_zero(error)
    error = float(error)
    if error_is_exact or error == 0.0:
        return f"{number(value, 6)} ± {EXACT_ZERO_TEXT if error_is_exact else '0'}"
    if not math.isfinite(value) or not math.isfinite(error) or error < 0:
        return f"{number(value, 6)} ± {number(error, SE_DIGITS)}"
    digits = SE_DIGITS  # or more where two would leave the last one to noise
    while digits < GUARD_DIGITS and _significant(error * (1 - GUARD), digits) != _significant(error * (1 + GUARD), digits):
        digits += 1
    rounded_error = float(_significant(error, digits))
    decimals = digits - 1 - math.floor(math.log10(rounded_error))
    if value != 0.0:  # no more than MAX_DIGITS significant digits of the value itself
        decimals = min(decimals, MAX_DIGITS - 1 - math.floor(math.log10(abs(value))))
    return f"{fixed(value, decimals)} ± {_decimals(rounded_error, decimals)}"
