"""Decoder likelihoods p(x | z) the gate builds with known decoder outputs, so that the
log-likelihood of every draw is exact.

Each likelihood says what the decoder output (`recon_x` in a VAE loss) means, draws data x in the
likelihood's own support and decoder outputs in a normal and a stress range, and evaluates
log p(x | decoder output) per element in float64:

- "bernoulli":            recon_x = probabilities in (0, 1), x ∈ {0, 1}; −log p is
                          F.binary_cross_entropy(recon_x, x, reduction='none');
- "bernoulli_logits":     recon_x = logits, x ∈ {0, 1}; −log p is F.binary_cross_entropy_with_logits;
- "continuous_bernoulli": recon_x = λ in (0, 1), x ∈ [0, 1]; log p includes the log normalising
                          constant of Loaiza-Ganem & Cunningham (2019);
- "gaussian":             recon_x = the mean, x real; fixed σ, free unless declared:
                          −log p = (x − recon_x)² / (2σ²) + ½ log(2πσ²).

`recon_feature` is the term of −log p a loss may scale freely: −log p itself, or for the
Gaussian (x − recon_x)²/2 = σ² (−log p − ½ log 2πσ²), so that any σ is a scale of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Likelihood:
    name: str
    recon_meaning: str  # what the decoder output is, for messages
    has_scale: bool  # a free decoder σ (Gaussian): a loss may scale the recon term at will
    data: Callable[[tuple[int, ...], torch.Generator], Tensor]  # x
    recon: Callable[[tuple[int, ...], torch.Generator, bool], Tensor]  # decoder output; True = stress range
    log_prob: Callable[[Tensor, Tensor, float], Tensor]  # elementwise log p(x | recon), σ for the Gaussian
    recon_feature: Callable[[Tensor, Tensor], Tensor]  # elementwise: −log p (σ-free form for the Gaussian)
    stress: str  # what the stress range does, for messages

    @property
    def title(self) -> str:  # 'Bernoulli (logits)'
        return {"bernoulli": "Bernoulli", "bernoulli_logits": "Bernoulli (logits)",
                "continuous_bernoulli": "continuous Bernoulli", "gaussian": "Gaussian"}[self.name]


def _uniform(shape: tuple[int, ...], generator: torch.Generator, low: float, high: float) -> Tensor:
    return low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float64)


def _binary(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return (torch.rand(shape, generator=generator, dtype=torch.float64) < 0.5).to(torch.float64)


def _logits(shape: tuple[int, ...], generator: torch.Generator, bound: float) -> Tensor:
    return _uniform(shape, generator, -bound, bound)


def _bernoulli_log_prob(x: Tensor, p: Tensor, sigma: float = 1.0) -> Tensor:
    return x * torch.log(p) + (1.0 - x) * torch.log1p(-p)


def _bernoulli_logits_log_prob(x: Tensor, logits: Tensor, sigma: float = 1.0) -> Tensor:
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none")


def _continuous_bernoulli_log_prob(x: Tensor, lam: Tensor, sigma: float = 1.0) -> Tensor:
    return torch.distributions.ContinuousBernoulli(probs=lam, validate_args=False).log_prob(x)


def _gaussian_log_prob(x: Tensor, mean: Tensor, sigma: float = 1.0) -> Tensor:
    return -0.5 * ((x - mean) / sigma).square() - math.log(sigma) - 0.5 * _LOG_2PI


def _gaussian_data(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return 0.4 + 1.5 * torch.randn(shape, generator=generator, dtype=torch.float64)


def _gaussian_recon(shape: tuple[int, ...], generator: torch.Generator, stress: bool) -> Tensor:
    # Stress: decoder means up to ±60 from the data, so a density exp(−(x − μ)²/2σ²) underflows.
    scale = 30.0 if stress else 1.0
    return scale * torch.randn(shape, generator=generator, dtype=torch.float64)


LIKELIHOODS: dict[str, Likelihood] = {
    "bernoulli": Likelihood(
        "bernoulli", "probabilities in (0, 1)", False, _binary,
        lambda shape, g, stress: torch.sigmoid(_logits(shape, g, 6.9 if stress else 3.0)),
        _bernoulli_log_prob, lambda x, p: -_bernoulli_log_prob(x, p),
        "probabilities from 1e-3 to 1 − 1e-3",
    ),
    "bernoulli_logits": Likelihood(
        "bernoulli_logits", "logits", False, _binary,
        lambda shape, g, stress: _logits(shape, g, 60.0 if stress else 4.0),
        _bernoulli_logits_log_prob, lambda x, u: -_bernoulli_logits_log_prob(x, u),
        "logits up to ±60, where sigmoid rounds to 0 or 1",
    ),
    "continuous_bernoulli": Likelihood(
        "continuous_bernoulli", "probabilities λ in (0, 1)", False,
        lambda shape, g: _uniform(shape, g, 0.02, 0.98),
        lambda shape, g, stress: torch.sigmoid(_logits(shape, g, 9.0 if stress else 3.0)),
        _continuous_bernoulli_log_prob, lambda x, lam: -_continuous_bernoulli_log_prob(x, lam),
        "λ from 1e-4 to 1 − 1e-4",
    ),
    "gaussian": Likelihood(
        "gaussian", "the decoder mean", True, _gaussian_data, _gaussian_recon,
        _gaussian_log_prob, lambda x, mean: 0.5 * (x - mean).square(),
        "decoder means up to 60σ from the data",
    ),
}


def require_likelihood(name: object) -> Likelihood:
    from elbo_suite.gate.options import require_choice

    require_choice("likelihood", name, tuple(LIKELIHOODS))
    return LIKELIHOODS[name]  # type: ignore[index]
