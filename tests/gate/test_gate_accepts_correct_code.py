"""No false alarms: correct implementations in every convention pass, on several seeds.

Exact claims compare with rounding tolerances ~10⁶ times the float64 error of these
implementations; statistical claims run at α = 1e-6 on fixed seeds (deterministic).
"""

from __future__ import annotations

import functools

import elbo_suite.estimators.gradients as reference
import gate_zoo as zoo
import pytest

from elbo_suite.gate import check_elbo_estimator, check_gradient_estimator, check_kl

KL_IMPLEMENTATIONS = [
    (zoo.kl_logvar, {"convention": "mean_logvar"}),
    (zoo.kl_logvar_batch_mean, {"convention": "mean_logvar", "reduction": "mean"}),
    (zoo.kl_logvar_gaussian, {"convention": "mean_logvar", "against": "gaussian"}),
    (zoo.kl_std, {"convention": "mean_std", "against": "gaussian"}),
    (zoo.kl_scale_tril, {"convention": "mean_scale_tril", "covariance": "full", "against": "gaussian"}),
    (zoo.kl_scale_tril, {"convention": "mean_scale_tril", "covariance": "diagonal", "against": "gaussian"}),
    (zoo.kl_scale_tril_standard_normal, {"convention": "mean_scale_tril", "covariance": "full"}),
    (zoo.kl_distributions, {"convention": "distributions", "covariance": "diagonal", "against": "gaussian"}),
    (zoo.kl_distributions, {"convention": "distributions", "covariance": "full", "against": "gaussian"}),
    (zoo.kl_distributions_standard_normal, {"convention": "distributions", "covariance": "diagonal"}),
    (zoo.kl_distributions_standard_normal, {"convention": "distributions", "covariance": "full"}),
]


@pytest.mark.parametrize(
    "fn, options", KL_IMPLEMENTATIONS, ids=[f"{fn.__name__}-{'-'.join(o.values())}" for fn, o in KL_IMPLEMENTATIONS]
)
def test_correct_kl_passes_every_claim(fn, options):
    for seed in (0, 10):  # beyond the default seeds as well
        result = check_kl(fn, seed=seed, **options)
        assert result.passed, result.message
        assert [c["claim"] for c in result.details["claims"]] == [
            "KL value", "KL gradient", "KL(p‖p) = 0", "KL(p‖p) gradient finite and zero",
            "KL value, stress", "KL gradient, stress",
        ]
        # The rounding errors sit far below the tolerance: no false alarm is near.
        assert all(c["error"] <= 1e-3 * c["tolerance"] for c in result.details["claims"])


ESTIMATORS = [
    (zoo.elbo, {}),
    (zoo.elbo_per_draw, {}),
    (zoo.elbo_loss_batch_mean, {"returns": "negative_elbo", "reduction": "mean"}),
    (zoo.elbo_analytic_kl, {"kind": "elbo_analytic_kl"}),
    (zoo.elbo_by_hand, {"q_family": "diagonal"}),
    (zoo.iwae, {"kind": "iwae"}),
    (zoo.iwae, {"kind": "iwae", "num_particles": 2}),
    (zoo.iwae_detached_max_shift, {"kind": "iwae", "num_particles": 16}),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "fn, options", ESTIMATORS, ids=[f"{fn.__name__}-{'-'.join(map(str, o.values()))}" for fn, o in ESTIMATORS]
)
def test_correct_estimator_passes_on_injected_noise(fn, options, seed):
    result = check_elbo_estimator(fn, seed=seed, **options)
    assert result.passed, result.message
    assert result.alpha == 0.0  # exact comparison
    assert all(c["error"] <= 1e-3 * c["tolerance"] for c in result.details["claims"])


GENERATOR_ESTIMATORS = [
    (zoo.elbo_generator, {}, 0),
    (zoo.elbo_generator, {}, 7),
    (zoo.iwae_generator, {"kind": "iwae", "num_particles": zoo.PARTICLES}, 0),
]


@pytest.mark.parametrize("fn, options, seed", GENERATOR_ESTIMATORS, ids=["elbo-0", "elbo-7", "iwae-0"])
def test_correct_estimator_passes_with_a_generator(fn, options, seed):
    result = check_elbo_estimator(fn, noise="generator", seed=seed, **options)
    assert result.passed, result.message
    claims = {c["claim"]: c for c in result.details["claims"]}
    assert claims["tight at the posterior"]["alpha"] == 0.0
    assert claims["unbiased"]["alpha"] == 1e-6 and claims["unbiased"]["n"] == 1000


GRADIENT_ESTIMATORS = [
    (reference.pathwise, {}),
    (reference.score_function, {}),
    (functools.partial(reference.score_function, keep_zero_mean_term=False), {}),
    (reference.score_function_optimal_baseline, {}),
    (reference.sticking_the_landing, {}),
    (reference.score_function_rloo, {"group_size": 4}),
    (zoo.score_function_by_hand, {}),
    (zoo.pathwise_by_autograd, {"parameterisation": "mean_log_std"}),
    (reference.iwae_reparameterised, {"objective": "iwae"}),
    (reference.iwae_dreg, {"objective": "iwae"}),
]


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize(
    "fn, options",
    GRADIENT_ESTIMATORS,
    ids=[getattr(fn, "__name__", "score_function_without_zero_mean_term") for fn, _ in GRADIENT_ESTIMATORS],
)
def test_unbiased_gradient_estimator_passes(fn, options, seed):
    result = check_gradient_estimator(fn, seed=seed, num_draws=10_000, **options)
    assert result.passed, result.message
    assert result.alpha == 1e-6
    # The variance is reported beside the pathwise estimator's on the same draws.
    variance = result.details["variance"]
    assert all(len(v["variance"]) == len(v["pathwise_variance"]) == len(v["parameters"]) for v in variance.values())
    (away,) = [c for c in result.details["claims"] if c["claim"] == "unbiased away from the optimum"]
    assert "vs pathwise" in away["message"]


@pytest.mark.parametrize(
    "fn, options",
    [
        (zoo.score_function_by_hand, {"same_as": "score_function"}),
        (zoo.pathwise_by_autograd, {"same_as": "pathwise", "parameterisation": "mean_log_std"}),
        (reference.iwae_dreg, {"same_as": "iwae_dreg", "objective": "iwae"}),
    ],
    ids=["score function", "pathwise by autograd", "DReG"],
)
def test_rows_equal_to_a_named_suite_estimator_pass_exactly(fn, options):
    result = check_gradient_estimator(fn, num_draws=5_000, **options)
    assert result.passed, result.message
    first = result.details["claims"][0]
    assert first["claim"] == f"same rows as {options['same_as']}" and first["alpha"] == 0.0
