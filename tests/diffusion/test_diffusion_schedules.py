"""Noise schedules and respacing, held against the published definitions written out independently
(plain-Python loops over the formulas of DDPM, improved-diffusion and diffusers), never against
numbers the code produced once."""

import math

import numpy as np
import pytest
import torch

from elbo_suite.estimators.models import (
    NoiseSchedule,
    cosine_schedule,
    improved_linear_schedule,
    linear_schedule,
    make_schedule,
    respace,
    scaled_linear_schedule,
    spaced_timesteps,
)


def _cosine_alpha_bar(u: float, s: float = 0.008) -> float:  # f(u) of Nichol & Dhariwal, unnormalised
    return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2


@pytest.mark.parametrize("T", [1, 2, 10, 1000])
def test_linear_betas_are_the_linspace_and_alpha_bar_their_running_product(T):
    schedule = linear_schedule(T)
    expected = np.linspace(1e-4, 0.02, T)
    np.testing.assert_allclose(schedule.betas.numpy(), expected, rtol=1e-15, atol=0)
    running = 1.0
    for t in range(1, T + 1):
        running *= 1.0 - expected[t - 1]
        assert schedule.alpha_bar[t].item() == pytest.approx(running, rel=1e-13)
        assert schedule.one_minus_alpha_bar[t].item() == pytest.approx(1.0 - running, rel=1e-11)
    assert schedule.alpha_bar[0].item() == 1.0 and schedule.beta[0].item() == 0.0


@pytest.mark.parametrize("T", [1, 7, 50, 1000, 4000])
def test_cosine_betas_follow_the_clipped_ratio_of_f(T):
    schedule = cosine_schedule(T)
    for t in range(1, T + 1):
        beta = min(1.0 - _cosine_alpha_bar(t / T) / _cosine_alpha_bar((t - 1) / T), 0.999)
        assert schedule.beta[t].item() == pytest.approx(beta, rel=1e-9, abs=1e-15)
    assert schedule.beta[T].item() == pytest.approx(0.999)  # f(1) = 0: the cap binds at t = T
    # below the cap ᾱ_t is f(t/T)/f(0) exactly
    unclipped = T // 2
    assert schedule.alpha_bar[unclipped].item() == pytest.approx(
        _cosine_alpha_bar(unclipped / T) / _cosine_alpha_bar(0.0), rel=1e-12
    )


def test_improved_linear_scales_both_ends_by_1000_over_T():
    schedule = improved_linear_schedule(100)
    assert schedule.betas[0].item() == pytest.approx(1e-3) and schedule.betas[-1].item() == pytest.approx(0.2)
    torch.testing.assert_close(improved_linear_schedule(1000).betas, linear_schedule(1000).betas, rtol=0, atol=0)


def test_scaled_linear_is_linear_in_the_square_root():
    schedule = scaled_linear_schedule(11)
    roots = np.linspace(math.sqrt(0.00085), math.sqrt(0.012), 11)
    np.testing.assert_allclose(schedule.betas.numpy(), roots**2, rtol=1e-14)


def test_registry_builds_every_schedule_by_name():
    for name in ("linear", "improved_linear", "scaled_linear", "cosine"):
        assert make_schedule(name, 40).num_steps == 40
    with pytest.raises(ValueError, match=r"name: expected one of linear, improved_linear, scaled_linear, cosine, got 'sigmoid'"):
        make_schedule("sigmoid", 10)


@pytest.mark.parametrize("base", [linear_schedule(1000), cosine_schedule(1000), cosine_schedule(37)])
@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_respacing_rederives_beta_from_alpha_bar_at_the_kept_steps(base, spacing):
    T = base.num_steps
    kept = spaced_timesteps(T, 7 if T < 100 else 30, spacing)
    respaced = respace(base, kept)
    # improved-diffusion's loop: last = 1; for each kept step: β' = 1 − ᾱ/last; last = ᾱ
    alpha_bar = [1.0]
    for beta in base.betas.tolist():
        alpha_bar.append(alpha_bar[-1] * (1.0 - beta))
    last, expected = 1.0, []
    for t in kept:
        expected.append(1.0 - alpha_bar[t] / last)
        last = alpha_bar[t]
    np.testing.assert_allclose(respaced.betas.numpy(), expected, rtol=1e-9, atol=1e-15)
    # rtol: 10³ roundings of a log-sum (ours) against a running product (the loop)
    np.testing.assert_allclose(respaced.alpha_bar[1:].numpy(), [alpha_bar[t] for t in kept], rtol=1e-10)
    assert respaced.timesteps == kept and respaced.num_steps == len(kept)


