"""Correctness gate for users' diffusion code: q_sample, the posterior, normal_kl, the discretized
Gaussian log-likelihood, the per-t VLB term, the ε/x₀/v conversions, and one DDPM or DDIM reverse
step, checked in float64 against the exact formulas.

    check_diffusion(target, **options) -> GateResult
    assert_diffusion_correct(target, **options) -> GateResult   (AssertionError on failure)

Contract.
- `target` is the user's code as written: a function, a bound method, or an object (a diffusers
  scheduler, an improved/guided-diffusion `GaussianDiffusion`, a lucidrains `GaussianDiffusion`,
  your own class). An object is checked method by method: every method whose name the gate knows
  (`q_sample`, `add_noise`, `q_posterior_mean_variance`, `q_posterior`, `_predict_xstart_from_eps`,
  `predict_start_from_noise`, `predict_v`, `get_velocity`, `predict_start_from_v`, `p_mean_variance`,
  `p_sample`, `ddim_sample`, `_vb_terms_bpd`, `step`, ...; see `roles.ROLES`).
- What a function computes (its role) comes from its name, or from role=. Its parameters are
  filled BY NAME from the vocabulary codebases share (x_start / original_samples, x_t / sample,
  t / timesteps / timestep, noise / eps, model_output, pred_xstart, v, xprev, mean1 / logvar1 /
  mean2 / logvar2, t_prev / prev_timestep, eta, clip_denoised, generator, variance_noise, model,
  ...) and schedule tables by theirs (betas, alphas_cumprod, alphas_cumprod_prev,
  sqrt_one_minus_alphas_cumprod, posterior_variance, posterior_log_variance_clipped, ...).
  `arguments={'your_name': 'meaning'}` maps any other name. Parameters with defaults that the gate
  does not know keep their defaults.
- Shapes: data are (B, C, H, W) float64 with C = 3; t is a (B,) int64 tensor with a different
  timestep per row pair, or one Python int when the parameter is annotated `int` or named
  `timestep` (then the function is called once per timestep). Outputs are float64 tensors of x's
  shape; variances and log-variances may broadcast to it ((B, 1, 1, 1)). Several outputs come as a
  tuple in the codebases' order ((mean, variance, log_variance); (sample, pred_xstart)), a dict
  (`mean`, `variance`, `log_variance`, `pred_xstart`, `sample`, `prev_sample`,
  `pred_original_sample`) or an output object with those attributes.
- Timesteps are 0-based: ᾱ_t = ∏_{s≤t}(1 − β_s); a step goes t → t_prev, and t_prev = −1 is the
  data (ᾱ = 1; a DDIM scheduler's `final_alpha_cumprod` if it has one). A function that takes
  schedule tables gets the gate's float64 schedules (`schedules.gate_chains`: linear and cosine at
  T = 1000, cosine at T = 37, a cosine schedule respaced to 7 steps, and, for steps that take a
  previous timestep, strided chains of 7 steps, which do not divide T). A function without tables
  needs betas= (its schedule), or is a method of an object with `betas`.
- Reverse steps: the network output is the gate's (model_output=..., or a stand-in `model(x, t)`
  that returns it), for the prediction type (prediction= epsilon | sample | v_prediction) and the
  variance (variance= fixed_small | fixed_large | learned_range | learned, where learned_range is
  improved DDPM's exp(v log β + (1 − v) log β̃) with v = (output + 1)/2 and learned outputs log σ²
  itself; the variance channels follow the mean's on dim 1). The step's noise z is injected where
  the function takes one (noise, variance_noise), else replayed: a function given `generator` must
  draw z = torch.randn(x.shape, generator=generator, dtype=x.dtype) once, one without either must
  draw torch.randn_like(x) once from the global RNG. No noise at the step to the data. DDIM runs at
  η = 0, 0.6 and 1 when the function takes eta. A clip flag (clip_denoised, clip_sample) is run
  both ways; clip=r states that a function clips x̂₀ to [−r, r] on its own.
- Likelihoods: data on the 256 levels of [−1, 1]; the discretized decoder uses the exact Φ, or
  cdf="tanh" for improved-diffusion's approximation. A VLB term returns one value per row: the
  posterior KL, or −log p(x₀|x₁) at t = 0 (the decoder's variance there is improved DDPM's clipped
  one, β̃_1), summed over dimensions in nats (units="nats", the default) or averaged and divided by
  ln 2 (units="bits_per_dim", the default for a name containing "bpd"). It takes either a `model`
  (its p(x_{t−1}|x_t) follows the prediction/variance conventions) or model_mean and
  model_log_variance.

Claims (each an exact comparison in float64; see `outcomes` for the tolerance): q_sample; q(x_t|x₀)
mean, variance, log-variance; posterior mean, variance β̃_t, log-variance (exact for t ≥ 1; at
t = 0, where β̃_0 = 0, any finite clip at or below log β̃_1); x̂₀ from ε, ε̂ from x̂₀, v, x̂₀ from v,
ε̂ from v, x̂₀ from x_{t−1}; normal_kl and normal_kl(p‖p) = 0; the discretized Gaussian
log-likelihood; the VLB term L_t; the reverse step's sample, x̂₀, mean,
variance and log-variance (the last two away from the step to the data, where codebases differ).
The tolerance follows from the precision of the schedule tables: each exact value carries a
first-order bound on the rounding error of computing it in that precision (float32 for diffusers
and lucidrains, float64 otherwise), and an element passes when its error is within 4 times that
bound. A failure names the claim, the timestep (or step t → t'), the schedule, the element, the
expected and actual values and the error, lists every wrong timestep, and says when the output
matches another convention instead (cdf, units).

Bad input raises `GateInputError` (one line): a target that is neither a function nor an object
with known methods, a parameter the gate cannot fill, a wrong output type, dtype or shape, a
function that raises. A wrong value, including NaN or inf where the exact value is finite, is a
failed claim.
"""

from elbo_suite.gate.diffusion.asserts import assert_diffusion_correct
from elbo_suite.gate.diffusion.check import check_diffusion
from elbo_suite.gate.diffusion.roles import ROLES

__all__ = ["ROLES", "assert_diffusion_correct", "check_diffusion"]
