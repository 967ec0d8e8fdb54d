"""KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)): the gap log p_θ(x₀) − ELBO, computed without the ELBO.

Both chains are Gaussian Markov chains, so per dimension their log-densities are quadratic forms in
(x₀, …, x_T) with tridiagonal precision matrices, read off the factors: q's from
(x_t − √α_t x_{t−1})²/β_t, p_θ's from (x_{t−1} − a_t x_t − c_t)²/σ_t² and (x_T − m_T)²/v_T.
Conditioning on x₀ keeps rows and columns 1 … T (the linear term picks up −Λ_{1:T,0} x₀). The KL
between the two T-dimensional Gaussians is the textbook formula

    ½ [tr(Λ_p Σ_q) − T + (μ_p − μ_q)ᵀ Λ_p (μ_p − μ_q) + log det Λ_q − log det Λ_p],

evaluated in O(T) per dimension through the LDLᵀ factorisation of each tridiagonal precision:
log det = Σ log D, means by two bidiagonal solves, and tr(Λ_p Σ_q) needs only the tridiagonal band
of Σ_q = Λ_q⁻¹, which the Takahashi recursion gives from the same factors. An independent route (no
marginal moments, no per-step expectations) to what diffusion_elbo.py gives as log p_θ(x₀) − ELBO.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from elbo_suite.estimators.models.gaussian_diffusion import GaussianDiffusion
from elbo_suite.estimators.models.linear_gaussian_reverse import LinearGaussianReverse


class Tridiagonal(NamedTuple):
    diagonal: Tensor  # (d, n)
    off_diagonal: Tensor  # (d, n − 1), entry (i, i + 1)


class LDL(NamedTuple):
    lower: Tensor  # (d, n − 1) l_i = L[i + 1, i] of the unit lower-bidiagonal L
    pivots: Tensor  # (d, n) D


def ldl(matrix: Tridiagonal) -> LDL:
    """Λ = L D Lᵀ for a symmetric positive-definite tridiagonal Λ (no pivoting needed)."""
    pivots, lower = [matrix.diagonal[:, 0]], []
    for i in range(matrix.off_diagonal.shape[1]):
        lower.append(matrix.off_diagonal[:, i] / pivots[-1])
        pivots.append(matrix.diagonal[:, i + 1] - lower[-1] * matrix.off_diagonal[:, i])
    empty = matrix.diagonal[:, :0]
    return LDL(torch.stack(lower, -1) if lower else empty, torch.stack(pivots, -1))


def ldl_solve(factors: LDL, right: Tensor) -> Tensor:
    """Λ⁻¹ r for r (d, ..., n)."""
    lower = factors.lower.reshape(factors.lower.shape[0], *([1] * (right.dim() - 2)), -1)
    pivots = factors.pivots.reshape(factors.pivots.shape[0], *([1] * (right.dim() - 2)), -1)
    n = right.shape[-1]
    forward = [right[..., 0]]
    for i in range(n - 1):
        forward.append(right[..., i + 1] - lower[..., i] * forward[-1])
    scaled = torch.stack(forward, -1) / pivots
    backward = [scaled[..., n - 1]]
    for i in range(n - 2, -1, -1):
        backward.append(scaled[..., i] - lower[..., i] * backward[-1])
    return torch.stack(backward[::-1], -1)


def inverse_band(factors: LDL) -> Tridiagonal:
    """The diagonal and first off-diagonal of Λ⁻¹ (Takahashi: Σ = D⁻¹L⁻¹ + (I − Lᵀ)Σ)."""
    n = factors.pivots.shape[1]
    diagonal, off_diagonal = [1.0 / factors.pivots[:, n - 1]], []
    for i in range(n - 2, -1, -1):
        off_diagonal.append(-factors.lower[:, i] * diagonal[-1])
        diagonal.append(1.0 / factors.pivots[:, i] - factors.lower[:, i] * off_diagonal[-1])
    empty = factors.pivots[:, :0]
    return Tridiagonal(torch.stack(diagonal[::-1], -1), torch.stack(off_diagonal[::-1], -1) if off_diagonal else empty)


def forward_chain_precision(process: GaussianDiffusion) -> Tridiagonal:
    """Π_t q(x_t|x_{t−1}) as a precision over (x₀ … x_T), (d, T + 1) band; no linear term."""
    d = process.data_dim
    alpha, beta = process.schedule.alpha[1:], process.schedule.betas  # (T,)
    diagonal = torch.zeros(d, process.num_steps + 1, dtype=torch.float64)
    diagonal[:, 1:] += 1.0 / beta
    diagonal[:, :-1] += alpha / beta
    return Tridiagonal(diagonal, (-alpha.sqrt() / beta).expand(d, -1))


def reverse_chain_precision(reverse: LinearGaussianReverse) -> tuple[Tridiagonal, Tensor]:
    """p_θ(x_{0:T}) as precision band over (x₀ … x_T) and linear term h (d, T + 1), with
    log p_θ = −½ xᵀΛx + hᵀx + const per dimension."""
    slope, offset, inverse_variance = reverse.slope.T, reverse.offset.T, reverse.std.T.square().reciprocal()  # (d, T)
    d, T = slope.shape
    diagonal = torch.zeros(d, T + 1, dtype=torch.float64)
    diagonal[:, :-1] += inverse_variance
    diagonal[:, 1:] += slope.square() * inverse_variance
    diagonal[:, -1] += reverse.prior_std.square().reciprocal()
    linear = torch.zeros(d, T + 1, dtype=torch.float64)
    linear[:, :-1] += offset * inverse_variance
    linear[:, 1:] -= slope * offset * inverse_variance
    linear[:, -1] += reverse.prior_mean / reverse.prior_std.square()
    return Tridiagonal(diagonal, -slope * inverse_variance), linear


def _conditioned(precision: Tridiagonal, linear: Tensor, x0: Tensor) -> tuple[Tridiagonal, LDL, Tensor]:
    """Given x₀ (B, d): the precision of x_{1:T} (its band), its factors and the mean (d, B, T)."""
    block = Tridiagonal(precision.diagonal[:, 1:], precision.off_diagonal[:, 1:])
    shift = linear[:, None, 1:].repeat(1, x0.shape[0], 1)  # (d, B, T)
    shift[..., 0] -= precision.off_diagonal[:, None, 0] * x0.T  # −Λ_{1,0} x₀
    factors = ldl(block)
    return block, factors, ldl_solve(factors, shift)


def chain_posterior_kl(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:
    """KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) for x0 (B, d) -> (B,)."""
    reverse.require_matches(process)
    process._check_x("x0", x0)
    forward = forward_chain_precision(process)
    backward, linear = reverse_chain_precision(reverse)
    _, q_factors, q_mean = _conditioned(forward, torch.zeros_like(linear), x0)
    p_block, p_factors, p_mean = _conditioned(backward, linear, x0)
    q_covariance = inverse_band(q_factors)
    trace = (p_block.diagonal * q_covariance.diagonal).sum(-1) + 2.0 * (
        p_block.off_diagonal * q_covariance.off_diagonal
    ).sum(-1)  # (d,) tr(Λ_p Σ_q): Λ_p is tridiagonal, so Σ_q's band suffices
    difference = p_mean - q_mean  # (d, B, T)
    band_product = p_block.diagonal[:, None] * difference
    band_product[..., :-1] += p_block.off_diagonal[:, None] * difference[..., 1:]
    band_product[..., 1:] += p_block.off_diagonal[:, None] * difference[..., :-1]
    mahalanobis = (difference * band_product).sum(-1)  # (d, B)
    log_det_q, log_det_p = q_factors.pivots.log().sum(-1), p_factors.pivots.log().sum(-1)  # (d,)
    T = process.num_steps
    per_dimension = 0.5 * (trace.unsqueeze(-1) - T + mahalanobis + (log_det_q - log_det_p).unsqueeze(-1))
    return per_dimension.sum(0)
