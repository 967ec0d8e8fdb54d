"""The diffusion gate on a real client: diffusers' DDPMScheduler and DDIMScheduler as shipped.

diffusers keeps its schedule in float32 (betas, alphas_cumprod = cumprod(1 − β) in float32), so
the gate holds it to float32 rounding, not float64: each exact value carries the first-order bound
of computing it from float32 tables (2(t + 1)·2⁻²⁴ relative on ᾱ_t; 1 − ᾱ_t and 1 − ᾱ_t/ᾱ_{t'}
amplify it by ᾱ/(1 − ᾱ), up to ~1e4 at t = 0 of the linear schedule; 1/√ᾱ_t amplifies x̂₀ near
the end of the cosine schedule), and an element passes within 4 times that bound. A 0.1% error is
still caught (tests/gate/test_diffusion_gate.py).

Three disagreements are real (diffusers 0.42.1); each test below also runs an independent probe of
the same behaviour, so the expectation follows diffusers if it is fixed:
- DDIMScheduler.step strides by num_train_timesteps // num_inference_steps instead of following its
  own `timesteps` (trailing / linspace spacing with a step count that does not divide T): the step
  lands on the wrong ᾱ, and trailing's last step stops at t = 0 instead of the data
  (diffusers issues #9261, #11347, #12633);
- DDPMScheduler.step adds noise at the step to the data whenever that step starts at t > 0
  (trailing spacing), with σ² = β (fixed_large) or the learned range, where Ho et al.'s Algorithm 2
  adds none;
- DDPMScheduler with variance_type="fixed_large_log" takes the square root of log β: NaN
  (diffusers issue #14569).
"""

from __future__ import annotations

import pytest
import torch

diffusers = pytest.importorskip("diffusers", reason="diffusers is not installed (pip install -e '.[test]')")
from diffusers import DDIMScheduler, DDPMScheduler  # noqa: E402

from elbo_suite.gate.diffusion import check_diffusion  # noqa: E402

DDPM_PASSING = {
    "linear, epsilon, fixed_small, leading": {},
    "linear, epsilon, fixed_small, trailing": {"timestep_spacing": "trailing"},
    "scaled_linear, v_prediction, fixed_small, linspace": {
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012,
        "prediction_type": "v_prediction", "timestep_spacing": "linspace"},
    "squaredcos_cap_v2, sample, fixed_large, leading": {
        "beta_schedule": "squaredcos_cap_v2", "prediction_type": "sample", "variance_type": "fixed_large"},
    "squaredcos_cap_v2, epsilon, learned_range, leading": {
        "beta_schedule": "squaredcos_cap_v2", "variance_type": "learned_range"},
    "linear, epsilon, fixed_small_log, no clipping, T=250": {
        "num_train_timesteps": 250, "variance_type": "fixed_small_log", "clip_sample": False},
}
DDIM_PASSING = {
    "linear, epsilon, leading": {},
    "scaled_linear, v_prediction, leading, set_alpha_to_one=False, no clipping": {
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "prediction_type": "v_prediction",
        "set_alpha_to_one": False, "clip_sample": False},
    "squaredcos_cap_v2, sample, leading, clip range 2": {
        "beta_schedule": "squaredcos_cap_v2", "prediction_type": "sample", "clip_sample_range": 2.0},
    "linear, epsilon, leading, T=250": {"num_train_timesteps": 250},
}


@pytest.mark.parametrize("config", DDPM_PASSING.values(), ids=DDPM_PASSING.keys())
def test_ddpm_scheduler_passes(config):
    result = check_diffusion(DDPMScheduler(**config))
    assert result.passed, result.message
    assert set(result.details["methods"]) == {"add_noise", "get_velocity", "step"}
    assert result.details["schedule_precision"] == "float32"


@pytest.mark.parametrize("config", DDIM_PASSING.values(), ids=DDIM_PASSING.keys())
def test_ddim_scheduler_passes(config):
    result = check_diffusion(DDIMScheduler(**config))
    assert result.passed, result.message
    claims = {c["claim"] for c in result.details["claims"]}
    assert "step: DDIM step (η=0.6, ε̂ from the model) x_{t'}" in claims  # η > 0 and both ε̂ conventions ran
    assert "step: DDIM step (η=0, ε̂ from clipped x̂₀) x_{t'}" in claims


# -- independent probes of the three disagreements --------------------------------------------------
def _ddim_lands_on_its_own_next_timestep(scheduler: DDIMScheduler, n: int) -> bool:
    """With the exact ε, a DDIM η = 0 step maps q_sample(x₀, ε, t) to q_sample(x₀, ε, t_next)
    exactly, t_next the scheduler's own next timestep (the data after the last)."""
    scheduler.set_timesteps(n)
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(1, 3, 4, 4, generator=g), torch.randn(1, 3, 4, 4, generator=g)
    timesteps = scheduler.timesteps.tolist()
    for t, t_next in zip(timesteps, [*timesteps[1:], None]):
        x_t = scheduler.add_noise(x0, eps, torch.tensor([t]))
        landed = scheduler.step(eps, t, x_t).prev_sample
        target = x0 if t_next is None else scheduler.add_noise(x0, eps, torch.tensor([t_next]))
        if not torch.allclose(landed, target, atol=1e-3):
            return False
    return True


