"""Monte Carlo estimators of the diffusion ELBO and of the training losses (the contract is in
estimators/diffusion/__init__.py): per-sample values (L, B), never only their mean."""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.diffusion.prediction_losses import Weight, elbo_weight, prediction_loss, weighted_vlb_term_samples
from elbo_suite.estimators.diffusion.timestep_samplers import TimestepSampler, UniformTimestep
from elbo_suite.estimators.diffusion.vlb_term import prior_matching, vlb_term_samples
from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse
from elbo_suite.estimators.models.diffusion_elbo import check_inputs
from elbo_suite.estimators.validation import require_positive_int
from elbo_suite.estimators.variational.noise import standard_normal

CHUNK_ELEMENTS = 2**21  # noise values drawn at once: bounds memory for the full sum at large T


def _chunks(num_samples: int, per_sample: int) -> list[int]:
    size = max(1, CHUNK_ELEMENTS // max(1, per_sample))
    return [min(size, num_samples - start) for start in range(0, num_samples, size)]


def _inputs(process, reverse, x0, num_samples, generator) -> int:
    check_inputs(process, reverse, x0)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator, got {type(generator).__name__}")
    return require_positive_int("num_samples", num_samples)


def sampled_elbo(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, *,
                 sampler: TimestepSampler, generator: torch.Generator, num_samples: int,
                 target: str | None = None, weight: Weight = elbo_weight) -> Tensor:  # (L, B)
    """−KL(q(x_T|x₀) ‖ p(x_T)) − Σ_k weight_k ℓ_{t_k}, with t drawn by `sampler` and fresh noise for
    every draw. ℓ_t is the analytic KL at a sampled x_t (target None), or the same loss written as
    the weighted regression loss of `target` ("eps", "x0", "v", "score") with `weight`."""
    L = _inputs(process, reverse, x0, num_samples, generator)
    if sampler.num_steps != process.num_steps:
        raise ValueError(f"sampler: expected one for T = {process.num_steps} steps, got T = {sampler.num_steps}")
    B, d = x0.shape
    values = []
    for size in _chunks(L, B * sampler.draws_per_estimate * d):
        t, w = sampler.draw((size, B), generator)  # (size, B, K) each
        t = t.transpose(-1, -2)  # (size, K, B): the K draws lead, the batch axis stays last
        eps = standard_normal((*t.shape, d), generator, x0)  # (size, K, B, d)
        if target is None:
            losses = vlb_term_samples(process, reverse, x0, t, eps)
        else:
            losses = weighted_vlb_term_samples(process, reverse, x0, t, eps, target, weight)
        values.append(-(w.transpose(-1, -2) * losses).sum(1))  # (size, B)
    return torch.cat(values) - prior_matching(process, reverse, x0)


def joint_elbo(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, *,
               generator: torch.Generator, num_samples: int) -> Tensor:  # (L, B)
    """log p_θ(x_{0:T}) − log q(x_{1:T}|x₀) on one forward chain per sample: the joint single-draw
    estimator. At the true reverse with p(x_T) = q(x_T) it equals log q(x₀) on every draw."""
    L = _inputs(process, reverse, x0, num_samples, generator)
    values = []
    for size in _chunks(L, x0.numel()):
        x_previous = x0.expand(size, *x0.shape)  # (size, B, d)
        log_ratio = torch.zeros(size, x0.shape[0], dtype=x0.dtype)
        for t in range(1, process.num_steps + 1):
            sqrt_alpha, beta = process.forward_step(t)  # (1,), (1,)
            noise = standard_normal(x_previous.shape, generator, x0)
            x_t = sqrt_alpha * x_previous + beta.sqrt() * noise
            # log q(x_t | x_{t−1}) = log N(√β ε; 0, β): written through ε, exact for tiny β
            log_forward = -0.5 * (noise.square() + beta.log() + torch.log(torch.tensor(2 * torch.pi, dtype=x0.dtype))).sum(-1)
            log_ratio += reverse.log_step(x_previous, x_t, t) - log_forward
            x_previous = x_t
        values.append(log_ratio + reverse.log_prior(x_previous))
    return torch.cat(values)


def simple_loss(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, *,
                generator: torch.Generator, num_samples: int, target: str = "eps") -> Tensor:  # (L, B)
    """‖target − prediction‖² at t ~ U{1 … T}: Ho et al.'s L_simple for target "eps" (a LOSS, and
    an unbiased estimate of a reweighted bound, not of −ELBO; prediction_losses.py)."""
    L = _inputs(process, reverse, x0, num_samples, generator)
    B, d = x0.shape
    sampler = UniformTimestep(process.num_steps)
    values = []
    for size in _chunks(L, B * d):
        t, _ = sampler.draw((size, B), generator)
        t = t[..., 0]  # (size, B)
        eps = standard_normal((*t.shape, d), generator, x0)
        values.append(prediction_loss(process, reverse, x0, t, eps, target))
    return torch.cat(values)
