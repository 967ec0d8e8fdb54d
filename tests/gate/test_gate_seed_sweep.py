"""Long false-alarm sweep (marker `seeds`, not in the default run): correct code on many seeds.

Every statistical claim runs at α = 1e-6, so across this sweep a single false alarm would already
be evidence against the stated rate. Run with `python -m pytest -m seeds tests/gate`.
"""

from __future__ import annotations

import elbo_suite.estimators.gradients as reference
import gate_zoo as zoo
import pytest

from elbo_suite.gate import check_elbo_estimator, check_gradient_estimator, check_kl

SEEDS = range(100, 150)

pytestmark = pytest.mark.seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_generator_estimators_never_raise_a_false_alarm(seed):
    for fn, options in ((zoo.elbo_generator, {}), (zoo.iwae_generator, {"kind": "iwae", "num_particles": zoo.PARTICLES})):
        result = check_elbo_estimator(fn, noise="generator", seed=seed, **options)
        assert result.passed, result.message


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_estimators_never_raise_a_false_alarm(seed):
    for fn, options in (
        (reference.pathwise, {}),
        (reference.score_function, {}),
        (reference.sticking_the_landing, {}),
        (reference.iwae_dreg, {"objective": "iwae"}),
    ):
        result = check_gradient_estimator(fn, seed=seed, **options)
        assert result.passed, result.message


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_checks_never_raise_a_false_alarm(seed):
    assert check_kl(zoo.kl_scale_tril, convention="mean_scale_tril", covariance="full", against="gaussian",
                    seed=seed).passed
    assert check_elbo_estimator(zoo.iwae, kind="iwae", seed=seed).passed
    assert check_elbo_estimator(zoo.elbo_analytic_kl, kind="elbo_analytic_kl", seed=seed).passed
