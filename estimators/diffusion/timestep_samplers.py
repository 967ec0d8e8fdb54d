"""How a diffusion ELBO estimator picks its timesteps: one contract, one small class per scheme.

    sampler.draw(shape, generator) -> (t, weight)        # each (*shape, K); t long in 1 … T

Every sampler is unbiased for a sum over timesteps: E[Σ_k weight_k f(t_k)] = Σ_{t=1}^{T} f(t) for
any f, so −KL(q(x_T|x₀) ‖ p(x_T)) − Σ_k weight_k ℓ_{t_k} is an unbiased ELBO estimate. K is the
number of per-step losses one estimate costs (`draws_per_estimate`).

`components()` states the sampler's law (timestep_samplers.Component); `exact_variance(mean, variance)` gives the variance of Σ_k weight_k ℓ_{t_k} when ℓ_t has the given
mean and variance (each (B, T), column t − 1) and the losses at different draws are independent
given the timesteps (fresh noise per draw): Var = E_t[(Σ_k w_k m_{t_k})²] + E_t[Σ_k w_k² v_{t_k}] − (Σ_t m_t)².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor

from elbo_suite.estimators.validation import require_finite, require_float_tensor, require_positive_int


def _total(mean: Tensor) -> Tensor:  # (B,) Σ_t m_t
    return mean.sum(-1)


class Component(NamedTuple):
    """One independent part of an estimate Σ_k w_k ℓ_{t_k}: with probability probabilities[o] it is
    Σ_j weights[o, j] ℓ_{timesteps[o, j]}, the ℓ's independent given the timesteps. A sampler's
    estimate is the sum of its independent components (`components()`), which is all its exact
    moments need (estimate_moments.py)."""

    probabilities: Tensor  # (O,)
    timesteps: Tensor  # (O, J) long
    weights: Tensor  # (O, J)


def _component(probabilities, timesteps, weights) -> Component:
    return Component(torch.tensor(probabilities, dtype=torch.float64), torch.tensor(timesteps),
                     torch.tensor(weights, dtype=torch.float64))


@dataclass(frozen=True)
class EveryTimestep:
    """The full sum: every t once, weight 1 (improved-diffusion's calc_bpd_loop)."""

    num_steps: int
    name: str = "every t"

    @property
    def draws_per_estimate(self) -> int:
        return self.num_steps

    def draw(self, shape: tuple[int, ...], generator: torch.Generator) -> tuple[Tensor, Tensor]:
        t = torch.arange(1, self.num_steps + 1).expand(*shape, self.num_steps)
        return t, torch.ones(t.shape, dtype=torch.float64)

    def exact_variance(self, mean: Tensor, variance: Tensor) -> Tensor:
        return variance.sum(-1)

    def components(self) -> list[Component]:
        return [_component([1.0], [list(range(1, self.num_steps + 1))], [[1.0] * self.num_steps])]


@dataclass(frozen=True)
class UniformTimestep:
    """One t ~ U{1 … T}, weight T: the single-term estimator T·ℓ_t that training uses."""

    num_steps: int
    name: str = "uniform t"
    draws_per_estimate: int = 1

    def draw(self, shape: tuple[int, ...], generator: torch.Generator) -> tuple[Tensor, Tensor]:
        t = torch.randint(1, self.num_steps + 1, (*shape, 1), generator=generator)
        return t, torch.full(t.shape, float(self.num_steps), dtype=torch.float64)

    def exact_variance(self, mean: Tensor, variance: Tensor) -> Tensor:
        return self.num_steps * (mean.square() + variance).sum(-1) - _total(mean).square()

    def components(self) -> list[Component]:
        T = self.num_steps
        return [_component([1.0 / T] * T, [[t] for t in range(1, T + 1)], [[float(T)]] * T)]


@dataclass(frozen=True)
class ImportanceTimestep:
    """One t ~ p, weight 1/p_t (improved DDPM's importance-sampled L_vlb). Every p_t must be > 0."""

    probabilities: Tensor  # (T,) p_t, column t − 1; sums to 1
    name: str = "importance t"
    draws_per_estimate: int = 1

    def __post_init__(self) -> None:
        p = require_float_tensor("probabilities", self.probabilities)
        if p.dim() != 1:
            raise ValueError(f"probabilities: expected shape (T,), got {tuple(p.shape)}")
        require_finite("probabilities", p)
        if bool((p <= 0).any()) or abs(float(p.sum()) - 1.0) > 1e-9:
            raise ValueError(
                f"probabilities: expected positive values summing to 1 (every t must be reachable), "
                f"got min {float(p.min()):.3g}, sum {float(p.sum()):.12g}"
            )

    @property
    def num_steps(self) -> int:
        return self.probabilities.shape[0]

    def draw(self, shape: tuple[int, ...], generator: torch.Generator) -> tuple[Tensor, Tensor]:
        count = 1
        for size in shape:
            count *= size
        index = torch.multinomial(self.probabilities, count, replacement=True, generator=generator)
        t = (index + 1).reshape(*shape, 1)
        return t, self.probabilities[index].reciprocal().reshape(*shape, 1).double()

    def exact_variance(self, mean: Tensor, variance: Tensor) -> Tensor:
        return ((mean.square() + variance) / self.probabilities).sum(-1) - _total(mean).square()

    def components(self) -> list[Component]:
        p = self.probabilities
        return [Component(p, torch.arange(1, self.num_steps + 1).unsqueeze(-1), p.reciprocal().unsqueeze(-1))]


def strata(num_steps: int, num_strata: int) -> list[range]:
    """Contiguous strata of 1 … T, as equal as possible (the first T mod K one step longer)."""
    size, extra = divmod(num_steps, num_strata)
    bounds, start = [], 1
    for k in range(num_strata):
        stop = start + size + (k < extra)
        bounds.append(range(start, stop))
        start = stop
    return bounds


@dataclass(frozen=True)
class StratifiedTimestep:
    """One t uniform in each of K contiguous strata, weight = the stratum's size n_k (not T/K:
    when K does not divide T the strata differ in size)."""

    num_steps: int
    num_strata: int
    name: str = field(default="")

    def __post_init__(self) -> None:
        require_positive_int("num_strata", self.num_strata)
        if self.num_strata > self.num_steps:
            raise ValueError(f"num_strata: expected at most T = {self.num_steps} strata, got {self.num_strata}")
        if not self.name:
            object.__setattr__(self, "name", f"stratified t (K={self.num_strata})")

    @property
    def draws_per_estimate(self) -> int:
        return self.num_strata

    def _bounds(self) -> tuple[Tensor, Tensor]:  # first step and size of each stratum, (K,)
        parts = strata(self.num_steps, self.num_strata)
        return torch.tensor([p.start for p in parts]), torch.tensor([len(p) for p in parts])

    def draw(self, shape: tuple[int, ...], generator: torch.Generator) -> tuple[Tensor, Tensor]:
        start, size = self._bounds()
        u = torch.rand((*shape, self.num_strata), generator=generator, dtype=torch.float64)
        t = start + torch.minimum((u * size).long(), size - 1)
        return t, size.double().expand(t.shape)

    def exact_variance(self, mean: Tensor, variance: Tensor) -> Tensor:
        total = torch.zeros(mean.shape[:-1], dtype=mean.dtype)
        for part in strata(self.num_steps, self.num_strata):
            columns = slice(part.start - 1, part.stop - 1)
            total += len(part) * (mean[..., columns].square() + variance[..., columns]).sum(-1)
            total -= mean[..., columns].sum(-1).square()
        return total

    def components(self) -> list[Component]:
        return [
            _component([1.0 / len(part)] * len(part), [[t] for t in part], [[float(len(part))]] * len(part))
            for part in strata(self.num_steps, self.num_strata)
        ]


@dataclass(frozen=True)
class AntitheticTimestep:
    """t ~ U{1 … T} and its mirror T + 1 − t, weight T/2 each: a pair of losses from opposite ends
    of the chain, whose errors partly cancel when ℓ_t is monotone in t."""

    num_steps: int
    name: str = "antithetic t"
    draws_per_estimate: int = 2

    def draw(self, shape: tuple[int, ...], generator: torch.Generator) -> tuple[Tensor, Tensor]:
        t = torch.randint(1, self.num_steps + 1, (*shape, 1), generator=generator)
        pair = torch.cat([t, self.num_steps + 1 - t], -1)
        return pair, torch.full(pair.shape, self.num_steps / 2.0, dtype=torch.float64)

    def exact_variance(self, mean: Tensor, variance: Tensor) -> Tensor:
        mirrored_mean, mirrored_variance = mean.flip(-1), variance.flip(-1)
        second = ((mean + mirrored_mean).square() + variance + mirrored_variance).sum(-1)
        return self.num_steps / 4.0 * second - _total(mean).square()

    def components(self) -> list[Component]:
        T = self.num_steps
        return [_component([1.0 / T] * T, [[t, T + 1 - t] for t in range(1, T + 1)], [[T / 2.0, T / 2.0]] * T)]


TimestepSampler = EveryTimestep | UniformTimestep | ImportanceTimestep | StratifiedTimestep | AntitheticTimestep
