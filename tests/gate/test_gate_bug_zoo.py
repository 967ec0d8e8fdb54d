"""Every bug class, as a deliberately broken user function, is rejected by the claim named here.

Exact claims (injected noise, closed-form KLs) have no false-alarm rate beyond rounding; the
statistical ones run at α = 1e-6 on fixed seeds, so these tests are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import gate_zoo as zoo
import pytest

from elbo_suite.gate import check_elbo_estimator, check_gradient_estimator, check_kl


@dataclass(frozen=True)
class Bug:
    name: str  # the bug class
    fn: Callable[..., Any]
    check: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)
    claim: str = ""  # the claim that must catch it
    says: str = ""  # a fragment the message must contain


GAUSSIAN_STD = {"convention": "mean_std", "against": "gaussian"}
FULL = {"convention": "mean_scale_tril", "covariance": "full", "against": "gaussian"}
IWAE = {"kind": "iwae"}
GENERATOR_IWAE = {"kind": "iwae", "noise": "generator", "num_particles": zoo.PARTICLES}

BUGS = [
    Bug("KL missing 1/2", zoo.kl_missing_half, check_kl, {}, "KL value", "actual/expected = 2 everywhere"),
    Bug("KL log-variance read as log-std", zoo.kl_logvar_read_as_logstd, check_kl, {}, "KL value"),
    Bug("KL arguments swapped", zoo.kl_std_swapped, check_kl, GAUSSIAN_STD, "KL value"),
    Bug("KL arguments swapped (torch.distributions, full)", zoo.kl_distributions_swapped, check_kl,
        {"convention": "distributions", "covariance": "full", "against": "gaussian"}, "KL value"),
    Bug("KL mean over latent coordinates where the sum belongs", zoo.kl_mean_over_latent, check_kl, {}, "KL value"),
    Bug("KL summed over the batch", zoo.kl_summed_over_batch, check_kl, {"reduction": "mean"}, "KL value",
        "actual/expected = 6 everywhere"),
    Bug("KL 1e-3 relative error", zoo.kl_relative_error_1e3, check_kl, {}, "KL value", "actual/expected = 1.001"),
    Bug("KL wrong sign in one coordinate (log σ²)", zoo.kl_sign_error_last_coordinate, check_kl, {}, "KL value"),
    Bug("KL wrong sign in one coordinate (μq − μp)", zoo.kl_std_sign_error_one_coordinate, check_kl, GAUSSIAN_STD, "KL value"),
    Bug("KL full covariance: off-diagonal dropped", zoo.kl_scale_tril_diagonal_only, check_kl, FULL, "KL value"),
    Bug("KL full covariance: Lᵀ L for L Lᵀ", zoo.kl_scale_tril_transposed, check_kl, FULL, "KL value"),
    Bug("KL right value, detached variance", zoo.kl_detached_variance, check_kl, {}, "KL gradient", "d/d logvar"),
    Bug("KL right value, computed in numpy", zoo.kl_via_numpy, check_kl, {}, "KL gradient", "requires_grad=False"),
    Bug("KL NaN gradient at KL(p‖p)", zoo.kl_nan_gradient_at_zero, check_kl, {}, "KL(p‖p) gradient finite and zero",
        "expected a finite gradient, actual nan"),
    Bug("ELBO sample() where rsample() was needed", zoo.elbo_sample_not_rsample, check_elbo_estimator, {},
        "gradient on the same draw"),
    Bug("ELBO sum over draws where the mean belongs", zoo.elbo_sum_over_draws, check_elbo_estimator, {},
        "value on the same draw", "= L everywhere"),
    Bug("ELBO analytic KL summed over the batch", zoo.elbo_kl_summed_over_batch, check_elbo_estimator,
        {"kind": "elbo_analytic_kl"}, "value on the same draw"),
    Bug("ELBO log-std read as log-variance", zoo.elbo_by_hand_logstd_read_as_logvar, check_elbo_estimator,
        {"q_family": "diagonal"}, "value on the same draw"),
    Bug("ELBO 1e-3 relative error", zoo.elbo_relative_error_1e3, check_elbo_estimator, {}, "value on the same draw"),
    Bug("ELBO likelihood on a detached z", zoo.elbo_likelihood_on_detached_z, check_elbo_estimator, {},
        "gradient on the same draw"),
    Bug("ELBO declared, analytic-KL form written", zoo.elbo_analytic_kl, check_elbo_estimator, {},
        "value on the same draw", "match kind='elbo_analytic_kl'"),
    Bug("IWAE log-mean-exp as mean of logs", zoo.iwae_mean_of_logs, check_elbo_estimator, IWAE,
        "value on the same draw", "mean of log-weights instead of log-mean-exp"),
    Bug("IWAE dropped −log K", zoo.iwae_dropped_log_k, check_elbo_estimator, IWAE, "value on the same draw", "= log K"),
    Bug("IWAE off-by-one in K", zoo.iwae_off_by_one_k, check_elbo_estimator, IWAE, "value on the same draw",
        "a division by K−1"),
    Bug("IWAE right value, detached weights", zoo.iwae_detached_weights, check_elbo_estimator, IWAE,
        "gradient on the same draw"),
    Bug("ELBO (generator) sample() where rsample() was needed", zoo.elbo_generator_sample_not_rsample,
        check_elbo_estimator, {"noise": "generator"}, "gradient unbiased"),
    Bug("IWAE (generator) log-mean-exp as mean of logs", zoo.iwae_generator_mean_of_logs, check_elbo_estimator,
        GENERATOR_IWAE, "unbiased"),
    Bug("IWAE (generator) dropped −log K", zoo.iwae_generator_dropped_log_k, check_elbo_estimator,
        GENERATOR_IWAE, "tight at the posterior"),
    # Single-draw estimators: the exact quadrature claim comes first and catches any bias; the
    # statistical claims fail too ("also failed: ...").
    Bug("gradient: score function with the wrong sign", zoo.score_function_wrong_sign, check_gradient_estimator, {},
        "unbiased, exact by quadrature", "also failed: unbiased away from the optimum"),
    Bug("gradient: entropy term dropped", zoo.pathwise_entropy_dropped, check_gradient_estimator, {},
        "unbiased, exact by quadrature", "also failed: unbiased away from the optimum"),
    Bug("gradient: ∂/∂σ reported as ∂/∂log σ", zoo.pathwise_missing_chain_rule, check_gradient_estimator,
        {"parameterisation": "mean_log_std"}, "unbiased, exact by quadrature"),
    Bug("gradient: 2% scale slip", zoo.score_function_scaled_2_percent, check_gradient_estimator, {},
        "unbiased, exact by quadrature", "the estimator is biased"),
    Bug("gradient: 1e-6 relative slip (nothing declared)", zoo.score_function_relative_slip_1e6,
        check_gradient_estimator, {}, "unbiased, exact by quadrature", "the estimator is biased"),
    Bug("gradient: 1e-6 relative slip (declared same_as)", zoo.score_function_relative_slip_1e6,
        check_gradient_estimator, {"same_as": "score_function"}, "same rows as score_function"),
    Bug("gradient: sticking the landing for IWAE with K > 1", __import__("elbo_suite.estimators.gradients", fromlist=["x"]).iwae_sticking_the_landing,
        check_gradient_estimator, {"objective": "iwae"}, "unbiased away from the optimum"),
]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_bug_is_rejected_by_the_claim_that_pins_it(bug: Bug):
    result = bug.check(bug.fn, **bug.options)
    assert not result.passed, f"{bug.name} was accepted: {result.message}"
    assert result.claim == bug.claim, result.message
    assert bug.says in result.message
    # torch.distributions style: what was expected, what came out, and how much evidence.
    assert "expected" in result.message and "sample size" in result.message
    assert result.n > 0 and result.error > 0


def test_a_tiny_relative_error_at_one_draw_is_not_read_as_a_sum_over_draws():
    result = check_elbo_estimator(zoo.elbo_relative_error_1e3, num_samples=1)
    assert not result.passed and result.claim == "value on the same draw"
    assert "sum over the draws" not in result.message
    assert "actual/expected = 1.001 everywhere: a constant factor" in result.message


def test_a_loss_is_reported_as_a_loss():
    def loss_off_by_1e3(model, q, x, eps):  # returns="negative_elbo", reduction="mean"
        return zoo.elbo_loss_batch_mean(model, q, x, eps) * (1 + 1e-3)

    result = check_elbo_estimator(loss_off_by_1e3, returns="negative_elbo", reduction="mean")
    claim = result.details["claims"][0]
    assert not result.passed and claim["claim"] == "value on the same draw"
    expected, actual = (float(v) for v in
                        claim["message"].split("expected ")[1].split(" (")[0:1] + claim["message"].split("actual ")[1].split(" at")[0:1])
    assert expected > 0 and actual > 0 and actual / expected == pytest.approx(1.001)  # the loss, not −loss
    assert "the loss −[log p(x,z) − log q(z)]" in claim["message"]
    def loss_generator(model, q, x, generator):
        return -zoo.elbo_generator(model, q, x, generator).mean()

    generator = check_elbo_estimator(loss_generator, returns="negative_elbo", reduction="mean",
                                     noise="generator", replicates=200, q_family="diagonal")
    claims = [c["claim"] for c in generator.details["claims"]]
    assert generator.passed and "loss ≥ −log p(x)" in claims, generator.message
