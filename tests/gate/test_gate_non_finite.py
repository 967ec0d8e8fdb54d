"""A NaN or inf returned on the gate's finite inputs is a failed claim that says overflow /
underflow — never bad input. The stress set-ups put log-weights hundreds to thousands of nats
from 0, where the unshifted log-mean-exp IWAE returns ∓inf and must fail."""

from __future__ import annotations

import math

import gate_zoo as zoo
import pytest
import torch

from elbo_suite.gate import check_elbo_estimator, check_gradient_estimator, check_kl

OVERFLOW = "overflow or underflow"


def naive_iwae(model, q, x, eps):  # log(mean(exp(log_w))): exact on tame log-weights, ∓inf under stress
    z = q.rsample(eps)
    log_w = model.log_joint(x, z) - q.log_prob(z)
    return torch.log(torch.exp(log_w).mean(0))


def naive_iwae_generator(model, q, x, generator):
    return naive_iwae(model, q, x, torch.randn(5, *q.mean.shape, generator=generator, dtype=x.dtype))


def naive_iwae_gradient(log_joint, q, eps):  # self-normalised weights without the max shift
    from elbo_suite.estimators.gradients import iwae_dreg

    flat = eps.reshape(-1, eps.shape[-1])  # (N·K, k)
    log_w = (log_joint(q.path(flat)) - q.log_prob(flat)).reshape(eps.shape[:-1])  # (N, K)
    weights = torch.exp(log_w) / torch.exp(log_w).sum(-1, keepdim=True)
    return iwae_dreg(log_joint, q, eps) * weights.sum(-1, keepdim=True)  # 1 where finite, NaN under stress


def test_naive_log_mean_exp_passes_tame_draws_and_fails_under_stress():
    result = check_elbo_estimator(naive_iwae, kind="iwae")
    assert not result.passed
    claims = {c["claim"]: c for c in result.details["claims"]}
    assert claims["value on the same draw"]["passed"]  # the gate's tame set-ups: log-weights −13…−3
    assert result.claim == "value on the same draw, stress"
    assert OVERFLOW in result.message and "actual -inf" in result.message


def test_naive_log_mean_exp_with_a_generator_fails_finite_under_stress():
    result = check_elbo_estimator(naive_iwae_generator, kind="iwae", noise="generator", replicates=200)
    assert not result.passed and result.claim == "finite under stress", result.message
    assert OVERFLOW in result.message


def test_naive_self_normalised_weights_fail_finite_under_stress():
    result = check_gradient_estimator(naive_iwae_gradient, objective="iwae", num_draws=2_000,
                                      parameterisation="mean_log_std")
    assert not result.passed and result.claim == "finite under stress", result.message


@pytest.mark.parametrize(
    "fn, check, options, claim",
    [
        (zoo.kl_returns_nan, check_kl, {}, "KL value"),
        (lambda mu, logvar: zoo.kl_logvar(mu, logvar) + math.inf, check_kl, {}, "KL value"),
        (lambda model, q, x, eps: zoo.elbo(model, q, x, eps) / 0.0 * 0.0, check_elbo_estimator, {}, "value on the same draw"),
        (lambda log_joint, q, eps: zoo.score_function_by_hand(log_joint, q, eps) * math.inf, check_gradient_estimator,
         {"parameterisation": "mean_log_std", "num_draws": 1_000}, "finite under stress"),
    ],
    ids=["KL NaN", "KL inf", "ELBO NaN", "gradient inf"],
)
def test_non_finite_output_is_a_failed_claim(fn, check, options, claim):
    result = check(fn, **options)
    assert not result.passed and result.claim == claim, result.message
    assert OVERFLOW in result.message


def test_correct_code_is_exact_under_stress():
    for fn, options in ((zoo.iwae, {"kind": "iwae"}), (zoo.elbo, {}), (zoo.iwae_detached_max_shift, {"kind": "iwae"})):
        result = check_elbo_estimator(fn, **options)
        stress = [c for c in result.details["claims"] if c["claim"].endswith("stress")]
        assert result.passed and len(stress) == 2, result.message
    kl = check_kl(zoo.kl_logvar)
    assert [c["claim"] for c in kl.details["claims"]][-2:] == ["KL value, stress", "KL gradient, stress"]
