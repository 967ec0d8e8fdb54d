"""Long false-alarm sweep (marker `seeds`, not in the default run): correct diffusion code in every
supported style, on 200 seeds of the gate's inputs. Every claim is an exact comparison, so the only
way to fail is a tolerance below the rounding of a correct implementation: the expected number of
false alarms is 0. Run with `python -m pytest -m seeds tests/gate/test_diffusion_seed_sweep.py`.
"""

from __future__ import annotations

import pytest
from test_diffusion_gate import CORRECT

from elbo_suite.gate.diffusion import check_diffusion

SEEDS = range(200)

pytestmark = pytest.mark.seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_correct_diffusion_code_never_raises_a_false_alarm(seed):
    for param in CORRECT:
        target, options = param.values
        result = check_diffusion(target, seed=seed, **options)
        assert result.passed, f"[{param.id}] {result.message}"


@pytest.mark.parametrize("seed", SEEDS)
def test_diffusers_schedulers_never_raise_a_false_alarm(seed):
    diffusers = pytest.importorskip("diffusers", reason="diffusers is not installed")
    from test_diffusion_diffusers import DDIM_PASSING, DDPM_PASSING

    for config in DDPM_PASSING.values():
        result = check_diffusion(diffusers.DDPMScheduler(**config), seed=seed)
        assert result.passed, f"[DDPM {config}] {result.message}"
    for config in DDIM_PASSING.values():
        result = check_diffusion(diffusers.DDIMScheduler(**config), seed=seed)
        assert result.passed, f"[DDIM {config}] {result.message}"