@pytest.mark.parametrize("spacing", ["trailing", "linspace"])
def test_ddim_step_with_a_spacing_that_does_not_divide_t(spacing):
    probe_ok = _ddim_lands_on_its_own_next_timestep(DDIMScheduler(timestep_spacing=spacing, clip_sample=False), 7)
    result = check_diffusion(DDIMScheduler(timestep_spacing=spacing, clip_sample=False))
    assert result.passed == probe_ok, result.message
    if not result.passed:
        assert result.claim.startswith("step: DDIM step") and "set_timesteps(7)" in result.message


def _ddpm_last_step_is_deterministic(config: dict, n: int) -> bool:
    scheduler = DDPMScheduler(**config)
    scheduler.set_timesteps(n)
    t = int(scheduler.timesteps[-1])
    x = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    out = [scheduler.step(torch.zeros_like(x) if config.get("variance_type") != "learned_range" else
                          torch.zeros(1, 6, 4, 4), t, x, generator=torch.Generator().manual_seed(s)).prev_sample
           for s in (1, 2)]
    return bool(torch.allclose(out[0], out[1], atol=1e-6))


@pytest.mark.parametrize("variance", ["fixed_large", "learned_range"])
def test_ddpm_noise_at_the_step_to_the_data(variance):
    config = {"variance_type": variance, "timestep_spacing": "trailing"}
    probe_ok = _ddpm_last_step_is_deterministic(config, 7)
    result = check_diffusion(DDPMScheduler(**config))
    assert result.passed == probe_ok, result.message
    if not result.passed:
        assert result.claim == "step: DDPM step x_{t'}" and "→ data" in result.message


def test_ddpm_fixed_large_log_variance():
    scheduler = DDPMScheduler(variance_type="fixed_large_log")
    x = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    probe_ok = bool(torch.isfinite(scheduler.step(torch.zeros_like(x), 500, x, generator=torch.Generator()).prev_sample).all())
    result = check_diffusion(DDPMScheduler(variance_type="fixed_large_log"))
    assert result.passed == probe_ok, result.message
    if not result.passed:
        assert result.claim == "step: DDPM step x_{t'}" and "actual nan" in result.message


@pytest.mark.parametrize("scheduler_class", [DDPMScheduler, DDIMScheduler])
def test_steps_offset_with_as_many_steps_as_t(scheduler_class):
    """Stable Diffusion's steps_offset=1 with set_timesteps(T): is timestep T in the list?"""
    config = {"steps_offset": 1, "clip_sample": False}
    probe = scheduler_class(**config)
    probe.set_timesteps(probe.config.num_train_timesteps)
    probe_ok = int(probe.timesteps.max()) < probe.config.num_train_timesteps
    result = check_diffusion(scheduler_class(**config))
    assert result.passed == probe_ok, result.message
    if not result.passed:
        assert result.claim == "set_timesteps: every timestep in 0..T−1" and "[1000]" in result.message
        # The other step counts are still checked, and pass.
        for claim in result.details["claims"][1:]:
            assert claim["passed"] or "set_timesteps(1000)" in claim["message"], claim["message"]


@pytest.mark.parametrize("scheduler_class", [DDPMScheduler, DDIMScheduler])
def test_trailing_spacing_gives_exactly_the_steps_asked_for(scheduler_class):
    """T = 980, 30 steps: trailing spacing's float arange can yield a 31st timestep, −1."""
    probe = scheduler_class(num_train_timesteps=980, timestep_spacing="trailing")
    probe.set_timesteps(30)
    probe_ok = len(probe.timesteps) == 30 and int(probe.timesteps.min()) >= 0
    result = check_diffusion(scheduler_class(num_train_timesteps=980, timestep_spacing="trailing"))
    timesteps_claim = result.details["claims"][0]
    assert timesteps_claim["passed"] == probe_ok, timesteps_claim["message"]
    if not probe_ok:
        assert "set_timesteps(30) gives [-1]" in timesteps_claim["message"]


def test_diffusers_float32_schedule_needs_its_float32_tolerance():
    """Held to float64 rounding (tables declared float64), diffusers' float32 schedule would fail:
    the tolerance really is what makes it pass."""
    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2")
    strict = check_diffusion(scheduler.add_noise, betas=scheduler.betas.double())
    assert not strict.passed and strict.claim == "q_sample x_t"
    assert check_diffusion(scheduler.add_noise, betas=scheduler.betas).passed
