"""No false alarms: correct VAE code in every supported style passes, exactly (every claim's
error far below its tolerance), on several seeds. The long sweep is test_vae_seed_sweep."""

from __future__ import annotations

import pytest
import vae_zoo as zoo

from elbo_suite.gate import check_loss

M = zoo.MNIST
CORRECT = [
    # loss_function(recon_x, x, mu, logvar) and its variants
    (zoo.loss_function, M),
    (zoo.loss_returning_parts, M),
    (zoo.loss_dict_detached_parts, {}),
    (zoo.loss_per_sample, {}),
    (zoo.loss_distributions_kl, {}),
    (zoo.loss_with_std, {}),
    (zoo.loss_with_sigma, {}),
    (zoo.loss_with_log_std, {}),
    (zoo.loss_keras_order, {}),
    (zoo.loss_bce_by_hand_with_eps, {}),
    (zoo.loss_logits, {"likelihood": "bernoulli_logits"}),
    (zoo.beta_vae_loss, {}),
    (zoo.gaussian_nll_loss, {"likelihood": "gaussian", "sigma": 0.5}),
    (zoo.mse_mean_loss, {"likelihood": "gaussian"}),
    (zoo.mse_sum_loss, {"likelihood": "gaussian", "sigma": 0.5 ** 0.5}),
    (zoo.continuous_bernoulli_loss, {"likelihood": "continuous_bernoulli", **M}),
    (zoo.elbo_from_parts, M),
    (zoo.VAELoss(), {}),
    (zoo.loss_function, {"reduction": "sum", **M}),
    (zoo.loss_keras_order, {"reduction": "mean"}),
    # elbo(x, encoder, decoder, prior) over torch.distributions
    (zoo.elbo, {}),
    (zoo.elbo, {"likelihood": "bernoulli"}),
    (zoo.elbo_monte_carlo_kl, {}),
    (zoo.elbo_factorised, {"events": "factorised"}),
    (zoo.elbo_wrapped_independent, {"events": "factorised"}),
    (zoo.vae_loss, {}),
    (zoo.elbo_two_draws, {}),
    (zoo.iwae_distributions, {"kind": "iwae"}),
    # IWAE losses over (K, B) log-probabilities
    (zoo.iwae_loss, {}),
    (zoo.iwae_loss_log_w, {}),
    (zoo.iwae_loss_joint, {}),
    (zoo.iwae_loss_batch_first, {"layout": "BK"}),
    (zoo.iwae_loss_max_shift, {}),
    (zoo.iwae_loss_with_k, {"num_particles": 8}),
    (zoo.iwae_bound, {}),
]


def _id(case) -> str:
    fn, options = case
    name = getattr(fn, "__name__", type(fn).__name__)
    return "-".join([name, *map(str, options.values())])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fn, options", CORRECT, ids=[_id(c) for c in CORRECT])
def test_correct_code_passes_every_claim_exactly(fn, options, seed):
    result = check_loss(fn, seed=seed, **options)
    assert result.passed, result.message
    assert result.alpha == 0.0
    # Rounding sits far below the tolerance: no false alarm is near.
    assert all(c["error"] <= 0.6 * c["tolerance"] for c in result.details["claims"]), result.message


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_own_noise_is_checked_statistically_and_says_what_it_skipped(likelihood):
    result = check_loss(zoo.elbo_own_noise, likelihood=likelihood)
    assert result.passed, result.message
    claims = [c["claim"] for c in result.details["claims"]]
    if likelihood == "gaussian":
        assert claims == ["unbiased", "gradient unbiased", "bound ≤ log p(x)", "gap identity"]
        assert result.details["skipped"] == []
    else:  # no exact log p(x) for a Bernoulli decoder: the claims that need it are skipped, with the reason
        assert claims == ["unbiased", "gradient unbiased"]
        assert [s["claim"] for s in result.details["skipped"]] == ["bound ≤ log p(x)", "gap identity"]
        assert "needs the exact log p(x)" in result.message
