"""What the `elbo_gate` pytest fixture hands a test: seeded exact models, q's and data, and the
gate's assertions, so a user's own test can also poke at their code on the gate's inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate import asserts
from elbo_suite.gate.result import GateResult
from elbo_suite.gate.setups import Setup, live, make_setup
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import GaussianQ


@dataclass
class GateFixture:
    """Seeded inputs (full-covariance q unless named otherwise) and the assert_* helpers."""

    seed: int = 0
    _setups: dict[str, Setup] = field(default_factory=dict, repr=False)

    def setup(self, family: str = "full") -> Setup:
        if family not in self._setups:
            self._setups[family] = make_setup(family, self.seed)
        return self._setups[family]

    @cached_property
    def model(self) -> LinearGaussianModel:
        return self.setup().model

    @property
    def x(self) -> Tensor:  # (B, d)
        return self.setup().x

    @property
    def q(self) -> GaussianQ:
        """A full-covariance q away from the posterior, with leaves requiring grad."""
        return live(self.setup()).q

    @property
    def q_diagonal(self) -> GaussianQ:
        return live(self.setup("diagonal")).q

    @property
    def posterior(self) -> GaussianQ:
        return self.setup().posterior_q

    def eps(self, num_samples: int) -> Tensor:  # (L, B, k)
        generator = torch.Generator().manual_seed(self.seed)
        q = self.setup().q
        return torch.randn(num_samples, *q.mean.shape, generator=generator, dtype=torch.float64)

    def generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed)

    def assert_kl_correct(self, fn: Callable[..., Any], **options: Any) -> GateResult:
        __tracebackhide__ = True
        return asserts.assert_kl_correct(fn, **options)

    def assert_elbo_estimator_correct(self, fn: Callable[..., Any], **options: Any) -> GateResult:
        __tracebackhide__ = True
        return asserts.assert_elbo_estimator_correct(fn, **{"seed": self.seed, **options})

    def assert_gradient_estimator_correct(self, fn: Callable[..., Any], **options: Any) -> GateResult:
        __tracebackhide__ = True
        return asserts.assert_gradient_estimator_correct(fn, **{"seed": self.seed, **options})

    def assert_loss_correct(self, fn: Callable[..., Any], **options: Any) -> GateResult:
        __tracebackhide__ = True
        return asserts.assert_loss_correct(fn, **{"seed": self.seed, **options})
