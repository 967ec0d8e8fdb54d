"""Two float64 references for the same diffusion closed forms, each held against the other.

- `elbo_suite.gate.diffusion.formulas`: the gate's. Timesteps 0-based as codebases index them, a
  step goes t → t_prev on strided chains (β recovered as 1 − ᾱ_t/ᾱ_{t_prev}), and every value
  carries a first-order bound on its rounding error, evaluated in the cancellation-prone forms
  codebases use, so that the bound covers how users compute.
- `elbo_suite.estimators.models`: the exact diffusion model's. Timesteps 1-based as the papers
  write them, ᾱ in log space and 1 − ᾱ by expm1, a strided chain as a respaced schedule, and the
  ELBO's closed forms built on them.

They serve different ends and stay two implementations on purpose: the gate cannot drop its
bounds, and the model has no use for them. So each is the other's oracle, as torch.distributions
holds its closed-form KLs against ExponentialFamily's. On every timestep of each schedule (t = 0, 1
and T − 1 in the gate's indexing among them), the model's value must pass the gate's own acceptance
rule, `outcomes.claim_outcome`: |model − gate| ≤ SAFETY · bound + 4u|gate|. A drift of either one
fails it (negative controls at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
import torch
from torch import Tensor

from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    NoiseSchedule,
    cosine_schedule,
    linear_schedule,
    respace,
    scaled_linear_schedule,
)
from elbo_suite.estimators.models import diffusion_targets as targets
from elbo_suite.estimators.models.normal_density import kl_normal
from elbo_suite.gate.diffusion import formulas as F
from elbo_suite.gate.diffusion.approx import FLOAT64_UNIT, Approx, data
from elbo_suite.gate.diffusion.evaluate import Comparison
from elbo_suite.gate.diffusion.likelihood import vlb_term
from elbo_suite.gate.diffusion.outcomes import SAFETY, claim_outcome
from elbo_suite.gate.diffusion.schedules import FINAL, spaced_timesteps

DATA_DIM = 3


@dataclass(frozen=True)
class Case:
    """One schedule's steps, in both indexings, with the same seeded inputs for both references."""

    gate: F.Schedule  # on the full β table
    t: Tensor  # (B,) the gate's timesteps, 0-based
    t_prev: Tensor  # (B,) FINAL (−1) is the data
    process: GaussianDiffusion  # the model: its step model_t[i] is the gate's step t[i] → t_prev[i]
    model_t: Tensor  # (B,) 1-based
    reverse: LinearGaussianReverse  # a perturbed DDPM reverse, so that x̂₀ ≠ x₀
    x0: Tensor  # (B, d)
    eps: Tensor
    x_t: Tensor  # q_sample(x0, t, eps), by the model
    other: Tensor  # a second ε, x̂₀, v or x_{t−1}: eps plus a perturbation
    z: Tensor  # the reverse step's noise

    @property
    def step(self) -> F.Step:
        return F.Step.of(self.gate, self.t, self.t_prev, 2)

    @property
    def alpha_bar(self) -> Approx:  # (B, 1) ᾱ_t, the gate's
        return self.gate.at(self.t).view_rows(2)

    @property
    def model_alpha_bar(self) -> Tensor:  # (B, 1) ᾱ_t, the model's
        return self.process.schedule.alpha_bar[self.model_t].unsqueeze(-1)

    @property
    def noisy(self) -> Tensor:  # (B,) rows whose step does not go to the data (model t ≥ 2)
        return self.t_prev >= 0

    def where(self) -> list[str]:
        return [f"step t={int(a)} → {'data' if int(b) < 0 else int(b)} (model t={int(m)})"
                for a, b, m in zip(self.t, self.t_prev, self.model_t)]


