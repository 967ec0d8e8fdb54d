"""KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)): the gap log p_θ(x₀) − ELBO, computed without the ELBO.

Both chains are Gaussian Markov chains, so per dimension their log-densities are quadratic forms in
(x₀, …, x_T) with tridiagonal precision matrices, read off the factors: q's from
(x_t − √α_t x_{t−1})²/β_t, p_θ's from (x_{t−1} − a_t x_t − c_t)²/σ_t² and (x_T − m_T)²/v_T.
Conditioning on x₀ keeps the rows and columns 1 … T. The KL between the two T-dimensional Gaussians
is then the textbook formula on dense matrices,

    ½ [tr(Λ_p Λ_q⁻¹) − T + (μ_p − μ_q)ᵀ Λ_p (μ_p − μ_q) + log det Λ_q − log det Λ_p],

an independent route (no marginal moments, no per-step expectations) to what
diffusion_elbo.py gives as log p_θ(x₀) − ELBO. Cost O(d T³): meant for references, T up to ~10³.
"""

from __future__ import annotations

import torch
from torch import Tensor

from elbo_suite.estimators.models.gaussian_diffusion import GaussianDiffusion
from elbo_suite.estimators.models.linear_gaussian_reverse import LinearGaussianReverse


def _tridiagonal(diagonal: Tensor, off_diagonal: Tensor) -> Tensor:  # (d, n), (d, n − 1) -> (d, n, n)
    return torch.diag_embed(diagonal) + torch.diag_embed(off_diagonal, 1) + torch.diag_embed(off_diagonal, -1)


def forward_chain_precision(process: GaussianDiffusion) -> Tensor:
    """The forward steps Π_t q(x_t|x_{t−1}) as a precision over (x₀ … x_T), (d, T + 1, T + 1), with no
    linear term: log q(x_{1:T}|x₀) = −½ xᵀΛx + const."""
    d = process.data_dim
    alpha, beta = process.schedule.alpha[1:], process.schedule.betas  # (T,)
    diagonal = torch.zeros(d, process.num_steps + 1, dtype=torch.float64)
    diagonal[:, 1:] += 1.0 / beta
    diagonal[:, :-1] += alpha / beta
    off = (-alpha.sqrt() / beta).expand(d, -1)
    return _tridiagonal(diagonal, off)


def reverse_chain_precision(reverse: LinearGaussianReverse) -> tuple[Tensor, Tensor]:
    """p_θ(x_{0:T}) as precision Λ (d, T + 1, T + 1) and linear term h (d, T + 1), with
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
    return _tridiagonal(diagonal, -slope * inverse_variance), linear


def chain_posterior_kl(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor) -> Tensor:
    """KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) for x0 (B, d) -> (B,)."""
    reverse.require_matches(process)
    process._check_x("x0", x0)
    forward = forward_chain_precision(process)
    backward, linear = reverse_chain_precision(reverse)
    T = process.num_steps
    x0_columns = x0.T.unsqueeze(-1)  # (d, B, 1)

    def conditioned(precision: Tensor, linear_term: Tensor) -> tuple[Tensor, Tensor]:
        """Cholesky factor of Λ_{11} (d, T, T) and the mean of x_{1:T} given x₀, (d, B, T)."""
        block = precision[:, 1:, 1:]
        shift = linear_term[:, None, 1:] - x0_columns * precision[:, None, 0, 1:]  # (d, B, T)
        cholesky = torch.linalg.cholesky(block)
        mean = torch.cholesky_solve(shift.transpose(-1, -2), cholesky).transpose(-1, -2)
        return cholesky, mean

    zero_linear = torch.zeros(process.data_dim, T + 1, dtype=torch.float64)
    q_cholesky, q_mean = conditioned(forward, zero_linear)
    p_cholesky, p_mean = conditioned(backward, linear)
    p_block = backward[:, 1:, 1:]
    trace = (p_block * torch.cholesky_inverse(q_cholesky)).sum((-2, -1))  # (d,) tr(Λ_p Σ_q), both symmetric
    difference = p_mean - q_mean  # (d, B, T)
    mahalanobis = torch.einsum("dbi,dij,dbj->db", difference, p_block, difference)
    log_det_q = 2.0 * torch.diagonal(q_cholesky, dim1=-2, dim2=-1).log().sum(-1)  # log det Λ_q, (d,)
    log_det_p = 2.0 * torch.diagonal(p_cholesky, dim1=-2, dim2=-1).log().sum(-1)
    per_dimension = 0.5 * (trace.unsqueeze(-1) - T + mahalanobis + (log_det_q - log_det_p).unsqueeze(-1))  # (d, B)
    return per_dimension.sum(0)
