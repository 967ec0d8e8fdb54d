"""Gate your own diffusion code: copy this file into your tests.

Each assertion runs your function, method or scheduler on the gate's float64 schedules (linear and
cosine, T = 1000 and 37, strided chains whose step count does not divide T) and compares it with
the exact formulas; a failure names the claim, the timestep and the size of the error.
"""

import torch

from elbo_suite.gate.diffusion import assert_diffusion_correct


# Your code (normally imported from your own package), written as usual: the gate fills the
# arguments by their names, schedule tables included.
def extract(a, t, x):  # (T,) table at per-row timesteps -> (B, 1, 1, 1)
    return a[t].reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(x_start, t, noise, alphas_cumprod):
    a = extract(alphas_cumprod, t, x_start)
    return a.sqrt() * x_start + (1 - a).sqrt() * noise


def q_posterior_mean_variance(x_start, x_t, t, betas, alphas_cumprod, alphas_cumprod_prev):
    a, a_prev, b = (extract(v, t, x_t) for v in (alphas_cumprod, alphas_cumprod_prev, betas))
    mean = b * a_prev.sqrt() / (1 - a) * x_start + (1 - a_prev) * (1 - b).sqrt() / (1 - a) * x_t
    variance = b * (1 - a_prev) / (1 - a)
    return mean, variance, torch.log(variance.clamp(min=1e-20))


def ddim_step(x_t, t, t_prev, eps, eta, noise, alphas_cumprod):  # t_prev = -1: the data
    a = extract(alphas_cumprod, t, x_t)
    a_prev = torch.where(t_prev >= 0, alphas_cumprod[t_prev.clamp(min=0)], 1.0).reshape(-1, 1, 1, 1)
    x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
    sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
    return a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).sqrt() * eps + sigma * noise


# The gate.
def test_q_sample():
    assert_diffusion_correct(q_sample)


def test_posterior():
    assert_diffusion_correct(q_posterior_mean_variance)


def test_ddim_step():
    assert_diffusion_correct(ddim_step)  # at η = 0, 0.6 and 1, on strided chains too
