"""Users' diffusion code for the gate: correct implementations in the common styles, and broken
ones, one per bug class, each written the way the bug ships (function names and argument names
as the codebases spell them)."""

from __future__ import annotations

import enum
import math

import numpy as np
import torch


def _rows(table, t, x):  # a (T,) table at per-row timesteps, as (B, 1, ..., 1)
    if isinstance(table, np.ndarray):
        table = torch.from_numpy(table)
    return table.to(x.device)[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def _at(alphas_cumprod, t_prev, x):  # ᾱ at the previous timestep; −1 is the data (ᾱ = 1)
    safe = alphas_cumprod[t_prev.clamp(min=0)]
    return torch.where(t_prev >= 0, safe, torch.ones_like(safe)).reshape(-1, *([1] * (x.dim() - 1)))


# =============================================================================================
# Correct: standalone functions that take schedule tables
# =============================================================================================
def q_sample(x_start, t, noise, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod):
    return _rows(sqrt_alphas_cumprod, t, x_start) * x_start + _rows(sqrt_one_minus_alphas_cumprod, t, x_start) * noise


def q_posterior_mean_variance(x_start, x_t, t, posterior_mean_coef1, posterior_mean_coef2, posterior_variance,
                              posterior_log_variance_clipped):
    mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    return mean, _rows(posterior_variance, t, x_t), _rows(posterior_log_variance_clipped, t, x_t)


def q_posterior(x_start, x_t, t, betas, alphas_cumprod, alphas_cumprod_prev):  # from ᾱ, lucidrains-style clamp
    a, a_prev, b = _rows(alphas_cumprod, t, x_t), _rows(alphas_cumprod_prev, t, x_t), _rows(betas, t, x_t)
    mean = b * a_prev.sqrt() / (1 - a) * x_start + (1 - a_prev) * (1 - b).sqrt() / (1 - a) * x_t
    variance = b * (1 - a_prev) / (1 - a)
    return mean, variance, torch.log(variance.clamp(min=1e-20))


def predict_start_from_noise(x_t, t, noise, sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod):
    return _rows(sqrt_recip_alphas_cumprod, t, x_t) * x_t - _rows(sqrt_recipm1_alphas_cumprod, t, x_t) * noise


def predict_noise_from_start(x_t, t, x0, sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod):
    return (_rows(sqrt_recip_alphas_cumprod, t, x_t) * x_t - x0) / _rows(sqrt_recipm1_alphas_cumprod, t, x_t)


def predict_v(x_start, t, noise, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod):
    return _rows(sqrt_alphas_cumprod, t, x_start) * noise - _rows(sqrt_one_minus_alphas_cumprod, t, x_start) * x_start


def predict_start_from_v(x_t, t, v, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod):
    return _rows(sqrt_alphas_cumprod, t, x_t) * x_t - _rows(sqrt_one_minus_alphas_cumprod, t, x_t) * v


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def p_sample(x, t, eps, noise, betas, alphas_cumprod, posterior_variance):
    """Ho et al. 2020, Algorithm 2: x_{t−1} = (x_t − β_t/√(1−ᾱ_t) ε)/√α_t + σ_t z, σ_t² = β̃_t."""
    b, a = _rows(betas, t, x), _rows(alphas_cumprod, t, x)
    mean = (x - b / (1 - a).sqrt() * eps) / (1 - b).sqrt()
    nonzero = (t != 0).to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
    return mean + nonzero * _rows(posterior_variance, t, x).sqrt() * noise


def ddpm_step(x_t, t, t_prev, model_output, noise, alphas_cumprod, clip_denoised=False):
    """One step t → t_prev of a strided (respaced) DDPM sampler."""
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    beta = 1 - a / a_prev
    x0 = (x_t - (1 - a).sqrt() * model_output) / a.sqrt()
    if clip_denoised:
        x0 = x0.clamp(-1, 1)
    mean = a_prev.sqrt() * beta / (1 - a) * x0 + (a / a_prev).sqrt() * (1 - a_prev) / (1 - a) * x_t
    std = (beta * (1 - a_prev) / (1 - a)).sqrt()
    return mean + (t_prev >= 0).reshape(-1, 1, 1, 1) * std * noise


def ddim_step(x_t, t, t_prev, eps, eta, noise, alphas_cumprod):
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
    return a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).sqrt() * eps + sigma * noise


