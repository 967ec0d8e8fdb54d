"""Seeded exact models, data batches and q's for the ELBO and gradient-estimator gates.

Chosen to expose bugs: latent dimension k = 3 ≠ data dimension d = 5 (a transposed W fails),
b ≠ 0 (a dropped offset shows), noise_std = 0.5 ≠ 1 (s and s² mixed up show), B = 4 distinct
data points, q neither the prior nor the posterior, both diagonal and full covariance. The
diagonal setups use a W with orthogonal columns, so that the exact posterior is diagonal and
belongs to the diagonal family (needed for the checks at the optimum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ

LATENT_DIM = 3
DATA_DIM = 5
BATCH_SIZE = 4
NOISE_STD = 0.5
FAMILIES = ("diagonal", "full")


@dataclass(frozen=True)
class Setup:
    """A model, a data batch x (B, d), a q away from the posterior and the exact posterior."""

    label: str
    family: str  # "diagonal" or "full": the family of q and of posterior_q
    model: LinearGaussianModel
    x: Tensor  # (B, d)
    q: GaussianQ  # detached; (B, k)
    posterior_q: GaussianQ  # the exact posterior p(z|x), in q's family


@dataclass(frozen=True)
class LiveSetup:
    """Fresh leaves requiring grad for one call of the user's function."""

    model: LinearGaussianModel
    q: GaussianQ
    x: Tensor
    leaves: dict[str, Tensor]  # "q.mean", "q.log_std" | "q.scale_tril", "model.W", "model.b"


def make_setup(family: str, seed: int) -> Setup:
    generator = torch.Generator().manual_seed(seed)
    if family == "diagonal":
        # Orthogonal columns with distinct norms: WᵀW is diagonal, so p(z|x) is diagonal.
        basis, _ = torch.linalg.qr(torch.randn(DATA_DIM, LATENT_DIM, generator=generator, dtype=torch.float64))
        norms = torch.linspace(0.6, 1.4, LATENT_DIM, dtype=torch.float64)
        W = basis * norms
        b = torch.randn(DATA_DIM, generator=generator, dtype=torch.float64)
        model = LinearGaussianModel(W, b, NOISE_STD)
    else:
        model = LinearGaussianModel.random(LATENT_DIM, DATA_DIM, generator, noise_std=NOISE_STD)
    x = model.sample_data(BATCH_SIZE, generator)
    posterior = model.posterior(x)
    if family == "diagonal":
        posterior_q: GaussianQ = DiagonalGaussian(
            posterior.mean, torch.diagonal(posterior.scale_tril, dim1=-2, dim2=-1).log()
        )
    else:
        posterior_q = posterior
    q = _away_from(posterior_q, generator)
    return Setup(f"{family} q, seed {seed}", family, model, x, q, posterior_q)


def _away_from(posterior: GaussianQ, generator: torch.Generator) -> GaussianQ:
    """Shift the mean by about 0.6 posterior std and widen by about 30%: KL(q‖p(z|x)) ≈ 0.3–1."""
    batch, dim = posterior.mean.shape
    signs = torch.where(torch.rand(batch, dim, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
    std = posterior.std
    mean = posterior.mean + 0.6 * signs * std
    widen = math.log(1.3) + 0.1 * torch.rand(batch, dim, generator=generator, dtype=torch.float64)
    if isinstance(posterior, DiagonalGaussian):
        return DiagonalGaussian(mean, posterior.log_std + widen)
    return FullCovGaussian(mean, posterior.scale_tril * widen.exp().unsqueeze(-1))


# Stress set-ups: where naive numerics break. Log-weights log p(x, z) − log q(z) sit hundreds to
# thousands of nats from 0, so exp(log w) underflows to 0 or overflows to inf in float64 and an
# unshifted log-mean-exp returns ∓inf; correct code (log-sum-exp, log-densities) stays exact.
@dataclass(frozen=True)
class StressScenario:
    latent_dim: int
    data_dim: int
    noise_std: float
    shift: float  # q's mean moved by this many posterior standard deviations
    widen: float  # q's standard deviations times this
    log_weights: str  # what the scenario does to the log-weights, for messages


STRESS_SCENARIOS: dict[str, StressScenario] = {
    "q far from p(z|x)": StressScenario(16, 256, 0.5, 12.0, 3.0, "log-weights ≈ −1900…−1100 nats: exp underflows"),
    "sharp likelihood": StressScenario(16, 512, 0.02, 0.5, 1.3, "log-weights ≈ +1000…+2000 nats: exp overflows"),
}


def make_stress_setup(family: str, scenario: str, seed: int) -> Setup:
    """A high-dimensional set-up whose log-weights are far from 0; `posterior_q` is q's family
    projection of p(z|x) (exact for the full family)."""
    spec = STRESS_SCENARIOS[scenario]
    generator = torch.Generator().manual_seed(70_000 + seed)
    model = LinearGaussianModel.random(spec.latent_dim, spec.data_dim, generator, noise_std=spec.noise_std)
    x = model.sample_data(BATCH_SIZE, generator)
    posterior = model.posterior(x)
    std = posterior.std
    signs = torch.where(torch.rand(BATCH_SIZE, spec.latent_dim, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
    mean = posterior.mean + spec.shift * signs * std
    if family == "diagonal":
        posterior_q: GaussianQ = DiagonalGaussian(posterior.mean, std.log())
        q: GaussianQ = DiagonalGaussian(mean, std.log() + math.log(spec.widen))
    else:
        posterior_q = posterior
        q = FullCovGaussian(mean, posterior.scale_tril * spec.widen)
    return Setup(f"stress: {scenario}, {family} q, k={spec.latent_dim}, d={spec.data_dim}, seed {seed}",
                 family, model, x, q, posterior_q)


def stress_setups(families: tuple[str, ...], seed: int) -> list[Setup]:
    """One set-up per scenario, cycling through the q families asked for."""
    return [
        make_stress_setup(families[i % len(families)], scenario, seed + i)
        for i, scenario in enumerate(STRESS_SCENARIOS)
    ]


def live(setup: Setup, q: GaussianQ | None = None) -> LiveSetup:
    """Fresh leaf copies of the model's W, b and of q's parameters (q defaults to setup.q)."""
    q = setup.q if q is None else q
    W = setup.model.W.detach().clone().requires_grad_(True)
    b = setup.model.b.detach().clone().requires_grad_(True)
    model = LinearGaussianModel(W, b, setup.model.noise_std)
    mean = q.mean.detach().clone().requires_grad_(True)
    leaves = {"q.mean": mean}
    if isinstance(q, DiagonalGaussian):
        log_std = q.log_std.detach().clone().requires_grad_(True)
        live_q: GaussianQ = DiagonalGaussian(mean, log_std)
        leaves["q.log_std"] = log_std
    else:
        scale_tril = q.scale_tril.detach().clone().requires_grad_(True)
        live_q = FullCovGaussian(mean, scale_tril)
        leaves["q.scale_tril"] = scale_tril
    leaves.update({"model.W": W, "model.b": b})
    return LiveSetup(model, live_q, setup.x.detach().clone(), leaves)
