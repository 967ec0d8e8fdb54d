"""The discretized Gaussian decoder of Ho et al. 2020 (§3.3) and the per-t VLB term.

Data are 256 levels in [−1, 1], 2/255 apart; the decoder's probability of a level is the Gaussian
mass of its bin [x − 1/255, x + 1/255], the edge bins reaching to ±∞. The exact Φ is computed
through log Φ (no cancellation); improved-diffusion and hojonathanho's code use the tanh
approximation Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715 x³))), which differs by up to ~1e-4 and is
available as cdf="tanh". The rounding bound of log P is 4u/P + u|log P| (the cancellation of two
CDF values of size ≤ 1, relative to their difference P).

VLB term L_t (per batch row): KL(q(x_{t'}|x_t, x₀) ‖ p(x_{t'}|x_t)) for t' ≥ 0, and the decoder's
−log p(x₀|x_t) at the step to the data; summed over the data's dimensions in nats, or averaged
and divided by ln 2 in bits per dimension (improved-diffusion's `_vb_terms_bpd`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from elbo_suite.gate.diffusion import formulas as F
from elbo_suite.gate.diffusion.approx import FLOAT64_UNIT, Approx

HALF_BIN = 1.0 / 255.0
CDFS = ("exact", "tanh")
UNITS = ("nats", "bits_per_dim")


def _log_cdf(x: Tensor, cdf: str) -> Tensor:
    if cdf == "exact":
        return torch.special.log_ndtr(x)
    return torch.log(0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))))


def _log_bin_mass(upper: Tensor, lower: Tensor, cdf: str) -> Tensor:
    """log(Φ(upper) − Φ(lower)), upper > lower, without cancellation where both are in one tail."""
    if cdf == "tanh":  # the codebases' formula, as written
        phi = lambda v: 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)))  # noqa: E731
        return torch.log(phi(upper) - phi(lower))
    right = lower > 0  # both in the right tail: use the mirrored left tail
    a = torch.where(right, -lower, upper)
    b = torch.where(right, -upper, lower)
    log_a, log_b = _log_cdf(a, cdf), _log_cdf(b, cdf)
    return log_a + torch.log1p(-torch.exp(log_b - log_a))


def discretized_gaussian_log_likelihood(x: Tensor, means: Tensor, log_scales: Tensor, cdf: str = "exact") -> Approx:
    """log P(x) of each element under the discretized N(means, exp(log_scales)²); x on the 256-level grid."""
    if cdf not in CDFS:
        raise ValueError(f"cdf: expected one of {CDFS}, got {cdf!r}")
    inv = torch.exp(-log_scales)
    upper, lower = inv * (x - means + HALF_BIN), inv * (x - means - HALF_BIN)
    value = torch.where(
        x < -0.999, _log_cdf(upper, cdf),
        torch.where(x > 0.999, _log_cdf(-lower, cdf), _log_bin_mass(upper, lower, cdf)),
    )
    u = FLOAT64_UNIT
    error = 4 * u / torch.exp(value) + u * value.abs()
    return Approx(value, error, u)


def decoder_log_variance(variance: str, schedule: F.Schedule, t: Tensor, var_values: Approx | None, ndim: int) -> Approx:
    """log σ² of p(x₀|x_1) (t = 0): improved DDPM puts log β̃_1 where log β̃_0 = −∞ (fixed_small and
    fixed_large alike), and interpolates towards log β_0 for learned_range."""
    ones = torch.ones_like(t)
    clipped = F.Step.of(schedule, ones, torch.zeros_like(t), ndim).posterior_variance.log()
    if variance in ("fixed_small", "fixed_large"):
        return clipped
    if var_values is None:
        raise ValueError(f"variance {variance!r} needs the network's variance output")
    if variance == "learned_range":
        log_beta = F.Step.of(schedule, torch.zeros_like(t), torch.full_like(t, -1), ndim).beta.log()
        frac = (var_values + 1.0) * 0.5
        return frac * log_beta + (1.0 - frac) * clipped
    return var_values


def reduce_rows(a: Approx, units: str) -> Approx:
    """Sum over every dimension but the first (nats), or the mean divided by ln 2 (bits per dimension)."""
    dims = tuple(range(1, a.value.dim()))
    count = math.prod(a.value.shape[1:])
    # The sum adds at most `count` roundings of partial sums no larger than Σ|terms|.
    value = a.value.sum(dims)
    error = a.error.sum(dims) + count * FLOAT64_UNIT * a.value.abs().sum(dims)
    if units == "bits_per_dim":
        value, error = value / (count * math.log(2.0)), error / (count * math.log(2.0))
    return Approx(value, error, FLOAT64_UNIT)


def vlb_term(
    step: F.Step, x_start: Approx, x_t: Approx, model_mean: Approx, model_log_variance: Approx,
    cdf: str, units: str,
) -> Approx:
    """(B,) L_t: the decoder NLL on rows whose step goes to the data, the posterior KL elsewhere."""
    kl = F.normal_kl(step.posterior_mean(x_start, x_t), step.posterior_variance.log(), model_mean, model_log_variance)
    nll = discretized_gaussian_log_likelihood(x_start.value, model_mean.value, 0.5 * model_log_variance.value, cdf)
    final = step.final.expand_as(x_start.value)
    value = torch.where(final, -nll.value, torch.nan_to_num(kl.value, nan=0.0))
    error = torch.where(final, nll.error + 0.5 * model_log_variance.error, torch.nan_to_num(kl.error, nan=0.0))
    return reduce_rows(Approx(value, error, FLOAT64_UNIT), units)