def test_the_classic_skipping_bug_leaves_a_different_chain():
    """β'_i = β_{τ_i} (the full schedule's β at the kept step) is what the respacing must not do."""
    base = linear_schedule(1000)
    kept = spaced_timesteps(1000, 50, "leading")
    wrong = NoiseSchedule(base.betas[[t - 1 for t in kept]])
    right = respace(base, kept)
    assert right.alpha_bar[-1].item() == pytest.approx(base.alpha_bar[kept[-1]].item(), rel=1e-12)
    assert wrong.alpha_bar[-1].item() > 100 * right.alpha_bar[-1].item()


def test_respacing_a_respaced_schedule_keeps_the_original_timesteps():
    base = cosine_schedule(1000)
    once = respace(base, spaced_timesteps(1000, 100, "trailing"))
    twice = respace(once, [10, 50, 100])
    assert twice.timesteps == (once.timesteps[9], once.timesteps[49], once.timesteps[99]) == (100, 500, 1000)
    # atol: a β' within 1e-8 of 1 (across the capped end of the cosine schedule) stores 1 − β' only
    # to float64's absolute resolution, 1e-16
    np.testing.assert_allclose(twice.alpha_bar[1:].numpy(), base.alpha_bar[[100, 500, 1000]].numpy(), rtol=1e-12, atol=1e-15)


def test_spaced_timesteps_follow_the_diffusers_rules():
    assert spaced_timesteps(1000, 50, "leading") == tuple(range(1, 1000, 20))
    assert spaced_timesteps(1000, 50, "trailing") == tuple(range(20, 1001, 20))
    assert spaced_timesteps(1000, 50, "leading", steps_offset=1) == tuple(range(2, 1001, 20))
    linspace = np.linspace(0, 999, 50).round().astype(int) + 1
    assert spaced_timesteps(1000, 50, "linspace") == tuple(linspace.tolist())
    # T not a multiple of the number of steps
    assert spaced_timesteps(10, 3, "leading") == (1, 4, 7)
    assert spaced_timesteps(10, 3, "trailing") == (3, 7, 10)
    assert spaced_timesteps(10, 3, "linspace") == (1, 5, 10)  # 4.5 rounds half to even: 4, then 1-based


@pytest.mark.parametrize("call, message", [
    (lambda: linear_schedule(0), r"num_steps: expected a positive int, got 0"),
    (lambda: linear_schedule(10, beta_end=1.5), r"beta_end: expected a float in \(0, 1\), got 1.5"),
    (lambda: NoiseSchedule(torch.tensor([0.1, 1.0], dtype=torch.float64)), r"expected every β_t in \(0, 1\), got β_2 = 1.0"),
    (lambda: NoiseSchedule(torch.tensor([0.1], dtype=torch.float32)), r"expected dtype torch.float64, got torch.float32"),
    (lambda: respace(linear_schedule(10), [3, 2]), r"timesteps: expected strictly increasing timesteps in 1 … 10, got \[3, 2\]"),
    (lambda: respace(linear_schedule(10), [0, 5]), r"timesteps: expected strictly increasing timesteps in 1 … 10"),
    (lambda: spaced_timesteps(10, 11), r"num_kept: expected at most T = 10 kept steps, got 11"),
    (lambda: spaced_timesteps(10, 3, "uniform"), r"spacing: expected one of leading, trailing, linspace, got 'uniform'"),
    (lambda: improved_linear_schedule(20), r"num_steps: expected T ≥ 21 for improved_linear"),
])
def test_bad_schedule_input_is_one_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
