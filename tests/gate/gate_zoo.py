"""A zoo of users' functions for the gate: correct ones in every convention, and broken ones,
one per bug class, each written the way the bug is shipped in real code."""

from __future__ import annotations

import math

import torch
from torch.distributions import kl_divergence

# ---------------------------------------------------------------------------------------------
# KL(q‖N(0, I)), mean / log-variance convention
# ---------------------------------------------------------------------------------------------


def kl_logvar(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def kl_logvar_batch_mean(mu, logvar):  # declared reduction="mean"
    return kl_logvar(mu, logvar).mean()


def kl_missing_half(mu, logvar):
    return -torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def kl_logvar_read_as_logstd(mu, logvar):  # treats its argument as log σ: σ² = exp(2 logvar)
    return -0.5 * torch.sum(1 + 2 * logvar - mu.pow(2) - (2 * logvar).exp(), dim=-1)


def kl_mean_over_latent(mu, logvar):  # a mean over the latent coordinates where the sum belongs
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def kl_summed_over_batch(mu, logvar):  # declared a batch mean, but sums over the batch
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def kl_relative_error_1e3(mu, logvar):
    return kl_logvar(mu, logvar) * (1 + 1e-3)


def kl_sign_error_last_coordinate(mu, logvar):  # −log σ² enters with the wrong sign in one coordinate
    sign = torch.ones(logvar.shape[-1], dtype=logvar.dtype)
    sign[-1] = -1.0
    return -0.5 * torch.sum(1 + sign * logvar - mu.pow(2) - logvar.exp(), dim=-1)


def kl_detached_variance(mu, logvar):  # right value, wrong gradient
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp().detach(), dim=-1)


def kl_nan_gradient_at_zero(mu, logvar):  # ‖μ‖² through a square root: NaN gradient at μ = 0
    return 0.5 * (logvar.exp() - 1 - logvar).sum(-1) + 0.5 * mu.square().sum(-1).sqrt().square()


def kl_via_numpy(mu, logvar):  # right value, no gradient at all
    values = kl_logvar(mu, logvar).detach().numpy()
    return torch.from_numpy(values)


def kl_float32(mu, logvar):
    return kl_logvar(mu.float(), logvar.float())


def kl_returns_nan(mu, logvar):
    return kl_logvar(mu, logvar) * float("nan")


def kl_returns_list(mu, logvar):
    return kl_logvar(mu, logvar).tolist()


def kl_per_coordinate(mu, logvar):  # forgot to sum over the latent dimension
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def kl_raises(mu, logvar):
    raise RuntimeError("size mismatch in my_kl")


# ---------------------------------------------------------------------------------------------
# KL(q‖p) between two Gaussians, other conventions
# ---------------------------------------------------------------------------------------------


def kl_std(mu_q, std_q, mu_p, std_p):
    var_ratio = (std_q / std_p).square()
    return 0.5 * (var_ratio + ((mu_q - mu_p) / std_p).square() - 1 - var_ratio.log()).sum(-1)


def kl_std_swapped(mu_q, std_q, mu_p, std_p):  # KL(p‖q) instead of KL(q‖p)
    return kl_std(mu_p, std_p, mu_q, std_q)


def kl_std_sign_error_one_coordinate(mu_q, std_q, mu_p, std_p):  # μq + μp in coordinate 0
    diff = mu_q - mu_p
    diff = torch.cat([mu_q[..., :1] + mu_p[..., :1], diff[..., 1:]], dim=-1)
    var_ratio = (std_q / std_p).square()
    return 0.5 * (var_ratio + (diff / std_p).square() - 1 - var_ratio.log()).sum(-1)


def kl_logvar_gaussian(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (
        logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).square()) / logvar_p.exp() - 1
    ).sum(-1)


def kl_scale_tril(mu_q, L_q, mu_p, L_p):
    k = mu_q.shape[-1]
    cov_q, cov_p = L_q @ L_q.mT, L_p @ L_p.mT
    inv_p = torch.cholesky_inverse(L_p)
    diff = (mu_p - mu_q).unsqueeze(-1)
    trace = torch.diagonal(inv_p @ cov_q, dim1=-2, dim2=-1).sum(-1)
    mahalanobis = (diff.mT @ inv_p @ diff).squeeze(-1).squeeze(-1)
    return 0.5 * (trace + mahalanobis - k + torch.logdet(cov_p) - torch.logdet(cov_q))


def kl_scale_tril_diagonal_only(mu_q, L_q, mu_p, L_p):  # drops the off-diagonal correlations
    std_q = torch.diagonal(L_q, dim1=-2, dim2=-1)
    std_p = torch.diagonal(L_p, dim1=-2, dim2=-1)
    return kl_std(mu_q, std_q, mu_p, std_p)


