"""The diffusion gate: correct code in every supported style passes, each bug class is caught by
the claim named here, bad input is one line, and the tolerance follows the tables' precision.

Every comparison is exact (injected or replayed noise, closed forms in float64): no Monte Carlo
error, so these tests are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import diffusion_zoo as zoo
import numpy as np
import pytest
import torch

from elbo_suite.gate import GateInputError
from elbo_suite.gate.diffusion import assert_diffusion_correct, check_diffusion
from elbo_suite.gate.diffusion.schedules import spaced_timesteps

LINEAR = np.linspace(1e-4, 0.02, 1000)

CORRECT = [
    pytest.param(zoo.q_sample, {}, id="q_sample(tables)"),
    pytest.param(zoo.q_posterior_mean_variance, {}, id="q_posterior_mean_variance(tables)"),
    pytest.param(zoo.q_posterior, {}, id="q_posterior(from alpha_bar, clamp-log)"),
    pytest.param(zoo.predict_start_from_noise, {}, id="predict_start_from_noise"),
    pytest.param(zoo.predict_noise_from_start, {}, id="predict_noise_from_start"),
    pytest.param(zoo.predict_v, {}, id="predict_v"),
    pytest.param(zoo.predict_start_from_v, {}, id="predict_start_from_v"),
    pytest.param(zoo.normal_kl, {}, id="normal_kl"),
    pytest.param(zoo.discretized_gaussian_log_likelihood, {"cdf": "tanh"}, id="discretized LL(tanh Φ, keyword-only)"),
    pytest.param(zoo.discretized_gaussian_log_likelihood_exact, {}, id="discretized LL(exact Φ)"),
    pytest.param(zoo.vlb_term, {}, id="vlb_term(nats, model mean and log-variance given)"),
    pytest.param(zoo.p_sample, {}, id="p_sample(Ho et al. Algorithm 2)"),
    pytest.param(zoo.ddpm_step, {}, id="ddpm_step(strided, clip flag)"),
    pytest.param(zoo.ddpm_step_learned_range, {"variance": "learned_range"}, id="ddpm_step(learned_range)"),
    pytest.param(zoo.ddim_step, {}, id="ddim_step(eta 0, 0.6, 1)"),
    pytest.param(zoo.GaussianDiffusion(betas=zoo.cosine_betas(1000)), {"cdf": "tanh"}, id="GaussianDiffusion(cosine, fixed_small)"),
    pytest.param(zoo.GaussianDiffusion(betas=LINEAR, model_var_type=zoo.VarType.FIXED_LARGE), {"cdf": "tanh"},
                 id="GaussianDiffusion(linear, fixed_large)"),
    pytest.param(zoo.GaussianDiffusion(betas=zoo.cosine_betas(100), model_var_type=zoo.VarType.LEARNED_RANGE,
                                       model_mean_type=zoo.MeanType.START_X), {"cdf": "tanh"},
                 id="GaussianDiffusion(T=100, x0, learned_range)"),
    pytest.param(zoo.GaussianDiffusion(betas=LINEAR).q_sample, {}, id="bound method q_sample"),
    pytest.param(zoo.Float32Diffusion(), {}, id="Float32Diffusion(float32 tables)"),
]


@pytest.mark.parametrize(("target", "options"), CORRECT)
def test_correct_code_passes(target, options):
    result = assert_diffusion_correct(target, **options)
    assert result.passed and result.alpha == 0.0
    assert all(c["passed"] for c in result.details["claims"])


@dataclass(frozen=True)
class Bug:
    name: str  # the bug class
    fn: Any
    claim: str  # the claim that must catch it (the first one failing)
    says: str = ""  # a fragment the message must contain
    options: dict[str, Any] = field(default_factory=dict)


BUGS = [
    Bug("posterior variance missing /(1 − ᾱ_t)", zoo.q_posterior_mean_variance_missing_division, "posterior variance"),
    Bug("sampler uses betas where posterior_variance belongs", zoo.p_sample_betas_for_posterior_variance,
        "DDPM step x_{t'}", "step t=1 → 0"),
    Bug("variance stored in the log-variance slot", zoo.q_posterior_variance_in_log_slot, "posterior log-variance"),
    Bug("β re-derived from the full schedule while skipping timesteps", zoo.ddpm_step_full_schedule_beta,
        "DDPM step x_{t'}", "7 steps (trailing)"),
    Bug("learned variance interpolated linearly, not in log space", zoo.ddpm_step_learned_range_linear,
        "DDPM step x_{t'}", options={"variance": "learned_range"}),
    Bug("off-by-one t (1-based index on a 0-based table)", zoo.q_sample_off_by_one, "q_sample x_t", "t=0"),
    Bug("ᾱ_t where ᾱ_{t−1} belongs (posterior mean)", zoo.q_posterior_alpha_bar_t_for_prev, "posterior mean"),
    Bug("sqrt missing (q_sample)", zoo.q_sample_missing_sqrt, "q_sample x_t"),
    Bug("ε→x₀ conversion sign", zoo.predict_start_from_noise_sign, "x̂₀ from ε"),
    Bug("v with its coefficients swapped", zoo.predict_v_swapped, "v from (x₀, ε)"),
    Bug("clips x_{t−1} instead of x̂₀", zoo.ddpm_step_clips_sample, "DDPM step (clipped) x_{t'}"),
    Bug("DDIM σ with η² for η", zoo.ddim_step_eta_squared, "DDIM step (η=0.6) x_{t'}"),
    Bug("DDIM last step reads alphas_cumprod[−1]", zoo.ddim_step_final_index_wraps, "DDIM step (η=0) x_{t'}", "→ data"),
    Bug("noise added at the step to the data", zoo.ddpm_step_noise_at_last_step, "DDPM step x_{t'}", "→ data",
        {"variance": "fixed_large"}),
    Bug("normal_kl reads log-variances as log-stds", zoo.normal_kl_logvar_as_logstd, "normal_kl"),
    Bug("VLB term with KL(p‖q) for KL(q‖p)", zoo.vlb_term_kl_swapped, "VLB term L_t (nats)", "t=1"),
    Bug("VLB decoder as a Gaussian density, not the discretized bin mass", zoo.vlb_term_continuous_decoder,
        "VLB term L_t (nats)", "at t=0 [linear, T=1000]"),
    Bug("discretized likelihood with bins twice too wide", zoo.discretized_gaussian_log_likelihood_wide_bins,
        "discretized Gaussian log-likelihood"),
    Bug("posterior log-variance unclipped at t = 0", zoo.q_posterior_unclipped_log_variance,
        "posterior log-variance at t=0 (a finite clip ≤ log β̃_1)", "actual -inf"),
]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_each_bug_class_is_caught_by_its_claim(bug):
    result = check_diffusion(bug.fn, **bug.options)
    assert not result.passed
    assert result.claim == bug.claim, result.message
    assert bug.says in result.message, result.message
    # The message names the claim, a timestep and the size of the error.
    assert result.message.count("|error|") >= 1 and (" t=" in result.message or "row " in result.message)
    with pytest.raises(AssertionError, match="expected"):
        assert_diffusion_correct(bug.fn, **bug.options)


def test_failure_message_names_claim_timestep_schedule_and_error():
    result = check_diffusion(zoo.ddpm_step_full_schedule_beta)
    assert result.message.startswith("ddpm_step 'ddpm_step_full_schedule_beta'")
    assert "DDPM step x_{t'}: expected" in result.message and "relative" in result.message
    assert "values wrong, at step t=" in result.message
    # Strided chains fail, the full chain (β read at t is right there) passes.
    assert "[linear, T=1000]" not in result.message.split("values wrong, at ")[1]


def test_a_convention_mismatch_says_which_convention_matches():
    """improved-diffusion's tanh approximation of Φ is a convention, not a bug: the failure says so."""
    result = check_diffusion(zoo.discretized_gaussian_log_likelihood)
    assert not result.passed and "matches the tanh Φ: pass cdf='tanh'" in result.message
    bpd = check_diffusion(zoo.GaussianDiffusion(betas=LINEAR)._vb_terms_bpd)
    assert not bpd.passed and bpd.details["conventions"]["units"] == "bits_per_dim"
    assert "pass those if that is what you intend" in bpd.message and "cdf='tanh'" in bpd.message
    assert check_diffusion(zoo.GaussianDiffusion(betas=LINEAR)._vb_terms_bpd, cdf="tanh").passed