def ddpm_step_learned_range(x_t, t, t_prev, model_output, noise, alphas_cumprod):
    """Improved DDPM: the network's second half of channels v sets log σ² = v' log β + (1 − v') log β̃."""
    eps, var_values = model_output.chunk(2, dim=1)
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    beta = 1 - a / a_prev
    posterior = beta * (1 - a_prev) / (1 - a)
    frac = (var_values + 1) / 2
    log_var = frac * torch.log(beta) + (1 - frac) * torch.log(posterior.clamp(min=1e-20))
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    mean = a_prev.sqrt() * beta / (1 - a) * x0 + (a / a_prev).sqrt() * (1 - a_prev) / (1 - a) * x_t
    return mean + (t_prev >= 0).reshape(-1, 1, 1, 1) * torch.exp(0.5 * log_var) * noise


def _phi(x):  # the tanh approximation of the standard normal CDF the codebases use
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


def discretized_gaussian_log_likelihood(x, *, means, log_scales, cdf=_phi):
    centered = x - means
    inv_stdv = torch.exp(-log_scales)
    cdf_plus = cdf(inv_stdv * (centered + 1.0 / 255.0))
    cdf_min = cdf(inv_stdv * (centered - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    log_cdf_delta = torch.log((cdf_plus - cdf_min).clamp(min=1e-12))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, log_cdf_delta))


def discretized_gaussian_log_likelihood_exact(x, means, log_scales):
    return discretized_gaussian_log_likelihood(x, means=means, log_scales=log_scales, cdf=torch.special.ndtr)


def vlb_term(x_start, x_t, t, model_mean, model_log_variance, posterior_mean_coef1, posterior_mean_coef2,
             posterior_log_variance_clipped):
    """L_t in nats, summed over dimensions; the discretized decoder at t = 0."""
    true_mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    kl = normal_kl(true_mean, _rows(posterior_log_variance_clipped, t, x_t), model_mean, model_log_variance)
    nll = -discretized_gaussian_log_likelihood_exact(x_start, model_mean, 0.5 * model_log_variance)
    per_element = torch.where((t == 0).reshape(-1, 1, 1, 1), nll, kl)
    return per_element.sum(dim=(1, 2, 3))


# =============================================================================================
# Correct: an improved/guided-diffusion-style class (float64 numpy tables, model-calling methods)
# =============================================================================================
class MeanType(enum.Enum):
    EPSILON = enum.auto()
    START_X = enum.auto()


class VarType(enum.Enum):
    FIXED_SMALL = enum.auto()
    FIXED_LARGE = enum.auto()
    LEARNED_RANGE = enum.auto()