def kl_scale_tril_transposed(mu_q, L_q, mu_p, L_p):  # Σ = Lᵀ L instead of L Lᵀ
    return kl_scale_tril(mu_q, L_q.mT, mu_p, L_p.mT)


def kl_scale_tril_standard_normal(mu, L):
    k = mu.shape[-1]
    return 0.5 * (L.square().sum((-2, -1)) + mu.square().sum(-1) - k) - torch.diagonal(L, dim1=-2, dim2=-1).log().sum(-1)


def kl_distributions(q, p):
    return kl_divergence(q, p)


def kl_distributions_swapped(q, p):
    return kl_divergence(p, q)


def kl_distributions_standard_normal(q):
    loc = torch.zeros_like(q.mean)
    if isinstance(q, torch.distributions.MultivariateNormal):
        p = torch.distributions.MultivariateNormal(loc, scale_tril=torch.diag_embed(torch.ones_like(loc)))
    else:
        p = torch.distributions.Independent(torch.distributions.Normal(loc, torch.ones_like(loc)), 1)
    return kl_divergence(q, p)


# ---------------------------------------------------------------------------------------------
# ELBO estimators: fn(model, q, x, eps (L, B, k)) -> (B,)
# ---------------------------------------------------------------------------------------------


def elbo(model, q, x, eps):
    z = q.rsample(eps)
    return (model.log_joint(x, z) - q.log_prob(z)).mean(0)


def elbo_per_draw(model, q, x, eps):  # (L, B): accepted, averaged by the gate
    z = q.rsample(eps)
    return model.log_joint(x, z) - q.log_prob(z)


def elbo_loss_batch_mean(model, q, x, eps):  # returns="negative_elbo", reduction="mean"
    return -elbo(model, q, x, eps).mean()


def elbo_analytic_kl(model, q, x, eps):
    z = q.rsample(eps)
    return model.log_likelihood(x, z).mean(0) - model.prior_matching(q)


