"""Users' VAE bugs, written the way they ship, each rejected by the claim named here, with the
message naming what is wrong. Every claim here is exact (same draws, closed forms) except the
two marked statistical (the function draws its own noise), which run at α = 1e-6 on fixed seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import vae_zoo as zoo

from elbo_suite.gate import check_loss

M = zoo.MNIST


@dataclass(frozen=True)
class Bug:
    name: str
    fn: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)
    claim: str = ""
    says: str = ""


BUGS = [
    # loss_function(recon_x, x, mu, logvar), the PyTorch-examples shape
    Bug("sign of the KL", zoo.loss_kld_sign, M, "objective", "the KL term enters with the wrong sign (β = -1)"),
    Bug("a loss that returns the ELBO", zoo.loss_returns_negative, M, "objective", "it is the ELBO, not its negative"),
    Bug("missing ½ in the KL", zoo.loss_kld_missing_half, M, "objective", "the KL term is weighted β = 2"),
    Bug("log-variance read as log-std", zoo.loss_logvar_read_as_log_std, M, "objective",
        "matches a KL that reads logvar as log σ where it is log σ²"),
    Bug("KL with a mean over batch and latent dims", zoo.loss_kld_mean_over_batch_and_latent, M, "objective",
        "β = 0.0666667 (= 1/(B·k))"),
    Bug("reduction='mean' BCE beside a summed KL", zoo.loss_bce_mean_kld_sum, M, "objective",
        "β = 2352 (= B·d) — reconstruction term × 0.00042517 (= 1/(B·d)), KL term × 1"),
    Bug("per-row KL broadcast onto the batch BCE", zoo.loss_kld_per_row_broadcast, {}, "objective", "no such function fits"),
    Bug("μ not squared in the KL", zoo.loss_kld_mu_not_squared, {}, "objective", "no such function fits"),
    Bug("BCE arguments swapped", zoo.loss_arguments_swapped_in_bce, {}, "objective", "no such function fits"),
    Bug("KL detached: right value, no gradient", zoo.loss_detached_kl, {}, "gradient on the same draw",
        "expected a gradient with respect to mu"),
    Bug("β declared by a default, never used", zoo.beta_vae_ignores_beta, {}, "objective", "you declared β = 4"),
    Bug("MSE (mean) beside a summed KL, σ = 1 declared", zoo.mse_mean_loss, {"likelihood": "gaussian", "sigma": 1.0},
        "objective", "β = 10.5 (= B·d/2) at the σ = 1 you declared"),
    Bug("sigmoid then BCE on logits (saturates)", zoo.loss_sigmoid_then_bce, {"likelihood": "bernoulli_logits"},
        "value, stress", "logits up to ±60"),
    Bug("Gaussian density, then its log (underflows)", zoo.loss_gaussian_density_then_log, {"likelihood": "gaussian"},
        "value, stress", "overflow or underflow"),
    # elbo(x, encoder, decoder, prior) over torch.distributions
    Bug("missing Independent: log_prob averaged over pixels", zoo.elbo_missing_independent, {"events": "factorised"},
        "value on the same draw", "weights log p(x|z) by 0.047619 (= 1/(B·d)) where 0.333333 (= 1/B) belongs"),
    Bug("sum over the wrong axis", zoo.elbo_wrong_sum_axis, {"events": "factorised"}, "value on the same draw",
        "the sum over the wrong axis"),
    Bug("sample() where rsample() belongs", zoo.elbo_sample_not_rsample, {}, "gradient on the same draw",
        "drew z with sample(), which cuts the gradient path"),
    Bug("KL arguments swapped", zoo.elbo_kl_swapped, {}, "value on the same draw",
        "the arguments of kl_divergence are swapped"),
    Bug("decoder on q.mean: no draw at all", zoo.elbo_decoder_on_mean, {}, "value on the same draw", "drew no z"),
    Bug("own noise, KL weighted 2 (statistical)", zoo.elbo_own_noise_kl_missing_half, {}, "unbiased", "E[estimate]"),
    Bug("IWAE as log(mean(exp(log_w))) (distributions)", zoo.iwae_distributions_unshifted, {"kind": "iwae"},
        "value on the same draw, stress", "overflow or underflow"),
    # IWAE losses over (K, B) log-probabilities
    Bug("IWAE log-sum-exp over the batch axis", zoo.iwae_loss_wrong_axis, {}, "value on the same draw",
        "a log-sum-exp over the batch axis minus log K"),
    Bug("IWAE missing −log K", zoo.iwae_loss_missing_log_k, {}, "value on the same draw", "without the −log K"),
    Bug("IWAE unshifted log-mean-exp", zoo.iwae_loss_unshifted, {}, "value on the same draw, stress",
        "actual inf"),
    Bug("IWAE as the mean of the log-weights", zoo.iwae_loss_mean_of_logs, {}, "value on the same draw",
        "the mean of the log-weights (the ELBO)"),
    Bug("IWAE with + log q", zoo.iwae_loss_q_sign, {}, "value on the same draw", "expected"),
    Bug("IWAE weights detached: right value, gradient lost", zoo.iwae_loss_detached_weights, {},
        "gradient on the same draw", "your gradient is 0 there"),
]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_vae_bug_is_rejected_by_the_claim_that_pins_it(bug: Bug):
    result = check_loss(bug.fn, **bug.options)
    assert not result.passed, f"{bug.name} was accepted: {result.message}"
    assert result.claim == bug.claim, result.message
    assert bug.says in result.message, result.message
    assert "sample size" in result.message