class GaussianDiffusion:
    def __init__(self, *, betas, model_mean_type=MeanType.EPSILON, model_var_type=VarType.FIXED_SMALL):
        self.model_mean_type, self.model_var_type = model_mean_type, model_var_type
        self.betas = betas = np.asarray(betas, dtype=np.float64)
        self.num_timesteps = len(betas)
        self.alphas_cumprod = np.cumprod(1.0 - betas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1)
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(1.0 - betas) / (1.0 - self.alphas_cumprod)

    def q_mean_variance(self, x_start, t):
        return (_rows(self.sqrt_alphas_cumprod, t, x_start) * x_start, _rows(1.0 - self.alphas_cumprod, t, x_start),
                _rows(np.log(1.0 - self.alphas_cumprod), t, x_start))

    def q_sample(self, x_start, t, noise=None):
        if noise is None:
            noise = torch.randn_like(x_start)
        return _rows(self.sqrt_alphas_cumprod, t, x_start) * x_start + _rows(self.sqrt_one_minus_alphas_cumprod, t, x_start) * noise

    def q_posterior_mean_variance(self, x_start, x_t, t):
        mean = _rows(self.posterior_mean_coef1, t, x_t) * x_start + _rows(self.posterior_mean_coef2, t, x_t) * x_t
        return mean, _rows(self.posterior_variance, t, x_t), _rows(self.posterior_log_variance_clipped, t, x_t)

    def _predict_xstart_from_eps(self, x_t, t, eps):
        return _rows(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t - _rows(self.sqrt_recipm1_alphas_cumprod, t, x_t) * eps

    def _predict_eps_from_xstart(self, x_t, t, pred_xstart):
        return (_rows(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t - pred_xstart) / _rows(self.sqrt_recipm1_alphas_cumprod, t, x_t)

    def _predict_xstart_from_xprev(self, x_t, t, xprev):
        return (_rows(1.0 / self.posterior_mean_coef1, t, x_t) * xprev
                - _rows(self.posterior_mean_coef2 / self.posterior_mean_coef1, t, x_t) * x_t)

    def p_mean_variance(self, model, x, t, clip_denoised=True, denoised_fn=None, model_kwargs=None):
        out = model(x, t, **(model_kwargs or {}))
        if self.model_var_type == VarType.LEARNED_RANGE:
            out, var_values = torch.split(out, x.shape[1], dim=1)
            min_log = _rows(self.posterior_log_variance_clipped, t, x)
            max_log = _rows(np.log(self.betas), t, x)
            frac = (var_values + 1) / 2
            log_variance = frac * max_log + (1 - frac) * min_log
            variance = torch.exp(log_variance)
        elif self.model_var_type == VarType.FIXED_LARGE:
            large = np.append(self.posterior_variance[1], self.betas[1:])
            variance, log_variance = _rows(large, t, x), _rows(np.log(large), t, x)
        else:
            variance = _rows(self.posterior_variance, t, x)
            log_variance = _rows(self.posterior_log_variance_clipped, t, x)
        pred_xstart = out if self.model_mean_type == MeanType.START_X else self._predict_xstart_from_eps(x, t, out)
        if clip_denoised:
            pred_xstart = pred_xstart.clamp(-1, 1)
        mean, _, _ = self.q_posterior_mean_variance(pred_xstart, x, t)
        return {"mean": mean, "variance": variance, "log_variance": log_variance, "pred_xstart": pred_xstart}

    def p_sample(self, model, x, t, clip_denoised=True, denoised_fn=None, model_kwargs=None):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        noise = torch.randn_like(x)
        nonzero_mask = (t != 0).to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
        return {"sample": out["mean"] + nonzero_mask * torch.exp(0.5 * out["log_variance"]) * noise,
                "pred_xstart": out["pred_xstart"]}

    def _vb_terms_bpd(self, model, x_start, x_t, t, clip_denoised=True, model_kwargs=None):
        true_mean, _, true_log_variance_clipped = self.q_posterior_mean_variance(x_start, x_t, t)
        out = self.p_mean_variance(model, x_t, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        kl = normal_kl(true_mean, true_log_variance_clipped, out["mean"], out["log_variance"]).mean(dim=(1, 2, 3)) / np.log(2.0)
        nll = -discretized_gaussian_log_likelihood(x_start, means=out["mean"], log_scales=0.5 * out["log_variance"])
        nll = nll.mean(dim=(1, 2, 3)) / np.log(2.0)
        return {"output": torch.where(t == 0, nll, kl), "pred_xstart": out["pred_xstart"]}

    def ddim_sample(self, model, x, t, clip_denoised=True, denoised_fn=None, model_kwargs=None, eta=0.0):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        eps = self._predict_eps_from_xstart(x, t, out["pred_xstart"])
        a, a_prev = _rows(self.alphas_cumprod, t, x), _rows(self.alphas_cumprod_prev, t, x)
        sigma = eta * torch.sqrt((1 - a_prev) / (1 - a)) * torch.sqrt(1 - a / a_prev)
        noise = torch.randn_like(x)
        mean_pred = out["pred_xstart"] * torch.sqrt(a_prev) + torch.sqrt(1 - a_prev - sigma**2) * eps
        nonzero_mask = (t != 0).to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
        return {"sample": mean_pred + nonzero_mask * sigma * noise, "pred_xstart": out["pred_xstart"]}


def cosine_betas(T, s=0.008, max_beta=0.999):
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return np.array([min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)])


# =============================================================================================
# Correct: a lucidrains-style class: tables computed in float64, kept as float32 buffers
# =============================================================================================
class Float32Diffusion:
    def __init__(self, timesteps=1000, objective="pred_noise"):
        self.objective = objective
        betas = torch.tensor(cosine_betas(timesteps), dtype=torch.float64)
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])
        f32 = lambda v: v.to(torch.float32)  # noqa: E731
        self.betas = f32(betas)
        self.alphas_cumprod = f32(alphas_cumprod)
        self.sqrt_alphas_cumprod = f32(alphas_cumprod.sqrt())
        self.sqrt_one_minus_alphas_cumprod = f32((1.0 - alphas_cumprod).sqrt())
        self.sqrt_recip_alphas_cumprod = f32((1.0 / alphas_cumprod).sqrt())
        self.sqrt_recipm1_alphas_cumprod = f32((1.0 / alphas_cumprod - 1).sqrt())
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        self.posterior_variance = f32(posterior_variance)
        self.posterior_log_variance_clipped = f32(torch.log(posterior_variance.clamp(min=1e-20)))
        self.posterior_mean_coef1 = f32(betas * alphas_cumprod_prev.sqrt() / (1.0 - alphas_cumprod))
        self.posterior_mean_coef2 = f32((1.0 - alphas_cumprod_prev) * (1.0 - betas).sqrt() / (1.0 - alphas_cumprod))

    def predict_start_from_noise(self, x_t, t, noise):
        return _rows(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t - _rows(self.sqrt_recipm1_alphas_cumprod, t, x_t) * noise

    def predict_noise_from_start(self, x_t, t, x0):
        return (_rows(self.sqrt_recip_alphas_cumprod, t, x_t) * x_t - x0) / _rows(self.sqrt_recipm1_alphas_cumprod, t, x_t)

    def predict_v(self, x_start, t, noise):
        return _rows(self.sqrt_alphas_cumprod, t, x_start) * noise - _rows(self.sqrt_one_minus_alphas_cumprod, t, x_start) * x_start

    def predict_start_from_v(self, x_t, t, v):
        return _rows(self.sqrt_alphas_cumprod, t, x_t) * x_t - _rows(self.sqrt_one_minus_alphas_cumprod, t, x_t) * v

    def q_posterior(self, x_start, x_t, t):
        mean = _rows(self.posterior_mean_coef1, t, x_t) * x_start + _rows(self.posterior_mean_coef2, t, x_t) * x_t
        return mean, _rows(self.posterior_variance, t, x_t), _rows(self.posterior_log_variance_clipped, t, x_t)

    def q_sample(self, x_start, t, noise=None):
        return _rows(self.sqrt_alphas_cumprod, t, x_start) * x_start + _rows(self.sqrt_one_minus_alphas_cumprod, t, x_start) * noise


# =============================================================================================
# Broken: one function per bug class
# =============================================================================================
def q_posterior_mean_variance_missing_division(x_start, x_t, t, betas, alphas_cumprod, alphas_cumprod_prev,
                                               posterior_mean_coef1, posterior_mean_coef2):
    """The posterior variance without its /(1 − ᾱ_t)."""
    mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    variance = _rows(betas * (1.0 - alphas_cumprod_prev), t, x_t)
    return mean, variance, torch.log(variance)


def p_sample_betas_for_posterior_variance(x, t, eps, noise, betas, alphas_cumprod):
    """A sampler that declares σ_t² = β̃_t (fixed_small) and uses β_t."""
    b, a = _rows(betas, t, x), _rows(alphas_cumprod, t, x)
    mean = (x - b / (1 - a).sqrt() * eps) / (1 - b).sqrt()
    nonzero = (t != 0).to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
    return mean + nonzero * b.sqrt() * noise


def q_posterior_variance_in_log_slot(x_start, x_t, t, posterior_mean_coef1, posterior_mean_coef2, posterior_variance):
    """Returns (mean, variance, log_variance) with the variance itself in the log-variance slot."""
    mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    return mean, _rows(posterior_variance, t, x_t), _rows(posterior_variance, t, x_t)


def ddpm_step_full_schedule_beta(x_t, t, t_prev, model_output, noise, betas, alphas_cumprod):
    """A respaced sampler that reads β_t from the full schedule instead of 1 − ᾱ_t/ᾱ_{t_prev}."""
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    beta = _rows(betas, t, x_t)
    x0 = (x_t - (1 - a).sqrt() * model_output) / a.sqrt()
    mean = a_prev.sqrt() * beta / (1 - a) * x0 + (1 - beta).sqrt() * (1 - a_prev) / (1 - a) * x_t
    std = (beta * (1 - a_prev) / (1 - a)).sqrt()
    return mean + (t_prev >= 0).reshape(-1, 1, 1, 1) * std * noise


def ddpm_step_learned_range_linear(x_t, t, t_prev, model_output, noise, alphas_cumprod):
    """Learned variance interpolated linearly, σ² = v' β + (1 − v') β̃, instead of in log space."""
    eps, var_values = model_output.chunk(2, dim=1)
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    beta = 1 - a / a_prev
    posterior = beta * (1 - a_prev) / (1 - a)
    frac = (var_values + 1) / 2
    variance = frac * beta + (1 - frac) * posterior
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    mean = a_prev.sqrt() * beta / (1 - a) * x0 + (a / a_prev).sqrt() * (1 - a_prev) / (1 - a) * x_t
    return mean + (t_prev >= 0).reshape(-1, 1, 1, 1) * variance.sqrt() * noise


def q_sample_off_by_one(x_start, t, noise, alphas_cumprod):
    """1-based paper indices on a 0-based table: ᾱ_{t−1} (and ᾱ_{−1} wraps to the last entry)."""
    a = _rows(alphas_cumprod, t - 1, x_start)
    return a.sqrt() * x_start + (1 - a).sqrt() * noise


def q_posterior_alpha_bar_t_for_prev(x_start, x_t, t, betas, alphas_cumprod, posterior_variance,
                                     posterior_log_variance_clipped):
    """Posterior mean coefficient with √ᾱ_t where √ᾱ_{t−1} belongs."""
    a, b = _rows(alphas_cumprod, t, x_t), _rows(betas, t, x_t)
    a_prev = a / (1 - b)
    mean = b * a.sqrt() / (1 - a) * x_start + (1 - a_prev) * (1 - b).sqrt() / (1 - a) * x_t
    return mean, _rows(posterior_variance, t, x_t), _rows(posterior_log_variance_clipped, t, x_t)


def q_sample_missing_sqrt(x_start, t, noise, alphas_cumprod):
    a = _rows(alphas_cumprod, t, x_start)
    return a * x_start + (1 - a) * noise


def predict_start_from_noise_sign(x_t, t, noise, sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod):
    return _rows(sqrt_recip_alphas_cumprod, t, x_t) * x_t + _rows(sqrt_recipm1_alphas_cumprod, t, x_t) * noise


def predict_v_swapped(x_start, t, noise, sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod):
    return _rows(sqrt_one_minus_alphas_cumprod, t, x_start) * noise - _rows(sqrt_alphas_cumprod, t, x_start) * x_start


def ddpm_step_clips_sample(x_t, t, t_prev, model_output, noise, alphas_cumprod, clip_denoised=False):
    """Clips x_{t−1} instead of the predicted x̂₀."""
    out = ddpm_step(x_t, t, t_prev, model_output, noise, alphas_cumprod)
    return out.clamp(-1, 1) if clip_denoised else out


def ddim_step_eta_squared(x_t, t, t_prev, eps, eta, noise, alphas_cumprod):
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    sigma = eta**2 * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
    return a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).sqrt() * eps + sigma * noise


