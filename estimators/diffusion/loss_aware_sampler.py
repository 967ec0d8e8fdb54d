"""Loss-aware importance sampling of t, as improved DDPM trains L_vlb (Nichol & Dhariwal 2021, §3.3).

The sampler keeps the last `history` values of ℓ_t seen at each t and draws t with probability
p_t ∝ √E[ℓ_t²] (estimated from that history), mixed with a little of the uniform distribution so
that every t stays reachable; until every t has a full history it samples uniformly. Since p
minimises E[(ℓ_t/p_t)²] = Σ_t E[ℓ_t²]/p_t exactly when p_t ∝ √E[ℓ_t²], the history is an estimate
of the variance-optimal importance distribution, which `second_moment_probabilities` computes
exactly from the closed forms.
"""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.diffusion.timestep_samplers import ImportanceTimestep, UniformTimestep
from elbo_suite.estimators.diffusion.vlb_term import vlb_term_samples
from elbo_suite.estimators.validation import require_positive_int
from elbo_suite.estimators.variational.noise import standard_normal

HISTORY = 10  # improved-diffusion's history_per_term
UNIFORM_PROBABILITY = 0.001  # improved-diffusion's uniform_prob


def second_moment_probabilities(mean: Tensor, variance: Tensor, uniform_probability: float = 0.0) -> Tensor:
    """p_t ∝ √(mean over data points of E[ℓ_t²]) for ℓ_t moments (B, T), mixed with uniform: (T,)."""
    weights = (mean.square() + variance).mean(0).sqrt()
    weights = weights / weights.sum()
    return weights * (1.0 - uniform_probability) + uniform_probability / weights.shape[0]


class LossSecondMomentSampler:
    def __init__(self, num_steps: int, history: int = HISTORY, uniform_probability: float = UNIFORM_PROBABILITY) -> None:
        self.num_steps = require_positive_int("num_steps", num_steps)
        self.history = require_positive_int("history", history)
        if not 0.0 < uniform_probability <= 1.0:
            raise ValueError(f"uniform_probability: expected a float in (0, 1], got {uniform_probability!r}")
        self.uniform_probability = uniform_probability
        self._losses = torch.zeros(num_steps, history, dtype=torch.float64)  # ring buffer per t
        self._counts = torch.zeros(num_steps, dtype=torch.long)

    @property
    def warmed_up(self) -> bool:
        return bool((self._counts >= self.history).all())

    def update(self, t: Tensor, losses: Tensor) -> None:
        """Record per-draw losses ℓ_t at timesteps t (1-based), both flat or of the same shape."""
        t, losses = t.reshape(-1), losses.detach().reshape(-1).double()
        if t.shape != losses.shape:
            raise ValueError(f"losses: expected one loss per timestep ({t.numel()}), got {losses.numel()}")
        for step, loss in zip(t.tolist(), losses.tolist()):
            row = step - 1
            self._losses[row, self._counts[row] % self.history] = loss
            self._counts[row] += 1

    def probabilities(self) -> Tensor:  # (T,)
        if not self.warmed_up:
            return torch.full((self.num_steps,), 1.0 / self.num_steps, dtype=torch.float64)
        weights = self._losses.square().mean(-1).sqrt()
        weights = weights / weights.sum()
        return weights * (1.0 - self.uniform_probability) + self.uniform_probability / self.num_steps

    def sampler(self) -> ImportanceTimestep | UniformTimestep:
        """The importance sampler for the current history (uniform until warmed up)."""
        if not self.warmed_up:
            return UniformTimestep(self.num_steps)
        return ImportanceTimestep(self.probabilities(), name="loss-aware importance t")


def warmed_up_sampler(process, reverse, x0: Tensor, generator: torch.Generator, history: int = HISTORY,
                      uniform_probability: float = UNIFORM_PROBABILITY) -> ImportanceTimestep:
    """A loss-aware sampler after a warm-up in which every t saw `history` losses ℓ_t, one fresh
    draw per data point of x0 (B, d) in turn: the state training reaches once it starts resampling."""
    T, (B, d) = process.num_steps, x0.shape
    rounds = -(-history // B)  # enough rounds that each t has ≥ history losses
    t = torch.arange(1, T + 1).repeat(rounds, 1).unsqueeze(-1).expand(rounds, T, B)  # (rounds, T, B)
    losses = vlb_term_samples(process, reverse, x0, t, standard_normal((rounds, T, B, d), generator, x0))
    sampler = LossSecondMomentSampler(T, history, uniform_probability)
    sampler.update(t.transpose(1, 2).reshape(-1), losses.transpose(1, 2).reshape(-1))
    return sampler.sampler()
