"""One concrete instance of a linear-Gaussian chain: a length T, a schedule, a data law and the
coefficients of every learned map, all random rationals from a fixed seed.

Every quantity is drawn from its own stable key (the name of the thing it is), never from the
order in which rows ask for it, so a row sees the same instance whatever was checked before it.
An identity that holds for every schedule and every learned function holds here; a difference
found here is a counterexample with these numbers.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

# Values are small rationals so that a counterexample can be read and re-checked by hand.
_SCHEDULE = [Fraction(n, d) for n, d in ((1, 2), (2, 3), (3, 4), (4, 5), (3, 5), (5, 6), (2, 5),
                                          (7, 10), (5, 8), (9, 10))]
_REALS = [Fraction(n, d) for n, d in ((1, 3), (-1, 2), (2, 3), (1, 1), (-3, 4), (3, 2), (1, 4),
                                       (-2, 3), (5, 4), (-1, 5))]
_POSITIVES = [Fraction(n, d) for n, d in ((1, 2), (2, 1), (3, 2), (1, 3), (3, 4), (5, 4), (2, 3),
                                           (5, 2), (4, 5), (6, 5))]
# Slopes of learned maps stay away from 0 so that no map is accidentally constant.
_SLOPES = [Fraction(n, d) for n, d in ((1, 2), (-2, 3), (3, 4), (5, 4), (-1, 3), (2, 1), (-3, 2),
                                        (4, 5), (-5, 4), (1, 5))]


def _rng(seed: int, key: str) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}|{key}".encode()))


@dataclass
class World:
    T: int
    seed: int
    theta: int = 0  # which instance of the learned maps (argmin checks vary it)
    perturbed: frozenset = frozenset({"theta"})  # parameter groups that `theta` varies
    used: dict = field(default_factory=dict)  # key -> value of every number a row used
    groups: dict = field(default_factory=dict)  # key -> parameter group of a learned coefficient
    overrides: dict = field(default_factory=dict)  # key -> value set by an argmin analysis

    def label(self) -> str:
        return f"T={self.T}, instance {self.seed}"

    # -- the schedule ------------------------------------------------------------------------
    def alpha(self, k: int) -> Fraction:
        if not 1 <= k <= self.T:
            raise IndexError(f"α_{k} is outside the schedule α_1..α_{self.T}")
        return self._draw(f"alpha_{k}", _SCHEDULE)

    def alpha_bar(self, k: int) -> Fraction:
        if not 0 <= k <= self.T:
            raise IndexError(f"ᾱ_{k} is outside 0..{self.T}")
        out = Fraction(1)
        for i in range(1, k + 1):
            out *= self.alpha(i)
        return out

    # -- free parameters and learned maps ----------------------------------------------------
    def real(self, key: str, group: str = "") -> Fraction:
        return self._draw(self._key(key, group), _REALS)

    def positive(self, key: str, group: str = "") -> Fraction:
        return self._draw(self._key(key, group), _POSITIVES)

    def slope(self, key: str, group: str = "") -> Fraction:
        return self._draw(self._key(key, group), _SLOPES)

    def data_mean(self) -> Fraction:
        return self._draw("data mean", _REALS)

    def data_var(self) -> Fraction:
        return self._draw("data variance", _POSITIVES)

    def point(self, variable: str) -> Fraction:
        """The value a free variable takes when a counterexample is printed."""
        return self._draw(f"point {variable}", _REALS)

    def _key(self, key: str, group: str) -> str:
        if group and group in self.perturbed and self.theta:
            key = f"{key}#{self.theta}"
        if group:
            self.groups[key] = group
        return key

    def _draw(self, key: str, pool: list[Fraction]) -> Fraction:
        value = self.overrides[key] if key in self.overrides else \
            pool[_rng(self.seed, key).randrange(len(pool))]
        self.used[key] = value
        return value

    def with_theta(self, instance: int, groups=frozenset({"theta"})) -> "World":
        return World(self.T, self.seed, instance, frozenset(groups))

    def with_overrides(self, overrides: dict) -> "World":
        return World(self.T, self.seed, self.theta, self.perturbed, overrides=dict(overrides))