def elbo_by_hand(model, q, x, eps):  # diagonal q, every density written out
    z = q.mean + q.log_std.exp() * eps  # (L, B, k)
    mean_x = z @ model.W.T + model.b
    s = model.noise_std
    log_lik = (-0.5 * ((x - mean_x) / s).square() - math.log(s) - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_prior = (-0.5 * z.square() - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_q = (-0.5 * eps.square() - q.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    return (log_lik + log_prior - log_q).mean(0)


def elbo_by_hand_logstd_read_as_logvar(model, q, x, eps):  # σ = exp(½ log σ)
    z = q.mean + (0.5 * q.log_std).exp() * eps
    return (model.log_joint(x, z) - q.log_prob(z)).mean(0)


def elbo_sample_not_rsample(model, q, x, eps):  # z drawn outside autograd, like .sample()
    with torch.no_grad():
        z = q.rsample(eps)
    return (model.log_joint(x, z) - q.log_prob(z)).mean(0)


def elbo_sum_over_draws(model, q, x, eps):  # a sum over the L draws where the mean belongs
    z = q.rsample(eps)
    return (model.log_joint(x, z) - q.log_prob(z)).sum(0)


def elbo_kl_summed_over_batch(model, q, x, eps):  # analytic KL summed over the batch per data point
    z = q.rsample(eps)
    return model.log_likelihood(x, z).mean(0) - model.prior_matching(q).sum()


def elbo_relative_error_1e3(model, q, x, eps):
    return elbo(model, q, x, eps) * (1 + 1e-3)


def elbo_likelihood_on_detached_z(model, q, x, eps):  # right value; the likelihood's path gradient lost
    z = q.rsample(eps)
    return (model.log_likelihood(x, z.detach()) + model.log_prior(z) - q.log_prob(z)).mean(0)


# ---------------------------------------------------------------------------------------------
# IWAE estimators: fn(model, q, x, eps (K, B, k)) -> (B,)
# ---------------------------------------------------------------------------------------------


def iwae(model, q, x, eps):
    z = q.rsample(eps)
    log_w = model.log_joint(x, z) - q.log_prob(z)
    return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


def iwae_detached_max_shift(model, q, x, eps):  # a correct variant: the shift cancels exactly
    z = q.rsample(eps)
    log_w = model.log_joint(x, z) - q.log_prob(z)
    shift = log_w.max(0).values.detach()
    return shift + torch.log(torch.exp(log_w - shift).mean(0))


def iwae_mean_of_logs(model, q, x, eps):  # log-mean-exp replaced by the mean of the logs
    z = q.rsample(eps)
    return (model.log_joint(x, z) - q.log_prob(z)).mean(0)


def iwae_dropped_log_k(model, q, x, eps):
    z = q.rsample(eps)
    return torch.logsumexp(model.log_joint(x, z) - q.log_prob(z), dim=0)


def iwae_off_by_one_k(model, q, x, eps):
    z = q.rsample(eps)
    return torch.logsumexp(model.log_joint(x, z) - q.log_prob(z), dim=0) - math.log(eps.shape[0] - 1)


def iwae_detached_weights(model, q, x, eps):  # right value, gradient through the weights lost
    z = q.rsample(eps)
    log_w = model.log_joint(x, z) - q.log_prob(z)
    return torch.logsumexp(log_w.detach(), dim=0) - math.log(eps.shape[0]) + 0 * log_w.sum(0)


# ---------------------------------------------------------------------------------------------
# the same estimators drawing their own noise: fn(model, q, x, generator) -> (B,)
# ---------------------------------------------------------------------------------------------
PARTICLES = 5


def _noise(q, x, generator, draws):
    return torch.randn(draws, *q.mean.shape, generator=generator, dtype=x.dtype)


def elbo_generator(model, q, x, generator):
    return elbo(model, q, x, _noise(q, x, generator, 2))


def elbo_generator_sample_not_rsample(model, q, x, generator):
    return elbo_sample_not_rsample(model, q, x, _noise(q, x, generator, 2))


def elbo_generator_global_rng(model, q, x, generator):  # ignores its generator
    return elbo(model, q, x, torch.randn(2, *q.mean.shape, dtype=x.dtype))


def iwae_generator(model, q, x, generator):
    return iwae(model, q, x, _noise(q, x, generator, PARTICLES))


def iwae_generator_mean_of_logs(model, q, x, generator):
    return iwae_mean_of_logs(model, q, x, _noise(q, x, generator, PARTICLES))


def iwae_generator_dropped_log_k(model, q, x, generator):
    return iwae_dropped_log_k(model, q, x, _noise(q, x, generator, PARTICLES))


# ---------------------------------------------------------------------------------------------
# gradient estimators: fn(log_joint, q, eps (N, k)) -> (N, P)
# ---------------------------------------------------------------------------------------------


def score_function_by_hand(log_joint, q, eps):
    with torch.no_grad():
        f = log_joint(q.path(eps)) - q.log_prob(eps)
    return (f.unsqueeze(-1) - 1.0) * q.score(eps)


def pathwise_by_autograd(log_joint, q, eps):
    """Per-draw pathwise gradients by autograd: one backward pass of the summed objective."""
    # Each draw gets its own copy of φ, so row n's gradient is row n's alone.
    phi = q.phi.detach().expand(eps.shape[0], -1).clone().requires_grad_(True)
    k = q.latent_dim
    mean, rest = phi[:, :k], phi[:, k:]
    if type(q).__name__ == "MeanLogStd":
        z = mean + rest.exp() * eps
        log_q = -0.5 * eps.square().sum(-1) - rest.sum(-1) - 0.5 * k * math.log(2 * math.pi)
        log_q = (-0.5 * ((z - mean) / rest.exp()).square()).sum(-1) - rest.sum(-1) - 0.5 * k * math.log(2 * math.pi)
    else:
        raise TypeError("pathwise_by_autograd: MeanLogStd only")
    (grad,) = torch.autograd.grad((log_joint(z) - log_q).sum(), phi)
    return grad


def score_function_wrong_sign(log_joint, q, eps):
    return -score_function_by_hand(log_joint, q, eps)


def pathwise_entropy_dropped(log_joint, q, eps):  # gradient of E_q[log p(x, z)] only
    from elbo_suite.estimators.gradients import pathwise

    return pathwise(log_joint, q, eps, objective="expectation")


def pathwise_missing_chain_rule(log_joint, q, eps):  # ∂/∂σ reported as ∂/∂log σ
    from elbo_suite.estimators.gradients import pathwise

    rows = pathwise(log_joint, q, eps).clone()
    k = q.latent_dim
    rows[:, k : 2 * k] = rows[:, k : 2 * k] / q.log_std.exp()
    return rows


def gradient_mean_only(log_joint, q, eps):  # returns the mean, not one row per draw
    return score_function_by_hand(log_joint, q, eps).mean(0)


def score_function_scaled_2_percent(log_joint, q, eps):  # every row 2 % too large
    return score_function_by_hand(log_joint, q, eps) * 1.02


def score_function_relative_slip_1e6(log_joint, q, eps):  # every row 1e-6 too large
    return score_function_by_hand(log_joint, q, eps) * (1 + 1e-6)
