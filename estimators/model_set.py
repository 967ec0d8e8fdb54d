"""The default set of seeded exact cases: models of several sizes, each with q near and far from the
exact posterior, in both q families."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ
from elbo_suite.estimators.variational.noise import standard_normal

# (latent k, data d, noise s): k = 1 with d = 1 (the smallest case), k = 1 with d > 1, a small
# multivariate case, and k ≥ 16.
DEFAULT_SHAPES = ((1, 1, 0.8), (1, 4, 0.5), (3, 6, 0.7), (16, 32, 0.5))
# Distance of q from p(z|x), in posterior standard deviations (means) and log-scale units.
NEAR, FAR = 0.1, 1.0
BATCH_SIZE = 4


@dataclass(frozen=True, eq=False)
class ExactCase:
    model: LinearGaussianModel
    x: Tensor  # (B, d)
    q: GaussianQ  # parameters (B, k)
    model_description: str  # e.g. "k=3 d=6 s=0.7 B=4, seed 0"
    description: str  # the model and q, e.g. "k=3 d=6 s=0.7 B=4, full q far (1.0) from p(z|x), seed 0"


def perturbed_posterior(
    model: LinearGaussianModel, x: Tensor, family: str, distance: float, generator: torch.Generator
) -> GaussianQ:
    """q at a controlled distance from p(z|x): means moved by `distance` posterior standard
    deviations times N(0, 1), log-scales by `distance` · 0.5 · N(0, 1), and for the full family
    off-diagonal factors moved by `distance` · 0.3 posterior scales."""
    posterior = model.posterior(x)
    shape = (x.shape[0], model.latent_dim)
    std = posterior.std  # (B, k)
    mean = posterior.mean + distance * std * standard_normal(shape, generator, x)
    log_scale_shift = 0.5 * distance * standard_normal(shape, generator, x)  # (B, k)
    if family == "diagonal":
        return DiagonalGaussian(mean, std.log() + log_scale_shift)
    if family != "full":
        raise ValueError(f"family: expected 'diagonal' or 'full', got {family!r}")
    tril = posterior.scale_tril  # (B, k, k)
    diagonal = torch.diagonal(tril, dim1=-2, dim2=-1) * log_scale_shift.exp()
    shift = 0.3 * distance * standard_normal((*shape, model.latent_dim), generator, x)
    off_diagonal = torch.tril(tril + shift * std.unsqueeze(-1), diagonal=-1)
    return FullCovGaussian(mean, off_diagonal + torch.diag_embed(diagonal))


def default_cases(seed: int = 0, shapes: Sequence[tuple[int, int, float]] = DEFAULT_SHAPES) -> list[ExactCase]:
    """The cases of each (k, d, s) in `shapes`; a prefix of DEFAULT_SHAPES gives the same models."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for latent_dim, data_dim, noise_std in shapes:
        model = LinearGaussianModel.random(latent_dim, data_dim, generator, noise_std=noise_std)
        x = model.sample_data(BATCH_SIZE, generator)
        shape = f"k={latent_dim} d={data_dim} s={noise_std} B={BATCH_SIZE}"
        for family in ("diagonal", "full"):
            for label, distance in (("near", NEAR), ("far", FAR)):
                q = perturbed_posterior(model, x, family, distance, generator)
                description = f"{shape}, {family} q {label} ({distance}) from p(z|x), seed {seed}"
                cases.append(ExactCase(model, x, q, f"{shape}, seed {seed}", description))
    return cases


def default_models(seed: int = 0, shapes: Sequence[tuple[int, int, float]] = DEFAULT_SHAPES,
                   ) -> list[tuple[LinearGaussianModel, Tensor, str]]:
    """The distinct (model, x, description) of the default cases, for the checks at q = p(z|x)."""
    distinct: dict[str, tuple[LinearGaussianModel, Tensor, str]] = {}
    for case in default_cases(seed, shapes):
        distinct.setdefault(case.model_description, (case.model, case.x, case.model_description))
    return list(distinct.values())
