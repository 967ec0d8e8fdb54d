"""What each gated diffusion function computes, and the names codebases give it and its arguments.

A role is one function of a diffusion codebase (q_sample, the posterior, a DDPM step, ...). The
gate finds a user's function's role from its name and binds the user's own parameters by THEIR
names: improved/guided-diffusion, lucidrains' denoising-diffusion-pytorch, hojonathanho's
diffusion and diffusers all use a small shared vocabulary (x_start, x_t, t, noise, eps,
pred_xstart, original_samples, timesteps, model_output, ...), and schedule tables by their usual
names (betas, alphas_cumprod, sqrt_one_minus_alphas_cumprod, posterior_variance, ...). What a name
means depends on the role: `sample` is x₀ in diffusers' `get_velocity` and x_t in its `step`.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the gate hands a parameter (besides schedule tables, see `tables`).
X_START, X_T, NOISE, EPS, V, X_PREV = "x_start", "x_t", "noise", "eps", "v", "x_prev"
T, T_PREV = "t", "t_prev"
MODEL_OUTPUT, MODEL = "model_output", "model"
STEP_NOISE, GENERATOR, ETA, CLIP, EPS_FROM_CLIPPED = "step_noise", "generator", "eta", "clip", "eps_from_clipped"
MEAN1, LOGVAR1, MEAN2, LOGVAR2 = "mean1", "logvar1", "mean2", "logvar2"
MEANS, LOG_SCALES, MODEL_MEAN, MODEL_LOG_VARIANCE = "means", "log_scales", "model_mean", "model_log_variance"

_X_START_NAMES = ("x_start", "x0", "x_0", "x_zero", "original_samples", "original_sample", "clean", "x_clean")
_X_T_NAMES = ("x_t", "xt", "x", "sample", "samples", "x_noisy", "noisy_samples", "z_t", "img", "latents")
_T_NAMES = ("t", "timesteps", "timestep", "ts", "time", "step")
_T_PREV_NAMES = ("t_prev", "prev_t", "prev_timestep", "t_prev_", "prev_timesteps", "s")
_EPS_NAMES = ("eps", "epsilon", "noise", "noise_pred", "pred_noise", "eps_pred", "predicted_noise", "model_output")
_X0_PRED_NAMES = ("pred_xstart", "x_start", "x0", "x_0", "pred_x0", "x0_pred", "pred_original_sample", "model_output")
_V_NAMES = ("v", "v_pred", "pred_v", "velocity", "model_output")
_OUTPUT_NAMES = ("model_output", "model_out", "output", "eps", "epsilon", "noise_pred", "pred_noise", "eps_pred",
                 "pred", "prediction", "v", "v_pred", "pred_xstart", "x0_pred", "pred_x0")
_STEP_NOISE_NAMES = ("noise", "variance_noise", "z")
_CLIP_NAMES = ("clip_denoised", "clip_sample", "clip", "clip_x0", "clip_x_start")


def _names(meaning: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: meaning for name in names}


@dataclass(frozen=True)
class Role:
    name: str
    summary: str  # the formula, for messages
    function_names: tuple[str, ...]  # what codebases call it (method or function names)
    arguments: dict[str, str]  # parameter name -> meaning
    required: tuple[str, ...]  # meanings the function must take for the gate to call it
    kind: str  # "timewise" (rows at distinct t), "step" (t -> t_prev), "elementwise" (no t)


ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("q_sample", "x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε",
             ("q_sample", "add_noise", "forward_diffusion", "diffuse", "noisy_sample", "q_xt_x0"),
             {**_names(X_START, _X_START_NAMES + ("x",)), **_names(T, _T_NAMES), **_names(NOISE, ("noise", "eps", "epsilon", "z"))},
             (X_START, T, NOISE), "timewise"),
        Role("q_mean_variance", "q(x_t|x₀) = N(√ᾱ_t x₀, (1−ᾱ_t) I)", ("q_mean_variance",),
             {**_names(X_START, _X_START_NAMES + ("x",)), **_names(T, _T_NAMES)}, (X_START, T), "timewise"),
        Role("q_posterior", "q(x_{t−1}|x_t,x₀) = N(μ̃_t, β̃_t I), β̃_t = β_t (1−ᾱ_{t−1})/(1−ᾱ_t)",
             ("q_posterior_mean_variance", "q_posterior", "posterior_mean_variance", "q_posterior_mean_var"),
             {**_names(X_START, _X_START_NAMES + ("pred_xstart", "x_recon", "x0_pred")), **_names(X_T, _X_T_NAMES),
              **_names(T, _T_NAMES)},
             (X_START, X_T, T), "timewise"),
        Role("x_start_from_eps", "x̂₀ = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t",
             ("_predict_xstart_from_eps", "predict_start_from_noise", "predict_xstart_from_eps", "predict_x0_from_eps",
              "x0_from_eps"),
             {**_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES), **_names(EPS, _EPS_NAMES)}, (X_T, T, EPS), "timewise"),
        Role("eps_from_x_start", "ε̂ = (x_t − √ᾱ_t x̂₀)/√(1−ᾱ_t)",
             ("_predict_eps_from_xstart", "predict_noise_from_start", "predict_eps_from_xstart", "predict_eps_from_x0",
              "eps_from_x0"),
             {**_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES), **_names(X_START, _X0_PRED_NAMES)}, (X_T, T, X_START),
             "timewise"),
        Role("velocity", "v = √ᾱ_t ε − √(1−ᾱ_t) x₀", ("predict_v", "get_velocity", "get_v", "velocity", "v_from_eps"),
             {**_names(X_START, _X_START_NAMES + ("sample",)), **_names(T, _T_NAMES), **_names(NOISE, ("noise", "eps", "epsilon"))},
             (X_START, T, NOISE), "timewise"),
        Role("x_start_from_v", "x̂₀ = √ᾱ_t x_t − √(1−ᾱ_t) v",
             ("predict_start_from_v", "_predict_xstart_from_v", "predict_x0_from_v", "x0_from_v"),
             {**_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES), **_names(V, _V_NAMES)}, (X_T, T, V), "timewise"),
        Role("eps_from_v", "ε̂ = √ᾱ_t v + √(1−ᾱ_t) x_t",
             ("predict_noise_from_v", "_predict_eps_from_v", "predict_eps_from_v", "eps_from_v"),
             {**_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES), **_names(V, _V_NAMES)}, (X_T, T, V), "timewise"),
        Role("x_start_from_x_prev", "x̂₀ = (x_{t−1} − coef2 x_t)/coef1",
             ("_predict_xstart_from_xprev", "predict_start_from_xprev", "predict_x0_from_xprev"),
             {**_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES), **_names(X_PREV, ("xprev", "x_prev", "x_tm1", "model_output"))},
             (X_T, T, X_PREV), "timewise"),
        Role("normal_kl", "KL(N(μ₁, e^{lv₁}) ‖ N(μ₂, e^{lv₂})) elementwise, nats",
             ("normal_kl", "gaussian_kl", "kl_normal", "normal_kl_divergence"),
             {**_names(MEAN1, ("mean1", "mu1", "mean_1", "mu_1", "m1")), **_names(LOGVAR1, ("logvar1", "log_var1", "logvar_1", "lv1")),
              **_names(MEAN2, ("mean2", "mu2", "mean_2", "mu_2", "m2")), **_names(LOGVAR2, ("logvar2", "log_var2", "logvar_2", "lv2"))},
             (MEAN1, LOGVAR1, MEAN2, LOGVAR2), "elementwise"),
        Role("discretized_gaussian_log_likelihood",
             "log P(x) of 256 levels in [−1, 1] under N(means, e^{2 log_scales}), bins ±1/255",
             ("discretized_gaussian_log_likelihood", "discretized_gaussian_loglik", "discretized_gaussian_ll"),
             {**_names(X_START, ("x", "x_start", "x0", "inputs", "images")), **_names(MEANS, ("means", "mean", "mu")),
              **_names(LOG_SCALES, ("log_scales", "log_scale", "log_std", "log_stds"))},
             (X_START, MEANS, LOG_SCALES), "elementwise"),
        Role("vlb_term", "L_t = KL(q(x_{t−1}|x_t,x₀) ‖ p(x_{t−1}|x_t)), L_0 = −log p(x₀|x_1) (discretized), per row",
             ("_vb_terms_bpd", "vb_terms_bpd", "vlb_term", "vb_term", "vlb_terms", "loss_vlb", "vlb_loss_term"),
             {**_names(MODEL, ("model", "denoise_fn", "net")), **_names(X_START, _X_START_NAMES), **_names(X_T, _X_T_NAMES),
              **_names(T, _T_NAMES), **_names(CLIP, _CLIP_NAMES),
              **_names(MODEL_MEAN, ("model_mean", "p_mean", "pred_mean", "mean")),
              **_names(MODEL_LOG_VARIANCE, ("model_log_variance", "p_log_variance", "model_logvar", "log_variance", "logvar"))},
             (X_START, X_T, T), "vlb"),
        Role("p_mean_variance", "p(x_{t−1}|x_t) = N(μ̃_t(x̂₀, x_t), σ_t²), x̂₀ from the model output",
             ("p_mean_variance",),
             {**_names(MODEL, ("model", "denoise_fn", "net")), **_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES),
              **_names(CLIP, _CLIP_NAMES)},
             (MODEL, X_T, T), "step"),
        Role("ddpm_step", "x_{t'} = μ̃(x̂₀, x_t) + σ z, no noise at the last step (Ho et al. 2020, Alg. 2)",
             ("p_sample", "ddpm_step", "step", "sample_step", "reverse_step", "denoise_step", "ddpm_sample_step"),
             {**_names(MODEL, ("model", "denoise_fn", "net")), **_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES),
              **_names(T_PREV, _T_PREV_NAMES), **_names(MODEL_OUTPUT, _OUTPUT_NAMES), **_names(STEP_NOISE, _STEP_NOISE_NAMES),
              **_names(GENERATOR, ("generator", "rng")), **_names(CLIP, _CLIP_NAMES)},
             (X_T, T), "step"),
        Role("ddim_step", "x_{t'} = √ᾱ_{t'} x̂₀ + √(1−ᾱ_{t'}−σ²) ε̂ + σ z, σ = η √(β̃) (Song et al. 2021, eq. 12)",
             ("ddim_sample", "ddim_step", "step", "ddim_sample_step"),
             {**_names(MODEL, ("model", "denoise_fn", "net")), **_names(X_T, _X_T_NAMES), **_names(T, _T_NAMES),
              **_names(T_PREV, _T_PREV_NAMES), **_names(MODEL_OUTPUT, _OUTPUT_NAMES), **_names(STEP_NOISE, _STEP_NOISE_NAMES),
              **_names(GENERATOR, ("generator", "rng")), **_names(CLIP, _CLIP_NAMES), **_names(ETA, ("eta", "ddim_eta")),
              **_names(EPS_FROM_CLIPPED, ("use_clipped_model_output",))},
             (X_T, T), "step"),
    )
}

# A function's name finds its role; `step` is a DDIM step when it takes `eta`, else a DDPM step.
_BY_FUNCTION_NAME = {}
for _role in ROLES.values():
    for _fname in _role.function_names:
        _BY_FUNCTION_NAME.setdefault(_fname, _role.name)


def role_from_function_name(name: str, parameters: set[str]) -> str | None:
    """The role of a known name, or of the longest known name inside it (`my_q_sample_v2`)."""
    role = _BY_FUNCTION_NAME.get(name) or _BY_FUNCTION_NAME.get(name.lstrip("_"))
    if role is None:
        padded = f"_{name.strip('_')}_"
        inside = [known for known in _BY_FUNCTION_NAME if f"_{known.strip('_')}_" in padded]
        role = _BY_FUNCTION_NAME[max(inside, key=len)] if inside else None
    if role in ("ddpm_step", "ddim_step"):
        return "ddim_step" if parameters & {"eta", "ddim_eta"} else "ddpm_step"
    return role
