"""Values with a rounding-error bound: how far a correct implementation may stray from the exact value.

A correct diffusion function differs from the exact formula only by rounding, and how much depends
on the precision its schedule tables are kept in and on the condition of the formula: 1 − ᾱ_t at
t = 0 loses every digit that ᾱ_0 = 1 − β_0 shares with 1, and x̂₀ = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t near
ᾱ_t = 0 multiplies the rounding of x_t by 1/√ᾱ_t. So the reference formulas are evaluated on
`Approx` values, each a float64 value beside a first-order bound on the error of computing it the
usual way: every operation adds u·|result| (u the unit roundoff of the precision it runs in) to
the propagated errors of its operands. Schedule arithmetic (ᾱ_t = ∏(1 − β_s), 1 − ᾱ_t,
1 − ᾱ_t/ᾱ_{t'}, square roots, ratios) runs in the precision of the tables (2⁻²⁴ for float32
tables as diffusers and lucidrains keep them, 2⁻⁵³ for float64); anything that touches a float64
tensor runs in float64, as torch promotes a float32 scalar times a float64 tensor to float64.

The reference is written in the cancellation-prone forms codebases use (β_t recovered as
1 − ᾱ_t/ᾱ_{t'}, 1 − ᾱ_t from ᾱ_t), so its bound covers the usual ways of evaluating each formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

FLOAT64_UNIT = 2.0**-53
FLOAT32_UNIT = 2.0**-24
UNIT_ROUNDOFF = {torch.float64: FLOAT64_UNIT, torch.float32: FLOAT32_UNIT}


@dataclass(frozen=True)
class Approx:
    """value: the exact value (float64); error: a bound on |computed − exact|; unit: the unit
    roundoff of the precision the value is computed in."""

    value: Tensor
    error: Tensor
    unit: float

    @classmethod
    def exact(cls, value: Tensor | float, unit: float = FLOAT64_UNIT) -> Approx:
        value = torch.as_tensor(value, dtype=torch.float64)
        return cls(value, torch.zeros_like(value), unit)

    @classmethod
    def stored(cls, value: Tensor | float, unit: float) -> Approx:
        """A value rounded once to the precision `unit` (a table entry, a float32 input)."""
        value = torch.as_tensor(value, dtype=torch.float64)
        return cls(value, unit * value.abs(), unit)

    def _rounded(self, value: Tensor, error: Tensor, unit: float) -> Approx:
        return Approx(value, error + unit * value.abs(), unit)

    @staticmethod
    def _lift(other: Approx | float | Tensor) -> Approx:
        return other if isinstance(other, Approx) else Approx.exact(other, unit=1.0)

    def __add__(self, other: Approx | float | Tensor) -> Approx:
        o = self._lift(other)
        return self._rounded(self.value + o.value, self.error + o.error, min(self.unit, o.unit))

    __radd__ = __add__

    def __sub__(self, other: Approx | float | Tensor) -> Approx:
        o = self._lift(other)
        return self._rounded(self.value - o.value, self.error + o.error, min(self.unit, o.unit))

    def __rsub__(self, other: Approx | float | Tensor) -> Approx:
        return self._lift(other) - self

    def __neg__(self) -> Approx:
        return Approx(-self.value, self.error, self.unit)

    def __mul__(self, other: Approx | float | Tensor) -> Approx:
        o = self._lift(other)
        error = self.value.abs() * o.error + o.value.abs() * self.error
        return self._rounded(self.value * o.value, error, min(self.unit, o.unit))

    __rmul__ = __mul__

    def __truediv__(self, other: Approx | float | Tensor) -> Approx:
        o = self._lift(other)
        value = self.value / o.value
        error = (self.error + value.abs() * o.error) / o.value.abs()
        return self._rounded(value, error, min(self.unit, o.unit))

    def __rtruediv__(self, other: Approx | float | Tensor) -> Approx:
        return self._lift(other) / self

    def sqrt(self) -> Approx:
        value = self.value.clamp_min(0.0).sqrt()
        # d√a = da / (2√a); where a = 0 exactly, √(error) bounds it instead.
        safe = torch.where(value > 0, value, torch.ones_like(value))
        error = torch.where(value > 0, self.error / (2 * safe), self.error.sqrt())
        return self._rounded(value, error, self.unit)

    def log(self) -> Approx:
        value = self.value.log()
        return self._rounded(value, self.error / self.value.abs(), self.unit)

    def exp(self) -> Approx:
        value = self.value.exp()
        return self._rounded(value, value * self.error, self.unit)

    def clamp(self, low: float, high: float) -> Approx:
        # Clamping is 1-Lipschitz and exact on representable bounds.
        return Approx(self.value.clamp(low, high), self.error, self.unit)

    def index(self, t: Tensor) -> Approx:
        return Approx(self.value[t], self.error[t], self.unit)

    def view_rows(self, ndim: int) -> Approx:
        """(B,) per-row coefficients as (B, 1, ..., 1) to broadcast against (B, ...) tensors."""
        shape = (-1,) + (1,) * (ndim - 1)
        return Approx(self.value.reshape(shape), self.error.reshape(shape), self.unit)


def data(value: Tensor) -> Approx:
    """A float64 tensor the gate hands to the user's function: exact, and computed on in float64."""
    return Approx.exact(value, FLOAT64_UNIT)
