"""Users' VAE code as they write it, correct and broken: PyTorch-examples-style losses
`loss_function(recon_x, x, mu, logvar)` and their variants, `elbo(x, encoder, decoder, prior)`
over torch.distributions, IWAE losses over (K, B) log-probabilities. Each broken one carries one
bug, written the way it ships in real code. (Equations only; no one's code is copied.)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Independent, Normal, kl_divergence

# ---------------------------------------------------------------------------------------------
# loss_function(recon_x, x, mu, logvar): the PyTorch-examples shape (MNIST: x.view(-1, 784))
# ---------------------------------------------------------------------------------------------
MNIST = {"data_shape": (784,)}


def loss_function(recon_x, x, mu, logvar):  # BCE summed over pixels and batch, plus the KL
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def loss_returning_parts(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD, BCE, KLD


def loss_dict_detached_parts(recons, input, mu, log_var):  # a dict, the parts detached for logging
    recons_loss = F.binary_cross_entropy(recons, input, reduction="none").sum(1).mean()
    kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp(), dim=1), dim=0)
    loss = recons_loss + kld_loss
    return {"loss": loss, "Reconstruction_Loss": recons_loss.detach(), "KLD": -kld_loss.detach()}


def loss_per_sample(recon_x, x, mu, logvar):  # (B,): one loss per data point
    bce = F.binary_cross_entropy(recon_x, x, reduction="none").sum(-1)
    kld = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    return bce + kld


def loss_distributions_kl(recon_x, x, mu, log_var):  # KL through torch.distributions
    q = Normal(mu, torch.exp(0.5 * log_var))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + kl_divergence(q, prior).sum()


def loss_with_std(recon_x, x, mu, std):
    kld = 0.5 * torch.sum(std.pow(2) + mu.pow(2) - 1 - 2 * torch.log(std))
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + kld


def loss_with_sigma(recon_x, x, mu, sigma):
    kld = torch.sum(0.5 * (sigma**2 + mu**2) - 0.5 - torch.log(sigma))
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + kld


def loss_with_log_std(recon_x, x, mu, log_std):
    kld = torch.sum(0.5 * (torch.exp(2 * log_std) + mu**2 - 1) - log_std)
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + kld


def loss_keras_order(x, x_decoded_mean, z_mean, z_log_var):  # data first, Keras-tutorial names
    xent = F.binary_cross_entropy(x_decoded_mean, x, reduction="none").sum(-1)
    kl = -0.5 * torch.sum(1 + z_log_var - z_mean.square() - z_log_var.exp(), dim=-1)
    return (xent + kl).mean()


def loss_bce_by_hand_with_eps(recon_x, x, mu, logvar):  # the ε inside the log people add
    bce = -(x * torch.log(recon_x + 1e-10) + (1 - x) * torch.log(1 - recon_x + 1e-10)).sum()
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def loss_logits(x_logits, x, mu, logvar):  # likelihood="bernoulli_logits"
    bce = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def beta_vae_loss(recon_x, x, mu, logvar, beta=4.0):  # β read from the default
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    return bce + beta * (-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()))


def gaussian_nll_loss(recon_x, x, mu, logvar):  # likelihood="gaussian", sigma=0.5 declared
    sigma = 0.5
    nll = (0.5 * ((x - recon_x) / sigma) ** 2 + math.log(sigma) + 0.5 * math.log(2 * math.pi)).sum()
    return nll - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def mse_mean_loss(recon_x, x, mu, logvar):  # MSE averaged over the batch and pixels, KL summed
    mse = F.mse_loss(recon_x, x, reduction="mean")
    return mse - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def mse_sum_loss(recon_x, x, mu, logvar):  # σ² = 1/2 at β = 1
    return F.mse_loss(recon_x, x, reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def continuous_bernoulli_loss(recon_x, x, mu, logvar):  # likelihood="continuous_bernoulli"
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    lam = recon_x
    far = (lam < 0.49) | (lam > 0.51)
    cut = torch.where(far, lam, 0.49 * torch.ones_like(lam))
    u = 1.0 - 2.0 * cut
    log_norm = torch.log(torch.abs(torch.log1p(u) - torch.log1p(-u))) - torch.log(torch.abs(u))
    taylor = math.log(2.0) + 4.0 / 3.0 * (lam - 0.5) ** 2 + 104.0 / 45.0 * (lam - 0.5) ** 4
    nlnc = -torch.sum(torch.where(far, log_norm, taylor))
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + nlnc + kld


def elbo_from_parts(recon_x, x, mu, logvar):  # returns the ELBO itself (its name says so)
    return -loss_function(recon_x, x, mu, logvar)


class VAELoss(nn.Module):  # an nn.Module loss: the gate reads forward's parameters
    def __init__(self):
        super().__init__()
        self.bce = nn.BCELoss(reduction="sum")

    def forward(self, recon_x, x, mu, logvar):
        return self.bce(recon_x, x) - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


# --- broken ---------------------------------------------------------------------------------
def loss_kld_sign(recon_x, x, mu, logvar):  # the minus in front of the ½ dropped
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def loss_returns_negative(recon_x, x, mu, logvar):  # a loss that returns the ELBO
    return -loss_function(recon_x, x, mu, logvar)


def loss_kld_missing_half(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def loss_logvar_read_as_log_std(recon_x, x, mu, logvar):  # σ = exp(logvar): log σ² read as log σ
    std = torch.exp(logvar)
    KLD = -0.5 * torch.sum(1 + torch.log(std.pow(2)) - mu.pow(2) - std.pow(2))
    return F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum") + KLD


def loss_kld_mean_over_batch_and_latent(recon_x, x, mu, logvar):  # torch.mean where the sum belongs
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def loss_bce_mean_kld_sum(recon_x, x, mu, logvar):  # reduction='mean' beside a summed KL
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="mean")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def loss_kld_per_row_broadcast(recon_x, x, mu, logvar):  # (B,): the batch's BCE added to each row's KL
    BCE = F.binary_cross_entropy(recon_x, x, reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    return BCE + KLD


def loss_kld_mu_not_squared(recon_x, x, mu, logvar):
    KLD = -0.5 * torch.sum(1 + logvar - mu - logvar.exp())
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + KLD


def loss_arguments_swapped_in_bce(recon_x, x, mu, logvar):  # F.binary_cross_entropy(target, input)
    BCE = F.binary_cross_entropy(x, recon_x, reduction="sum")
    return BCE - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def loss_detached_kl(recon_x, x, mu, logvar):  # right value, the KL's gradient lost
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + KLD.detach()


def loss_sigmoid_then_bce(x_logits, x, mu, logvar):  # logits through sigmoid, then BCE: breaks at |logit| ~ 40
    bce = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def loss_gaussian_density_then_log(recon_x, x, mu, logvar):  # log of the density: underflows
    sigma = 1.0
    density = torch.exp(-0.5 * ((x - recon_x) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return -torch.log(density).sum() - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def beta_vae_ignores_beta(recon_x, x, mu, logvar, beta=4.0):  # β declared, never used
    return F.binary_cross_entropy(recon_x, x, reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


# ---------------------------------------------------------------------------------------------
# elbo(x, encoder, decoder, prior) over torch.distributions
# ---------------------------------------------------------------------------------------------
def elbo(x, encoder, decoder, prior):  # Independent distributions, analytic KL, batch mean
    q = encoder(x)
    z = q.rsample()
    return (decoder(z).log_prob(x) - kl_divergence(q, prior)).mean()


def elbo_monte_carlo_kl(x, encoder, decoder, prior):  # L = 4 draws, per data point
    q = encoder(x)
    z = q.rsample((4,))
    return (decoder(z).log_prob(x) + prior.log_prob(z) - q.log_prob(z)).mean(0)


def elbo_factorised(x, encoder, decoder, prior):  # events="factorised": sums over the event axes
    q = encoder(x)
    z = q.rsample()
    return (decoder(z).log_prob(x).sum(-1) - kl_divergence(q, prior).sum(-1)).sum()


def elbo_wrapped_independent(x, encoder, decoder, prior):  # events="factorised", wraps them itself
    q = Independent(encoder(x), 1)
    z = q.rsample()
    p_x = Independent(decoder(z), 1)
    return (p_x.log_prob(x) - kl_divergence(q, Independent(prior, 1))).mean()


def vae_loss(x, encoder, decoder, prior):  # a loss (its name says so)
    return -elbo(x, encoder, decoder, prior)


def elbo_two_draws(x, encoder, decoder, prior):  # one z for the likelihood, another for the MC KL
    q = encoder(x)
    z1, z2 = q.rsample(), q.rsample()
    return (decoder(z1).log_prob(x) - (q.log_prob(z2) - prior.log_prob(z2))).mean()


def elbo_two_draws_averaged(x, encoder, decoder, prior):  # L = 2 as two separate rsample() calls
    q = encoder(x)
    log_px = sum(decoder(q.rsample()).log_prob(x) for _ in range(2)) / 2
    return (log_px - kl_divergence(q, prior)).mean()


def elbo_own_noise(x, encoder, decoder, prior):  # reparameterised by hand with torch.randn_like
    q = encoder(x)
    z = q.mean + q.stddev * torch.randn_like(q.mean)
    return (decoder(z).log_prob(x) - kl_divergence(q, prior)).mean()


def iwae_distributions(x, encoder, decoder, prior):  # kind="iwae"
    q = encoder(x)
    z = q.rsample((6,))
    log_w = decoder(z).log_prob(x) + prior.log_prob(z) - q.log_prob(z)
    return (torch.logsumexp(log_w, 0) - math.log(6)).mean()


def iwae_distributions_loop(x, encoder, decoder, prior):  # kind="iwae": K particles, one rsample() each
    q = encoder(x)
    log_w = []
    for _ in range(4):
        z = q.rsample()
        log_w.append(decoder(z).log_prob(x) + prior.log_prob(z) - q.log_prob(z))
    return (torch.logsumexp(torch.stack(log_w), 0) - math.log(4)).mean()


def elbo_sticking_the_landing(x, encoder, decoder, prior):  # gradient="none": q's score term dropped on purpose
    q = encoder(x)
    z = q.rsample()
    base = q.base_dist
    q_stopped = Independent(Normal(base.loc.detach(), base.scale.detach()), 1)
    return (decoder(z).log_prob(x) + prior.log_prob(z) - q_stopped.log_prob(z)).mean()


# --- broken ---------------------------------------------------------------------------------
def elbo_missing_independent(x, encoder, decoder, prior):  # events="factorised": mean over pixels too
    q = encoder(x)
    z = q.rsample()
    return decoder(z).log_prob(x).mean() - kl_divergence(q, prior).sum(-1).mean()


def elbo_wrong_sum_axis(x, encoder, decoder, prior):  # events="factorised": sum over the batch axis
    q = encoder(x)
    z = q.rsample()
    log_px = decoder(z).log_prob(x).sum(0)  # (d,) where (B,) was meant
    return log_px.mean() - kl_divergence(q, prior).sum(-1).mean()


def elbo_sample_not_rsample(x, encoder, decoder, prior):
    q = encoder(x)
    z = q.sample()
    return (decoder(z).log_prob(x) - kl_divergence(q, prior)).mean()


def elbo_kl_swapped(x, encoder, decoder, prior):
    q = encoder(x)
    z = q.rsample()
    return (decoder(z).log_prob(x) - kl_divergence(prior, q)).mean()


def elbo_decoder_on_mean(x, encoder, decoder, prior):  # z = q.mean: no sampling at all
    q = encoder(x)
    return (decoder(q.mean).log_prob(x) - kl_divergence(q, prior)).mean()


def elbo_own_noise_kl_missing_half(x, encoder, decoder, prior):  # own noise: a statistical catch
    q = encoder(x)
    z = q.mean + q.stddev * torch.randn_like(q.mean)
    return (decoder(z).log_prob(x) - 2 * kl_divergence(q, prior)).mean()


def iwae_distributions_unshifted(x, encoder, decoder, prior):  # log(mean(exp(log_w)))
    q = encoder(x)
    z = q.rsample((6,))
    log_w = decoder(z).log_prob(x) + prior.log_prob(z) - q.log_prob(z)
    return torch.log(torch.exp(log_w).mean(0)).mean()


# ---------------------------------------------------------------------------------------------
# IWAE losses over (K, B) log-probabilities
# ---------------------------------------------------------------------------------------------
def iwae_loss(log_p_x_given_z, log_p_z, log_q_z_given_x):  # (K, B) each -> −IWAE, batch mean
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    return -(torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])).mean()


def iwae_loss_log_w(log_w):  # per data point
    return -(torch.logsumexp(log_w, 0) - math.log(log_w.shape[0]))


def iwae_loss_joint(log_p_xz, log_q):
    return -(torch.logsumexp(log_p_xz - log_q, 0) - math.log(log_q.shape[0])).sum()


def iwae_loss_batch_first(log_w):  # layout="BK": (B, K)
    return -(torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])).mean()


def iwae_loss_max_shift(log_p_x_given_z, log_p_z, log_q_z_given_x):  # shifted by hand, detached max
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    m = log_w.max(0, keepdim=True).values.detach()
    return -(m.squeeze(0) + torch.log(torch.exp(log_w - m).mean(0))).mean()


def iwae_loss_with_k(log_w, k):  # K passed explicitly
    return -(torch.logsumexp(log_w, 0) - math.log(k)).mean()


def iwae_bound(log_p_x_given_z, log_p_z, log_q_z_given_x):  # returns the bound (its name says so)
    return -iwae_loss(log_p_x_given_z, log_p_z, log_q_z_given_x)


# --- broken ---------------------------------------------------------------------------------
def iwae_loss_wrong_axis(log_p_x_given_z, log_p_z, log_q_z_given_x):  # log-sum-exp over the batch
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    return -(torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[0])).mean()


def iwae_loss_missing_log_k(log_p_x_given_z, log_p_z, log_q_z_given_x):
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    return -torch.logsumexp(log_w, dim=0).mean()


def iwae_loss_unshifted(log_p_x_given_z, log_p_z, log_q_z_given_x):  # log(mean(exp(w)))
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    return -torch.log(torch.exp(log_w).mean(0)).mean()


def iwae_loss_mean_of_logs(log_p_x_given_z, log_p_z, log_q_z_given_x):  # the ELBO, not the IWAE
    return -(log_p_x_given_z + log_p_z - log_q_z_given_x).mean()


def iwae_loss_q_sign(log_p_x_given_z, log_p_z, log_q_z_given_x):  # + log q
    log_w = log_p_x_given_z + log_p_z + log_q_z_given_x
    return -(torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])).mean()


def iwae_loss_detached_weights(log_p_x_given_z, log_p_z, log_q_z_given_x):  # right value, gradient lost
    log_w = log_p_x_given_z + log_p_z - log_q_z_given_x
    value = torch.logsumexp(log_w.detach(), 0) - math.log(log_w.shape[0])
    return -(value + 0.0 * log_w.mean(0)).mean()


# ---------------------------------------------------------------------------------------------
# every correct function above with the options that say what it is (exact claims only)
# ---------------------------------------------------------------------------------------------
M = MNIST
CORRECT = [
    # loss_function(recon_x, x, mu, logvar) and its variants
    (loss_function, M),
    (loss_returning_parts, M),
    (loss_dict_detached_parts, {}),
    (loss_per_sample, {}),
    (loss_distributions_kl, {}),
    (loss_with_std, {}),
    (loss_with_sigma, {}),
    (loss_with_log_std, {}),
    (loss_keras_order, {}),
    (loss_bce_by_hand_with_eps, {}),
    (loss_logits, {"likelihood": "bernoulli_logits"}),
    (beta_vae_loss, {}),
    (gaussian_nll_loss, {"likelihood": "gaussian", "sigma": 0.5}),
    (mse_mean_loss, {"likelihood": "gaussian"}),
    (mse_sum_loss, {"likelihood": "gaussian", "sigma": 0.5 ** 0.5}),
    (continuous_bernoulli_loss, {"likelihood": "continuous_bernoulli", **M}),
    (elbo_from_parts, M),
    (VAELoss(), {}),
    (loss_function, {"reduction": "sum", **M}),
    (loss_keras_order, {"reduction": "mean"}),
    # elbo(x, encoder, decoder, prior) over torch.distributions
    (elbo, {}),
    (elbo, {"likelihood": "bernoulli"}),
    (elbo_monte_carlo_kl, {}),
    (elbo_factorised, {"events": "factorised"}),
    (elbo_wrapped_independent, {"events": "factorised"}),
    (vae_loss, {}),
    (elbo_two_draws, {}),
    (elbo_two_draws_averaged, {}),
    (iwae_distributions, {"kind": "iwae"}),
    (iwae_distributions_loop, {"kind": "iwae"}),
    (elbo_sticking_the_landing, {"gradient": "none"}),
    # IWAE losses over (K, B) log-probabilities
    (iwae_loss, {}),
    (iwae_loss_log_w, {}),
    (iwae_loss_joint, {}),
    (iwae_loss_batch_first, {"layout": "BK"}),
    (iwae_loss_max_shift, {}),
    (iwae_loss_with_k, {"num_particles": 8}),
    (iwae_bound, {}),
]


