"""Exact expectations under ε ~ N(0, 1) of sums of terms c · εⁿ · exp(α ε + β ε²).

The class is closed under +, × and d/dε, and every term has a closed-form expectation:
with a = 1 − 2β > 0,  E[εⁿ e^{αε + βε²}] = a^{-1/2} e^{α²/(2a)} E[Yⁿ],  Y ~ N(α/a, 1/a).
Complex α covers cos and sin. This is enough to write every per-sample gradient of a Gaussian
with the costs x, x², (x − k)², eˣ, cos(kx), e^{−kx²} or a linear-Gaussian ELBO as an exact
function of ε, and so to get its mean, variance and fourth central moment without sampling.

A coefficient that cancels to within a few ulps of the parts it was summed from is exactly 0:
float64 cannot tell it from 0, and exact arithmetic would give 0 (sticking the landing at the
posterior has ∂mean = (1/σ − 2σ) ε with σ² = ½, which float64 leaves at 1e-16 ε). So a
zero-variance estimator's exact variance is 0 itself, not its rounding noise.
"""

from __future__ import annotations

import cmath
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass

Key = tuple[int, complex, float]  # (n, α, β)
CANCELLATION_ULPS = 64  # a coefficient within this many ulps of the sum of its parts' sizes is 0


def _collect(parts: Iterable[tuple[Key, complex]]) -> dict[Key, complex]:
    """Sum the coefficients of equal keys; a real or imaginary part that cancels to rounding is
    exactly 0, and a term whose coefficient is 0 is dropped."""
    sums: dict[Key, complex] = {}
    sizes: dict[Key, float] = {}
    for key, c in parts:
        sums[key] = sums.get(key, 0j) + c
        sizes[key] = sizes.get(key, 0.0) + abs(c)
    terms = {}
    for key, total in sums.items():
        tolerance = CANCELLATION_ULPS * sys.float_info.epsilon * sizes[key]
        real = 0.0 if abs(total.real) <= tolerance else total.real
        imag = 0.0 if abs(total.imag) <= tolerance else total.imag
        if real or imag:
            terms[key] = complex(real, imag)
    return terms


def _gaussian_raw_moment(n: int, mean: complex, variance: float) -> complex:
    # E[Yⁿ] = Σ_{j even} C(n, j) meanⁿ⁻ʲ varianceʲᐟ² (j − 1)!!
    total = 0j
    for j in range(0, n + 1, 2):
        double_factorial = math.prod(range(j - 1, 0, -2)) if j else 1
        total += math.comb(n, j) * mean ** (n - j) * variance ** (j // 2) * double_factorial
    return total


@dataclass(frozen=True)
class GaussianExpression:
    terms: dict[Key, complex]

    @classmethod
    def constant(cls, c: complex) -> GaussianExpression:
        return cls({(0, 0j, 0.0): complex(c)})

    @classmethod
    def eps(cls) -> GaussianExpression:
        return cls({(1, 0j, 0.0): 1 + 0j})

    @classmethod
    def exp_term(cls, coefficient: complex, alpha: complex, beta: float = 0.0) -> GaussianExpression:
        """coefficient · exp(α ε + β ε²)."""
        if not beta < 0.5:
            raise ValueError(f"beta: expected β < 1/2 for a finite expectation, got {beta!r}")
        return cls({(0, complex(alpha), float(beta)): complex(coefficient)})

    def __add__(self, other: GaussianExpression | complex | float) -> GaussianExpression:
        other = other if isinstance(other, GaussianExpression) else GaussianExpression.constant(other)
        return GaussianExpression(_collect([*self.terms.items(), *other.terms.items()]))

    __radd__ = __add__

    def __neg__(self) -> GaussianExpression:
        return GaussianExpression({key: -c for key, c in self.terms.items()})

    def __sub__(self, other: GaussianExpression | complex | float) -> GaussianExpression:
        return self + (-other if isinstance(other, GaussianExpression) else -complex(other))

    def __rsub__(self, other: complex | float) -> GaussianExpression:
        return (-self) + other

    def __mul__(self, other: GaussianExpression | complex | float) -> GaussianExpression:
        if not isinstance(other, GaussianExpression):
            return GaussianExpression({key: c * other for key, c in self.terms.items()})
        return GaussianExpression(_collect(
            ((n1 + n2, a1 + a2, b1 + b2), c1 * c2)
            for (n1, a1, b1), c1 in self.terms.items()
            for (n2, a2, b2), c2 in other.terms.items()
        ))

    __rmul__ = __mul__

    def __pow__(self, power: int) -> GaussianExpression:
        result = GaussianExpression.constant(1.0)
        for _ in range(power):
            result = result * self
        return result

    def derivative(self) -> GaussianExpression:
        """d/dε of every term: (n εⁿ⁻¹ + (α + 2β ε) εⁿ) e^{αε + βε²}."""
        return GaussianExpression(_collect(
            (key, value)
            for (n, a, b), c in self.terms.items()
            for key, value in (((n - 1, a, b), c * n), ((n, a, b), c * a), ((n + 1, a, b), c * 2.0 * b))
            if value != 0 and key[0] >= 0
        ))

    def expectation(self) -> float:
        """E[expression] under ε ~ N(0, 1), as a real number."""
        total = 0j
        for (n, a, b), c in self.terms.items():
            precision = 1.0 - 2.0 * b
            if precision <= 0:
                raise ValueError(f"expression: a term exp({b} ε²) has no finite expectation")
            scale = cmath.exp(a * a / (2.0 * precision)) / math.sqrt(precision)
            total += c * scale * _gaussian_raw_moment(n, a / precision, 1.0 / precision)
        if abs(total.imag) > 1e-9 * max(1.0, abs(total.real)):
            raise ValueError(f"expression: expected a real expectation, got {total}")
        return total.real

    def variance(self) -> float:
        mean = self.expectation()
        return (self * self).expectation() - mean * mean

    def fourth_central_moment(self) -> float:
        return ((self - self.expectation()) ** 4).expectation()