def ddim_step_final_index_wraps(x_t, t, t_prev, eps, eta, noise, alphas_cumprod):
    """ᾱ at t_prev read as alphas_cumprod[t_prev]: at the last step t_prev = −1 reads ᾱ_{T−1}."""
    a, a_prev = _rows(alphas_cumprod, t, x_t), _rows(alphas_cumprod, t_prev, x_t)
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
    return a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).clamp(min=0).sqrt() * eps + sigma * noise


def ddpm_step_noise_at_last_step(x_t, t, t_prev, model_output, noise, alphas_cumprod):
    """Adds σ z at every step, the step to the data included (σ² = β: fixed_large)."""
    a, a_prev = _rows(alphas_cumprod, t, x_t), _at(alphas_cumprod, t_prev, x_t)
    beta = 1 - a / a_prev
    x0 = (x_t - (1 - a).sqrt() * model_output) / a.sqrt()
    mean = a_prev.sqrt() * beta / (1 - a) * x0 + (a / a_prev).sqrt() * (1 - a_prev) / (1 - a) * x_t
    return mean + beta.sqrt() * noise


def normal_kl_logvar_as_logstd(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + 2 * (logvar2 - logvar1) + torch.exp(2 * (logvar1 - logvar2))
                  + (mean1 - mean2) ** 2 * torch.exp(-2 * logvar2))


