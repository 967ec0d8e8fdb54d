"""Numbers as the report prints them: rounded where float64 rounding noise cannot reach.

Two runs of the same seeded computation on different machines (thread counts, SIMD widths,
summation orders) agree to about 1e-15 relative, not bit for bit. What they print must agree
byte for byte, so:
- a quantity that is exactly zero in exact arithmetic carries that knowledge (`EXACT_ZERO`) and
  prints as "0 (exact)", never as its rounding noise (a variance of 5.9e-32);
- an estimate prints to the last digit of its own standard error, and no number prints more
  than `MAX_DIGITS` significant digits, so noise at 1e-12 relative stays below the last digit
  (a digit flips only if a value lies within 1e-12 of a rounding boundary: odds below 1e-4 per
  number at 8 digits, 1e-8 at 4);
- a rounded zero never keeps the sign of its noise ("0", not "-0.000").
"""

from __future__ import annotations

import math

MAX_DIGITS = 8  # significant digits; noise is ~1e-15 relative, so 1e-8 leaves a wide margin
SE_DIGITS = 2  # significant digits of a standard error


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
    return _no_negative_zero(f"{value:.{min(digits, MAX_DIGITS)}g}")


def fixed(value: float, decimals: int) -> str:
    """`value` to a fixed number of decimals (for slopes, fractions), without a noisy "-0.00"."""
    return _no_negative_zero(f"{float(value):.{decimals}f}")


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
    rounded_error = float(f"{error:.{SE_DIGITS}g}")
    decimals = SE_DIGITS - 1 - math.floor(math.log10(rounded_error))
    if value != 0.0:  # no more than MAX_DIGITS significant digits of the value itself
        decimals = min(decimals, MAX_DIGITS - 1 - math.floor(math.log10(abs(value))))
    if decimals >= 0:
        return f"{fixed(value, decimals)} ± {fixed(rounded_error, decimals)}"
    step = 10 ** (-decimals)  # an error of 10 or more: both to whole multiples of its last digit
    return f"{_no_negative_zero(str(round(value / step) * step))} ± {round(rounded_error / step) * step}"
