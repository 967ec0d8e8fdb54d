"""pytest plugin (entry point pytest11): the ELBO correctness gate as fixtures and assertions.

    from elbo_suite.pytest_plugin import assert_kl_correct

    def test_my_kl():
        assert_kl_correct(my_kl, convention="mean_logvar")

Fixtures: `elbo_gate` (seeded models, q's, data and the assert_* helpers; see
`elbo_suite.gate.fixture.GateFixture`) and `elbo_gate_seed` (0; override it to change the seed).
Importing this module imports neither torch nor the gate: a pytest run that does not use them
pays nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pytest

if TYPE_CHECKING:
    from elbo_suite.gate.fixture import GateFixture
    from elbo_suite.gate.result import GateResult


@pytest.fixture
def elbo_gate_seed() -> int:
    """Seed of the `elbo_gate` inputs; override this fixture to check more seeds."""
    return 0


@pytest.fixture
def elbo_gate(elbo_gate_seed: int) -> GateFixture:
    from elbo_suite.gate.fixture import GateFixture

    return GateFixture(seed=elbo_gate_seed)


def assert_kl_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """See elbo_suite.gate.check_kl; AssertionError with expected, actual and sample size."""
    __tracebackhide__ = True
    from elbo_suite.gate.asserts import assert_kl_correct as check

    return check(fn, **options)


def assert_elbo_estimator_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """See elbo_suite.gate.check_elbo_estimator."""
    __tracebackhide__ = True
    from elbo_suite.gate.asserts import assert_elbo_estimator_correct as check

    return check(fn, **options)


def assert_gradient_estimator_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """See elbo_suite.gate.check_gradient_estimator."""
    __tracebackhide__ = True
    from elbo_suite.gate.asserts import assert_gradient_estimator_correct as check

    return check(fn, **options)


def assert_loss_correct(fn: Callable[..., Any], **options: Any) -> GateResult:
    """See elbo_suite.gate.check_loss: your VAE loss, torch.distributions ELBO or IWAE loss as written."""
    __tracebackhide__ = True
    from elbo_suite.gate.asserts import assert_loss_correct as check

    return check(fn, **options)


def assert_diffusion_correct(target: Any, **options: Any) -> GateResult:
    """See elbo_suite.gate.diffusion.check_diffusion: a diffusion function, method or scheduler."""
    __tracebackhide__ = True
    from elbo_suite.gate.diffusion import assert_diffusion_correct as check

    return check(target, **options)