def _case(betas: Tensor, steps: list[tuple[int, int]], *, strided: bool) -> Case:
    full = NoiseSchedule(betas)
    kept = sorted(t + 1 for t, _ in steps)
    schedule = respace(full, kept) if strided else full
    position = {t: i for i, t in enumerate(kept, start=1)}  # 1-based model timestep of each kept t
    for t, t_prev in steps:  # a strided chain steps to the kept timestep just below (or the data)
        below = [k - 1 for k in kept if k - 1 < t]
        assert t_prev == (below[-1] if below else FINAL), (t, t_prev)
    g = torch.Generator().manual_seed(20240611)
    process = GaussianDiffusion.random(schedule, DATA_DIM, g)
    B = len(steps)

    def normal() -> Tensor:
        return torch.randn(B, DATA_DIM, generator=g, dtype=torch.float64)

    x0, eps, perturbation, z = 1.5 * normal(), normal(), 0.3 * normal(), normal()
    t = torch.tensor([s[0] for s in steps])
    model_t = torch.tensor([position[s[0] + 1] for s in steps])
    gate = F.Schedule.from_betas(betas, FLOAT64_UNIT)
    return Case(
        gate=_with_respacing_error(gate, schedule, kept) if strided else gate,
        t=t, t_prev=torch.tensor([s[1] for s in steps]), process=process, model_t=model_t,
        reverse=LinearGaussianReverse.ddpm(process).perturbed(process, 0.3, g),
        x0=x0, eps=eps, x_t=process.q_sample(x0, model_t, eps), other=eps + perturbation, z=z,
    )


def _with_respacing_error(gate: F.Schedule, respaced: NoiseSchedule, kept: list[int]) -> F.Schedule:
    """The gate's ᾱ with the model's own rounding added to its bound, at the kept timesteps.

    A respaced schedule keeps β'_i = 1 − ᾱ_{τ_i}/ᾱ_{τ_{i−1}}, rounded once, and rebuilds ᾱ' from it,
    as improved-diffusion's respacing does: where β'_i is near 1 (cosine, the last step) the
    rounding u·β'_i of β'_i is a relative error u·β'_i/(1 − β'_i) of 1 − β'_i, so ᾱ' is only good
    to Σ_{j≤i} u·β'_j/(1 − β'_j) relative (1e-9 at T = 1000 → 7 steps), not to the full table's
    2(t + 1)u. The gate's strided reference reads the full table, so it does not carry this."""
    betas = respaced.betas
    relative = torch.cumsum(FLOAT64_UNIT * betas / (1 - betas), 0)  # (N,)
    index = torch.tensor(kept) - 1
    error = gate.alpha_bar.error.clone()
    error[index] += gate.alpha_bar.value[index] * relative
    return F.Schedule(gate.betas, Approx(gate.alpha_bar.value, error, gate.alpha_bar.unit), gate.final_alpha_bar)


def _consecutive(betas: Tensor) -> Case:
    T = betas.shape[0]
    return _case(betas, [(t, t - 1) for t in range(T)], strided=False)  # every t: 0, 1, …, T − 1


def _strided(betas: Tensor, num_steps: int, spacing: str) -> Case:
    timesteps = spaced_timesteps(betas.shape[0], num_steps, spacing)  # descending, 0-based
    return _case(betas, list(zip(timesteps, [*timesteps[1:], FINAL])), strided=True)


SCHEDULES: dict[str, Callable[[], Case]] = {
    "linear, T=1000": lambda: _consecutive(linear_schedule(1000).betas),
    "cosine, T=1000": lambda: _consecutive(cosine_schedule(1000).betas),
    "cosine, T=37": lambda: _consecutive(cosine_schedule(37).betas),
    "scaled linear, T=1000": lambda: _consecutive(scaled_linear_schedule(1000).betas),
    "cosine, T=1000 respaced to 7": lambda: _consecutive(
        respace(cosine_schedule(1000), [t + 1 for t in spaced_timesteps(1000, 7, "linspace")[::-1]]).betas
    ),
    # Strided chains: 7 and 5 steps do not divide T = 1000 and 37, so the strides are uneven.
    "cosine, T=1000, 7 steps (linspace)": lambda: _strided(cosine_schedule(1000).betas, 7, "linspace"),
    "linear, T=1000, 7 steps (trailing)": lambda: _strided(linear_schedule(1000).betas, 7, "trailing"),
    "cosine, T=37, 5 steps (leading)": lambda: _strided(cosine_schedule(37).betas, 5, "leading"),
}


@cache
def case(label: str) -> Case:
    return SCHEDULES[label]()


# -- the quantities: (gate's value with its bound, model's value, rows compared or None for all) ---------
Pair = tuple[Approx, Tensor, "Tensor | None"]