def test_same_result_twice():
    first = check_diffusion(zoo.GaussianDiffusion(betas=LINEAR))
    second = check_diffusion(zoo.GaussianDiffusion(betas=LINEAR))
    assert first.to_dict() == second.to_dict()


# -- tolerance: from the precision of the tables -------------------------------------------------------
def _relative_error(scale):
    def q_sample(x_start, t, noise, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod):
        return zoo.q_sample(x_start, t, noise, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod) * (1 + scale)

    return q_sample


def test_float64_tables_leave_no_room_for_a_small_relative_error():
    assert check_diffusion(_relative_error(2.0**-52)).passed  # one more rounding
    failed = check_diffusion(_relative_error(1e-9))
    assert not failed.passed and failed.claim == "q_sample x_t"


class _Float32OffByOnePerMille(zoo.Float32Diffusion):
    def predict_v(self, x_start, t, noise):
        return super().predict_v(x_start, t, noise) * (1 + 1e-3)


def test_float32_tables_get_float32_tolerance_but_not_more():
    result = check_diffusion(zoo.Float32Diffusion())
    assert result.passed and result.details["schedule_precision"] == "float32"
    # A 0.1% error is far above float32 rounding of the schedule: caught.
    wrong = check_diffusion(_Float32OffByOnePerMille())
    assert not wrong.passed and wrong.claim == "predict_v: v from (x₀, ε)", wrong.message
    # The same formulas with a float64 schedule are held to float64 rounding.
    exact = check_diffusion(zoo.GaussianDiffusion(betas=zoo.cosine_betas(1000))._predict_xstart_from_eps)
    assert exact.passed and exact.details["claims"][0]["tolerance"] < 1e-9