def q_posterior_unclipped_log_variance(x_start, x_t, t, posterior_mean_coef1, posterior_mean_coef2, posterior_variance):
    """log β̃_t unclipped: −inf at t = 0."""
    mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    variance = _rows(posterior_variance, t, x_t)
    return mean, variance, torch.log(variance)


def vlb_term_kl_swapped(x_start, x_t, t, model_mean, model_log_variance, posterior_mean_coef1, posterior_mean_coef2,
                       posterior_log_variance_clipped):
    """KL(p ‖ q) where KL(q ‖ p) belongs."""
    true_mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    kl = normal_kl(model_mean, model_log_variance, true_mean, _rows(posterior_log_variance_clipped, t, x_t))
    nll = -discretized_gaussian_log_likelihood_exact(x_start, model_mean, 0.5 * model_log_variance)
    return torch.where((t == 0).reshape(-1, 1, 1, 1), nll, kl).sum(dim=(1, 2, 3))


def vlb_term_continuous_decoder(x_start, x_t, t, model_mean, model_log_variance, posterior_mean_coef1,
                                posterior_mean_coef2, posterior_log_variance_clipped):
    """A Gaussian density at t = 0 where the discretized decoder's bin mass belongs."""
    true_mean = _rows(posterior_mean_coef1, t, x_t) * x_start + _rows(posterior_mean_coef2, t, x_t) * x_t
    kl = normal_kl(true_mean, _rows(posterior_log_variance_clipped, t, x_t), model_mean, model_log_variance)
    nll = 0.5 * (math.log(2 * math.pi) + model_log_variance + (x_start - model_mean) ** 2 / model_log_variance.exp())
    return torch.where((t == 0).reshape(-1, 1, 1, 1), nll, kl).sum(dim=(1, 2, 3))


def discretized_gaussian_log_likelihood_wide_bins(x, *, means, log_scales):
    """Bins of half-width 1/127.5 (the level spacing) instead of 1/255."""
    inv_stdv = torch.exp(-log_scales)
    plus = torch.special.ndtr(inv_stdv * (x - means + 1.0 / 127.5))
    minus = torch.special.ndtr(inv_stdv * (x - means - 1.0 / 127.5))
    return torch.where(x < -0.999, torch.log(plus), torch.where(x > 0.999, torch.log(1 - minus), torch.log(plus - minus)))
