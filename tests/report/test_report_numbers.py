"""Printed numbers: rounded where float64 rounding cannot reach them."""

from __future__ import annotations

import copy
import json
import math
import pickle

import pytest

from elbo_suite.numbers import EXACT_ZERO, fixed, is_exact_zero, number, with_error


@pytest.mark.parametrize("value, text", [
    (EXACT_ZERO, "0 (exact)"), (0.0, "0"), (-0.0, "0"), (-1e-300, "-1e-300"), (3, "3"), (True, "yes"),
    ("—", "—"), (1.76123e4, "1.761e+04"), (math.inf, "∞"), (math.nan, "—"), (2.0000000000000004, "2"),
])
def test_number(value, text):
    assert number(value) == text


def test_fixed_never_prints_the_sign_of_noise():
    assert fixed(-1e-17, 3) == "0.000" and fixed(-0.0004, 3) == "0.000" and fixed(-0.0006, 3) == "-0.001"


@pytest.mark.parametrize("value, error, text", [
    (-1.867613, 0.000157, "-1.86761 ± 0.00016"),  # the estimate to the error's last digit
    (-62.23319, 0.0901, "-62.233 ± 0.090"),
    (151.2, 21.6, "151 ± 22"),
    (17612.3, 137.0, "17610 ± 140"),
    (-2.998240001, EXACT_ZERO, "-2.99824 ± 0 (exact)"),
    (42.38271234567, 1e-13, "42.382712 ± 0.000000"),  # never more than 8 significant digits
])
def test_with_error(value, error, text):
    assert with_error(value, error) == text


def test_noise_below_the_last_digit_prints_the_same():
    for value, error in [(-1.867613, 0.000157), (42.1, 1.3e-5), (0.00413797, 0.00012)]:
        assert with_error(value, error) == with_error(value * (1 + 1e-12), error * (1 - 1e-12))


def test_an_exact_zero_survives_copies_and_serialises_as_zero():
    assert is_exact_zero(copy.deepcopy(EXACT_ZERO)) and is_exact_zero(pickle.loads(pickle.dumps(EXACT_ZERO)))
    assert json.dumps({"variance": EXACT_ZERO}) == '{"variance": 0.0}'
    assert not is_exact_zero(0.0) and EXACT_ZERO == 0.0


@pytest.mark.parametrize("value, digits, text", [
    (0.015625, 4, "0.015625"),  # 2⁻⁶ sits on a 4-digit rounding boundary: one more digit
    (0.0125, 2, "0.0125"),
    (1.40625, 5, "1.40625"),
])
def test_a_value_on_a_rounding_boundary_prints_what_noise_cannot_flip(value, digits, text):
    for noisy in (value, value * (1 + 1e-15), value * (1 - 1e-15)):
        assert number(noisy, digits) == text
    assert fixed(2.5, 0) == fixed(2.5 * (1 + 1e-15), 0) == fixed(2.5 * (1 - 1e-15), 0) == "2.5"
