"""Exact expectation of a per-draw gradient estimator by Gauss–Hermite quadrature in ε.

On the gate's linear-Gaussian models every single-draw estimator of the suite is a polynomial in
ε of low degree (log p(x, z) − log q(z) is quadratic in z, z is affine in ε, the score is
polynomial), so a tensor Gauss–Hermite rule with n nodes per dimension integrates it exactly
(degree ≤ 2n − 1). Its weighted mean is then E_ε[g(ε)] up to rounding: unbiasedness is checked
with no Monte Carlo error, and a bias of any size (a 2 % scale slip) is caught.

Applies only where it is sound, and says why when it is not:
- each row must depend on its own draw alone: rows computed on the whole grid must equal rows
  computed on its two halves separately (leave-one-out and moving-average baselines do not);
- two rules (n and n + 4 nodes) must agree, so an estimator that is not polynomial in ε is not
  judged by an unconverged rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_tensor_output
from elbo_suite.gate.result import EXACT, ClaimOutcome

NODES = 6  # per dimension; exact for polynomials of degree ≤ 11 in each coordinate of ε
RTOL = 1e-8  # relative to the largest |exact gradient| entry: rounding only


def gauss_hermite_grid(latent_dim: int, nodes: int) -> tuple[Tensor, Tensor]:
    """Tensor-product rule for E over ε ~ N(0, I_k): points (nodes^k, k) and weights summing to 1."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    points = np.array(list(itertools.product(x, repeat=latent_dim)))
    weights = np.prod(np.array(list(itertools.product(w, repeat=latent_dim))), axis=1)
    return torch.from_numpy(points), torch.from_numpy(weights)


def _rows(fn: Callable[..., Any], target, q, eps: Tensor) -> Tensor:
    k, P = q.latent_dim, q.num_params
    signature = f"fn(log_joint z (N, {k}) -> (N,), q {type(q).__name__} with P = {P}, eps {tuple(eps.shape)})"
    output = call_user(fn, (target, q, eps.clone()), "your gradient estimator", signature)
    return require_tensor_output(
        output, "your gradient estimator", (eps.shape[0], P), "(N, P) per-draw gradients"
    ).detach()


def quadrature_claim(fn: Callable[..., Any], configs: list) -> ClaimOutcome | None:
    """The claim "unbiased, exact by quadrature" over the gate's configurations, or None when the
    estimator's rows depend on other draws (then only the statistical claims apply)."""
    claim = "unbiased, exact by quadrature"
    worst: tuple[float, float, float, str, float] | None = None  # (ratio, actual, expected, where, tol)
    count = 0
    for config in configs:
        k = config.q.latent_dim
        points, weights = gauss_hermite_grid(k, NODES)
        rows = _rows(fn, config.target, config.q, points)  # (n^k, P)
        half = points.shape[0] // 2
        split = torch.cat([_rows(fn, config.target, config.q, points[:half]),
                           _rows(fn, config.target, config.q, points[half:])])
        if not torch.allclose(rows, split, rtol=1e-10, atol=1e-12):
            return None  # a row depends on the other draws (a baseline from the batch, or state)
        finer_points, finer_weights = gauss_hermite_grid(k, NODES + 4)
        mean = weights @ rows  # (P,)
        finer = finer_weights @ _rows(fn, config.target, config.q, finer_points)
        exact = (torch.zeros_like(mean) if config.at_optimum
                 else config.target.exact_elbo_gradient(config.q).detach())
        scale = float(exact.abs().max()) + float(mean.abs().max())
        tolerance = 1e-10 + RTOL * scale
        if float((mean - finer).abs().max()) > tolerance:
            return None  # not polynomial in ε: the rule has not converged, so it cannot judge
        error = (mean - exact).abs()
        i = int(error.argmax())
        count += mean.numel()
        ratio = float(error[i]) / tolerance
        where = f"d/d {config.q.param_names()[i]} [{config.label}]"
        if worst is None or ratio > worst[0]:
            worst = (ratio, float(mean[i]), float(exact[i]), where, tolerance)
    if worst is None:
        return None
    ratio, actual, expected, where, tolerance = worst
    passed = ratio <= 1.0
    size = (f"Gauss–Hermite rule with {NODES} nodes per dimension (checked against {NODES + 4}); "
            f"sample size {count} gradient entries, exact comparison")
    if passed:
        message = (f"{claim}: the rule's mean equals the exact gradient within {tolerance:.2g} "
                   f"(largest |error| {abs(actual - expected):.2g} at {where}); {size}")
    else:
        message = (f"{claim}: expected E[g] = {expected:.10g} (the exact gradient), actual {actual:.10g} "
                   f"at {where}; |error| {abs(actual - expected):.3g} > tolerance {tolerance:.2g}: "
                   f"the estimator is biased; {size}")
    return ClaimOutcome(claim, passed, abs(actual - expected), tolerance, count, EXACT, message)
