"""Targets shared by the gradient tests: the 1-D linear-Gaussian model (z ~ N(0, 1),
x | z ~ N(z, 1), observed at x = 1; posterior N(1/2, 1/2)) and a random 3-D one."""

import pytest
import torch

from elbo_suite.estimators.gradients import LinearGaussianTarget
from elbo_suite.estimators.models import LinearGaussianModel

@pytest.fixture
def target_1d() -> LinearGaussianTarget:
    model = LinearGaussianModel(torch.ones(1, 1), torch.zeros(1), 1.0)
    return LinearGaussianTarget(model, torch.tensor([1.0]))


@pytest.fixture
def target_3d() -> LinearGaussianTarget:
    generator = torch.Generator().manual_seed(20240501)
    model = LinearGaussianModel.random(3, 4, generator, noise_std=0.7)
    return LinearGaussianTarget(model, model.sample_data(1, generator)[0])