def _posterior(c: Case) -> tuple[Tensor, Tensor]:
    return c.process.posterior(c.x0, c.x_t, c.model_t)


def _ddpm(c: Case, prediction: str, target: str) -> F.StepOutcome:
    output = c.reverse.predict(c.process, c.x_t, c.model_t, target)
    return F.ddpm_step(c.step, prediction, "fixed_small", data(c.x_t), data(output), None, data(c.z), None)


def _x_start_from_x_prev(c: Case) -> Tensor:
    coef_x0, coef_xt, _ = c.process.posterior_coefficients(c.model_t)
    return (c.other - coef_xt * c.x_t) / coef_x0


def _vlb_kl(c: Case) -> Pair:
    """Σ_d KL(q(x_{t'}|x_t, x₀) ‖ p_θ(x_{t'}|x_t)) at the steps that do not end at the data."""
    slope, offset, variance = c.reverse.step(c.model_t)
    mean = slope * c.x_t + offset
    gate = vlb_term(c.step, data(c.x0), data(c.x_t), data(mean), data(variance.log()), "exact", "nats")
    posterior_mean, posterior_variance = _posterior(c)
    return gate, kl_normal(posterior_mean, posterior_variance, mean, variance).sum(-1), c.noisy


QUANTITIES: dict[str, Callable[[Case], Pair]] = {
    "ᾱ_t": lambda c: (c.alpha_bar, c.model_alpha_bar, None),
    "1 − ᾱ_t": lambda c: (1.0 - c.alpha_bar, c.process.schedule.one_minus_alpha_bar[c.model_t].unsqueeze(-1), None),
    "β of the step": lambda c: (c.step.beta, c.process.schedule.beta[c.model_t].unsqueeze(-1), None),
    "q_sample x_t": lambda c: (F.q_sample(c.alpha_bar, data(c.x0), data(c.eps)), c.x_t, None),
    "posterior mean": lambda c: (c.step.posterior_mean(data(c.x0), data(c.x_t)), _posterior(c)[0], None),
    "posterior variance β̃": lambda c: (c.step.posterior_variance, _posterior(c)[1], None),
    "x̂₀ from ε": lambda c: (F.x_start_from_eps(c.alpha_bar, data(c.x_t), data(c.other)),
                            targets.x0_from_eps(c.x_t, c.other, c.model_alpha_bar), None),
    "ε̂ from x̂₀": lambda c: (F.eps_from_x_start(c.alpha_bar, data(c.x_t), data(c.other)),
                             targets.eps_from_x0(c.x_t, c.other, c.model_alpha_bar), None),
    "v from (x₀, ε)": lambda c: (F.velocity(c.alpha_bar, data(c.x0), data(c.eps)),
                                 targets.v_from_eps_x0(c.eps, c.x0, c.model_alpha_bar), None),
    "x̂₀ from v": lambda c: (F.x_start_from_v(c.alpha_bar, data(c.x_t), data(c.other)),
                            targets.x0_from_v(c.x_t, c.other, c.model_alpha_bar), None),
    "ε̂ from v": lambda c: (F.eps_from_v(c.alpha_bar, data(c.x_t), data(c.other)),
                           targets.eps_from_v(c.x_t, c.other, c.model_alpha_bar), None),
    "x̂₀ from x_{t−1}": lambda c: (F.x_start_from_x_prev(c.step, data(c.x_t), data(c.other)), _x_start_from_x_prev(c), None),
    # The reverse step from each prediction the model's reverse implies: the same mean, three ways.
    "DDPM mean (ε-prediction)": lambda c: (_ddpm(c, "epsilon", "eps").mean, c.reverse.mean(c.x_t, c.model_t), None),
    "DDPM mean (x₀-prediction)": lambda c: (_ddpm(c, "sample", "x0").mean, c.reverse.mean(c.x_t, c.model_t), None),
    "DDPM mean (v-prediction)": lambda c: (_ddpm(c, "v_prediction", "v").mean, c.reverse.mean(c.x_t, c.model_t), None),
    # σ² = β̃ (fixed_small) and β (fixed_large), away from the step to the data where codebases clip.
    "DDPM log-variance, fixed_small": lambda c: (
        F.step_log_variance("fixed_small", c.step, None),
        LinearGaussianReverse.ddpm(c.process, "posterior").step(c.model_t)[2][:, :1].log(), c.noisy),
    "DDPM log-variance, fixed_large": lambda c: (
        F.step_log_variance("fixed_large", c.step, None),
        LinearGaussianReverse.ddpm(c.process, "beta").step(c.model_t)[2][:, :1].log(), None),
    # DDIM at η = 1 is the DDPM step with σ² = β̃ (Song et al. 2021, §4.1): the model's mean plus σ z.
    "DDIM sample at η = 1": lambda c: (
        F.ddim_step(c.step, "epsilon", 1.0, data(c.x_t), data(c.reverse.predict(c.process, c.x_t, c.model_t, "eps")),
                    data(c.z), None, False).sample,
        c.reverse.mean(c.x_t, c.model_t) + _posterior(c)[1].sqrt() * c.z, c.noisy),
    "normal_kl, VLB term L_t (nats)": _vlb_kl,
}


