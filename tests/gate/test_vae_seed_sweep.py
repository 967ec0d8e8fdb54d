"""Long false-alarm sweep (marker `seeds`, not in the default run): correct VAE code in every
style, on 200 seeds. The exact claims allow rounding only, so a single failure is a false alarm;
the own-noise (statistical) claims run at α = 1e-6 each. Run with
`python -m pytest -m seeds tests/gate/test_vae_seed_sweep.py`."""

from __future__ import annotations

import pytest
import vae_zoo as zoo

from elbo_suite.gate import check_loss

SEEDS = range(200)

pytestmark = pytest.mark.seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_correct_code_in_every_style_never_raises_a_false_alarm(seed):
    for fn, options in zoo.CORRECT:
        result = check_loss(fn, seed=seed, **options)
        assert result.passed, f"{getattr(fn, '__name__', fn)}: {result.message}"


@pytest.mark.parametrize("seed", SEEDS)
def test_own_noise_statistical_claims_never_raise_a_false_alarm(seed):
    for likelihood in ("gaussian", "bernoulli"):
        result = check_loss(zoo.elbo_own_noise, likelihood=likelihood, seed=seed)
        assert result.passed, result.message


@pytest.mark.parametrize("seed", SEEDS)
def test_model_based_styles_never_raise_a_false_alarm(seed):
    import gate_zoo

    import elbo_suite.estimators.gradients as reference

    for fn, options in (
        (gate_zoo.kl_logvar, {}),
        (gate_zoo.kl_scale_tril, {}),
        (gate_zoo.elbo, {}),
        (gate_zoo.elbo_analytic_kl, {"kind": "elbo_analytic_kl"}),
        (gate_zoo.iwae, {}),
        (reference.pathwise, {"style": "gradient"}),
        (reference.score_function, {"style": "gradient"}),
    ):
        result = check_loss(fn, seed=seed, **options)
        assert result.passed, f"{fn.__name__}: {result.message}"