def test_function_with_its_own_schedule_takes_betas():
    def add_noise(original_samples, noise, timesteps):  # schedule baked in
        a = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)[timesteps].reshape(-1, 1, 1, 1)
        return a.sqrt() * original_samples + (1 - a).sqrt() * noise

    assert check_diffusion(add_noise, betas=torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)).passed
    wrong = check_diffusion(add_noise, betas=torch.linspace(1e-4, 0.03, 1000, dtype=torch.float64))
    assert not wrong.passed


def test_a_function_taking_tables_runs_on_the_betas_given():
    """betas= replaces the gate's schedules; the function's table parameters come from it."""
    def ddim_step(x_t, t, t_prev, eps, noise, alphas_cumprod, eta=0.0):
        a = zoo._rows(alphas_cumprod, t, x_t)
        a_prev = torch.where(t_prev >= 0, alphas_cumprod[t_prev.clamp(min=0)], 1.0).reshape(-1, 1, 1, 1)
        x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
        sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
        return a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).sqrt() * eps + sigma * noise

    result = check_diffusion(ddim_step, betas=torch.linspace(1e-4, 0.2, 17, dtype=torch.float64))
    assert result.passed, result.message
    assert result.details["chains"] == ["your schedule, T=17", "your schedule, T=17, 7 steps (linspace)",
                                        "your schedule, T=17, 7 steps (trailing)"]