def agreement(claim: str, c: Case, gate: Approx, model: Tensor, rows: Tensor | None):
    """The gate's verdict on the model's value, as if it were a user's float64 implementation."""
    like = torch.broadcast_shapes(gate.value.shape, model.shape)
    expected = Approx(gate.value.expand(like), gate.error.expand(like), gate.unit)
    return claim_outcome(claim, [(claim, Comparison(claim, model.expand(like), expected, c.where(), rows))], SAFETY)


@pytest.mark.parametrize("label", list(SCHEDULES))
@pytest.mark.parametrize("claim", list(QUANTITIES))
def test_the_two_references_agree(label, claim):
    c = case(label)
    gate, model, rows = QUANTITIES[claim](c)
    outcome = agreement(claim, c, gate, model, rows)
    assert outcome.passed, f"[{label}] {outcome.message}"
    per_row = torch.broadcast_shapes(gate.value.shape, model.shape).numel() // c.t.shape[0]
    assert outcome.n == per_row * (c.t.shape[0] if rows is None else int(rows.sum()))  # every step compared


def test_every_schedule_covers_t_0_1_and_the_last():
    for label in SCHEDULES:
        c = case(label)
        if "steps" in label:  # strided: the last sampling step goes to the data, the first starts high
            assert int(c.t_prev.min()) == FINAL and int(c.t.max()) >= c.gate.num_timesteps - 30
        else:
            assert {0, 1, c.gate.num_timesteps - 1} <= set(c.t.tolist())


# -- negative controls: either reference drifting fails the comparison ------------------------------------
DRIFTS = {
    "the model, by 1e-9 relative": lambda gate, model: (gate, model * (1 + 1e-9)),
    "the gate, by 1e-9 relative": lambda gate, model: (Approx(gate.value * (1 + 1e-9), gate.error, gate.unit), model),
}


@pytest.mark.parametrize("drift", list(DRIFTS))
@pytest.mark.parametrize("claim", list(QUANTITIES))
def test_a_drift_of_either_reference_fails(claim, drift):
    c = case("cosine, T=37, 5 steps (leading)")
    gate, model, rows = QUANTITIES[claim](c)
    outcome = agreement(claim, c, *DRIFTS[drift](gate, model), rows)
    assert not outcome.passed and "values wrong" in outcome.message


def test_an_index_off_by_one_between_the_conventions_fails():
    """The two references count timesteps from different origins: ᾱ read at the model's t − 1
    (the gate's index used as the model's) must not pass."""
    c = case("linear, T=1000")
    wrong = c.process.schedule.alpha_bar[c.model_t - 1].unsqueeze(-1)
    outcome = agreement("ᾱ_t", c, c.alpha_bar, wrong, None)
    assert not outcome.passed and "1000 of 1000 values wrong" in outcome.message


def test_beta_where_the_posterior_variance_belongs_fails():
    c = case("cosine, T=1000, 7 steps (linspace)")
    beta = c.process.schedule.beta[c.model_t].unsqueeze(-1)
    outcome = agreement("posterior variance β̃", c, c.step.posterior_variance, beta, None)
    assert not outcome.passed
