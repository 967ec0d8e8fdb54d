"""The gate's own encoder and decoder: nn.Modules that return torch.distributions objects, for
`elbo(x, encoder, decoder, prior)`-style code (Pyro / TFP style).

- encoder(x (..., B, d)) -> q(z|x) = Normal(loc, scale) over (B, k), loc and log scale linear in x;
- decoder(z (..., B, k)) -> p(x|z): Normal(W z + b, σ) or Bernoulli(logits=W z + b) over (B, d);
- prior: N(0, I_k).
events="independent" wraps each in Independent(·, 1), so log_prob sums over the event (the Pyro
`.to_event(1)` / TFP `Independent` habit); events="factorised" returns the plain distributions,
whose log_prob is per coordinate and the user's code sums (the plain-torch habit).

The encoder's Normal takes its noise from the gate (`NoiseSource`), not from torch's global
generator: every z the user's code draws with rsample() or sample() is known to the gate, which
computes the exact ELBO on the very same draws. sample() returns a detached z, as torch does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.distributions import Bernoulli, Distribution, Independent, Normal

EVENTS = ("independent", "factorised")
DECODERS = ("gaussian", "bernoulli")


@dataclass
class Draw:
    eps: Tensor  # (*sample_shape, B, k) standard-normal noise
    reparameterised: bool  # rsample() (True) or sample() (False)


@dataclass
class NoiseSource:
    """Seeded noise for every draw from the encoder's q, and the record of those draws."""

    generator: torch.Generator
    draws: list[Draw] = field(default_factory=list)

    def take(self, shape: torch.Size, reparameterised: bool) -> Tensor:
        eps = torch.randn(shape, generator=self.generator, dtype=torch.float64)
        self.draws.append(Draw(eps, reparameterised))
        return eps


class GateNormal(Normal):
    """Normal whose draws come from the gate's NoiseSource (and are recorded there)."""

    def __init__(self, loc: Tensor, scale: Tensor, source: NoiseSource, validate_args: bool | None = None):
        super().__init__(loc, scale, validate_args=validate_args)
        self.source = source

    def rsample(self, sample_shape: torch.Size | tuple[int, ...] = torch.Size()) -> Tensor:
        eps = self.source.take(self._extended_shape(torch.Size(sample_shape)), reparameterised=True)
        return self.loc + eps * self.scale

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = torch.Size()) -> Tensor:
        eps = self.source.take(self._extended_shape(torch.Size(sample_shape)), reparameterised=False)
        with torch.no_grad():
            return self.loc + eps * self.scale

    def expand(self, batch_shape, _instance=None):  # keep the noise source on expanded copies
        new = self._get_checked_instance(GateNormal, _instance)
        new = super().expand(batch_shape, _instance=new)
        new.source = self.source
        return new


def _linear(inputs: int, outputs: int, generator: torch.Generator, weight_scale: float, bias: Tensor) -> nn.Linear:
    layer = nn.Linear(inputs, outputs, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(weight_scale * torch.randn(outputs, inputs, generator=generator, dtype=torch.float64))
        layer.bias.copy_(bias)
    return layer


class GateEncoder(nn.Module):
    """x -> q(z|x) = Normal(loc(x), exp(log_scale(x))), both linear in x."""

    def __init__(self, data_dim: int, latent_dim: int, generator: torch.Generator, events: str,
                 source: NoiseSource, shift: float = 0.0, log_scale_offset: float = 0.0):
        super().__init__()
        loc_bias = shift + 0.3 + 0.5 * torch.randn(latent_dim, generator=generator, dtype=torch.float64)
        magnitude = 0.3 + 0.5 * torch.rand(latent_dim, generator=generator, dtype=torch.float64)
        sign = torch.where(torch.rand(latent_dim, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
        self.loc = _linear(data_dim, latent_dim, generator, 0.4 / math.sqrt(data_dim), loc_bias)
        self.log_scale = _linear(data_dim, latent_dim, generator, 0.1 / math.sqrt(data_dim),
                                 sign * magnitude + log_scale_offset)
        self.events, self.source = events, source

    def parts(self, x: Tensor) -> tuple[Tensor, Tensor]:  # loc, scale (..., B, k)
        return self.loc(x), self.log_scale(x).exp()

    def forward(self, x: Tensor) -> Distribution:
        loc, scale = self.parts(x)
        q = GateNormal(loc, scale, self.source)
        return Independent(q, 1) if self.events == "independent" else q


class GateDecoder(nn.Module):
    """z -> p(x|z): Normal(W z + b, σ) or Bernoulli(logits = W z + b)."""

    def __init__(self, latent_dim: int, data_dim: int, generator: torch.Generator, events: str,
                 likelihood: str, noise_std: float):
        super().__init__()
        bias = torch.randn(data_dim, generator=generator, dtype=torch.float64)
        self.linear = _linear(latent_dim, data_dim, generator, 1.0 / math.sqrt(latent_dim), bias)
        self.events, self.likelihood, self.noise_std = events, likelihood, noise_std

    def forward(self, z: Tensor) -> Distribution:
        out = self.linear(z)
        p: Distribution = (
            Normal(out, torch.full_like(out, self.noise_std)) if self.likelihood == "gaussian" else Bernoulli(logits=out)
        )
        return Independent(p, 1) if self.events == "independent" else p


def standard_normal_prior(latent_dim: int, events: str) -> Distribution:
    prior = Normal(torch.zeros(latent_dim, dtype=torch.float64), torch.ones(latent_dim, dtype=torch.float64))
    return Independent(prior, 1) if events == "independent" else prior
