"""Sticking the landing at the exact posterior, and clear errors on bad input."""

import pytest
import torch

from elbo_suite.estimators.gradients import (
    MeanCholesky,
    MeanLogStd,
    iwae_dreg,
    iwae_reparameterised,
    pathwise,
    score_function,
    score_function_optimal_baseline,
    score_function_rloo,
    sticking_the_landing,
)


def _eps(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(5))


def test_stl_is_exactly_zero_at_the_posterior_full_covariance(target_3d):
    mean, lower = target_3d.posterior_mean_and_scale_tril()
    q = MeanCholesky.from_parts(mean, lower)
    eps = _eps(1000, 3)
    stl = sticking_the_landing(target_3d.log_joint, q, eps)
    assert stl.abs().max() < 1e-10  # every draw, not only on average
    assert iwae_dreg(target_3d.log_joint, q, eps.reshape(250, 4, 3)).abs().max() < 1e-10
    # Control: the total pathwise gradient at the same q is noisy (its mean is zero, its rows are not).
    assert pathwise(target_3d.log_joint, q, eps).var(0).min() > 1e-2


def test_stl_is_exactly_zero_at_the_posterior_diagonal(target_1d):
    q = MeanLogStd(torch.tensor([0.5, 0.5 * torch.log(torch.tensor(0.5)).item()]))  # N(1/2, 1/2)
    eps = _eps(1000, 1)
    assert sticking_the_landing(target_1d.log_joint, q, eps).abs().max() < 1e-12
    assert pathwise(target_1d.log_joint, q, eps).var(0).min() > 1e-2
    # Away from the posterior STL is not zero.
    assert sticking_the_landing(target_1d.log_joint, MeanLogStd(torch.tensor([0.6, -0.3])), eps).var(0).min() > 1e-4


def test_bad_inputs_raise_clear_errors(target_1d):
    q = MeanLogStd(torch.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match=r"eps: expected shape \(N, k\) = \(N, 1\), got \(5, 2\)"):
        pathwise(target_1d.log_joint, q, torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"log_joint: expected output shape \(N,\) = \(5,\)"):
        pathwise(lambda z: z, q, torch.zeros(5, 1))
    with pytest.raises(ValueError, match="objective: expected one of"):
        score_function(target_1d.log_joint, q, torch.zeros(5, 1), objective="elbow")
    with pytest.raises(TypeError, match="q: expected MeanLogStd or MeanCholesky"):
        sticking_the_landing(target_1d.log_joint, torch.zeros(2), torch.zeros(5, 1))
    with pytest.raises(ValueError, match=r"eps: expected shape \(N, K, k\)"):
        iwae_reparameterised(target_1d.log_joint, q, torch.zeros(5, 1))
    with pytest.raises(ValueError, match="RLOO needs K ≥ 2"):
        score_function_rloo(target_1d.log_joint, q, torch.zeros(5, 1, 1))
    with pytest.raises(ValueError, match=r"baseline: expected shape \(P,\) = \(2,\)"):
        score_function_optimal_baseline(target_1d.log_joint, q, torch.zeros(5, 1), baseline=torch.zeros(3))
    with pytest.raises(ValueError, match=r"phi: expected shape \(2k,\)"):
        MeanLogStd(torch.zeros(3))
    with pytest.raises(ValueError, match="scale_tril: expected a positive diagonal"):
        MeanCholesky.from_parts(torch.zeros(2), torch.tensor([[1.0, 0.0], [0.5, -1.0]]))
    with pytest.raises(TypeError, match="eps: expected dtype torch.float64"):
        pathwise(target_1d.log_joint, q, torch.zeros(5, 1, dtype=torch.float32))
