"""Sizes past which exact arithmetic is not attempted.

Exact integers are computed in C (GMP) in one call that neither a signal nor a time budget can
interrupt: 10^(10^10) would run for hours and 2^(2^65536) would exhaust memory before returning.
So a power is refused before it is computed when its result, or its expansion, would be huge; the
row is then unverified ("undecided") with the reason, and the rest of the document goes on.
"""

from __future__ import annotations

import math

import sympy as sp

from elbo_suite.identities.semantics.errors import NotClosed

MAX_LITERAL_DIGITS = 1000  # a number written in the document
MAX_RESULT_DIGITS = 2000  # an exact number a power would produce
MAX_EXPONENT = 10_000  # any exact integer exponent
MAX_EXPANDED_EXPONENT = 64  # the power of a sum, which normal forms expand


class TooLarge(NotClosed):
    """A number or an expansion too large to compute exactly."""


def literal(digits: str) -> None:
    if len(digits.replace(".", "")) > MAX_LITERAL_DIGITS:
        raise TooLarge(f"a number written with {len(digits)} digits is too long to evaluate exactly "
                       f"(more than {MAX_LITERAL_DIGITS})")


def power(base, exponent) -> None:
    """Refuse base**exponent when it would be too large to compute or to expand."""
    exponent = sp.sympify(exponent)
    if not exponent.is_number or not exponent.is_Rational:
        return
    size = max(abs(exponent.p), abs(exponent.q))
    if size > MAX_EXPONENT:
        raise TooLarge(f"the exponent {_short(exponent)} is too large to evaluate exactly "
                       f"(more than {MAX_EXPONENT})")
    base = sp.sympify(base)
    if base.is_number and base.is_Rational and base != 0:
        digits = abs(exponent.p) * max(math.log10(abs(base.p)), math.log10(base.q))
        if digits > MAX_RESULT_DIGITS:
            raise TooLarge(f"{_short(base)}^{_short(exponent)} has about {digits:.3g} digits: too large "
                           "to evaluate exactly")
    elif isinstance(base, sp.Add) and abs(exponent.p) > MAX_EXPANDED_EXPONENT:
        raise TooLarge(f"the power {_short(exponent)} of a sum of {len(base.args)} terms is too large "
                       f"to expand (more than {MAX_EXPANDED_EXPONENT})")


def expandable(expr) -> None:
    """Refuse to expand an expression that holds a huge power of a sum."""
    for pw in sp.sympify(expr).atoms(sp.Pow):
        power(pw.base, pw.exp)


def _short(x) -> str:
    if isinstance(x, sp.Integer) and abs(x) > 10**12:
        return f"~10^{int(abs(int(x)).bit_length() * math.log10(2))}"
    text = sp.sstr(x)
    return text if len(text) <= 40 else text[:37] + "..."