@pytest.mark.parametrize("spacing", ["linspace", "trailing", "leading"])
def test_strided_chains_of_any_schedule_length_take_seven_timesteps_inside_it(spacing):
    """A user's schedule of any T ≥ 8 is run on 7-step strided chains. numpy's arange with the
    float stride T/7 once gave 8 trailing timesteps, the last one −1, at T = 17, 34, 41, ..."""
    for T in range(8, 400):
        steps = spaced_timesteps(T, 7, spacing)
        assert len(set(steps)) == 7 and steps == sorted(steps, reverse=True), (T, steps)
        assert 0 <= steps[-1] and steps[0] <= T - 1, (T, steps)


def test_argument_names_can_be_mapped():
    def my_noiser(clean, tt, n, abar):
        a = abar[tt].reshape(-1, 1, 1, 1)
        return a.sqrt() * clean + (1 - a).sqrt() * n

    mapping = {"clean": "x_start", "tt": "t", "n": "noise", "abar": "alphas_cumprod"}
    assert check_diffusion(my_noiser, role="q_sample", arguments=mapping).passed


def test_nan_where_the_exact_value_is_finite_is_a_failed_claim():
    def q_sample(x_start, t, noise, alphas_cumprod):
        a = zoo._rows(alphas_cumprod, t, x_start)
        return a.sqrt() * x_start + (a - 1).sqrt() * noise  # sqrt of a negative number

    result = check_diffusion(q_sample)
    assert not result.passed and "actual nan" in result.message


# -- bad input: one line -------------------------------------------------------------------------------
def _float32_q_sample(x_start, t, noise, alphas_cumprod):
    return zoo.q_sample_missing_sqrt(x_start, t, noise, alphas_cumprod).float()


def _flat_q_sample(x_start, t, noise, alphas_cumprod):
    return zoo.q_sample_missing_sqrt(x_start, t, noise, alphas_cumprod).flatten(1)


def _raises(x_start, t, noise, alphas_cumprod):
    raise RuntimeError("index out of range")


def _unknown_parameter(x_start, t, noise, my_schedule):
    return x_start


def _no_schedule(x_start, t, noise):
    return x_start


BAD_INPUT = [
    pytest.param(42, {}, "no method the gate knows", id="not a function"),
    pytest.param(object(), {}, "no method the gate knows", id="object without known methods"),
    pytest.param(_float32_q_sample, {"role": "q_sample"}, "dtype torch.float32", id="float32 output"),
    pytest.param(_flat_q_sample, {"role": "q_sample"}, "has shape (12, 48); expected (12, 3, 4, 4)", id="wrong shape"),
    pytest.param(_raises, {"role": "q_sample"}, "raised RuntimeError: index out of range", id="raises"),
    pytest.param(_unknown_parameter, {"role": "q_sample"}, "parameter(s) my_schedule", id="unknown parameter"),
    pytest.param(_no_schedule, {"role": "q_sample"}, "cannot see your schedule", id="no schedule"),
    pytest.param(zoo.q_sample, {"role": "diffuse_it"}, "role: expected one of", id="unknown role"),
    pytest.param(zoo.ddpm_step, {"prediction": "noise"}, "prediction: expected one of", id="unknown prediction"),
    pytest.param(zoo.q_sample, {"seed": -1}, "seed: expected a non-negative int", id="negative seed"),
    pytest.param(_no_schedule, {"role": "q_sample", "betas": torch.tensor([0.1, float("nan")])},
                 "betas: expected every β_t in (0, 1]", id="NaN in betas"),
    pytest.param(_no_schedule, {"role": "q_sample", "betas": torch.ones(3, 3)}, "expected a 1-D table", id="2-D betas"),
    pytest.param(lambda x: x, {}, "cannot tell what '<lambda>' computes", id="anonymous function"),
]


@pytest.mark.parametrize(("target", "options", "says"), BAD_INPUT)
def test_bad_input_is_one_line(target, options, says):
    with pytest.raises(GateInputError) as info:
        check_diffusion(target, **options)
    message = str(info.value)
    assert says in message and "\n" not in message
