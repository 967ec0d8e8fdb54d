"""Schedule tables by the names codebases give them, computed in float64 from a β table.

A user's standalone function that takes `betas`, `alphas_cumprod`, `sqrt_one_minus_alphas_cumprod`,
`posterior_variance`, ... gets those tables from the gate's own float64 schedule, each a (T,)
tensor indexed by 0-based timestep (improved-diffusion's definitions, whose `posterior_log_variance_clipped`
repeats β̃_1 at t = 0 where β̃_0 = 0).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def _alpha_bar(b: Tensor) -> Tensor:
    return torch.cumprod(1 - b, dim=0)


def _alpha_bar_prev(b: Tensor) -> Tensor:
    return torch.cat([torch.ones(1, dtype=b.dtype), _alpha_bar(b)[:-1]])


def _posterior_variance(b: Tensor) -> Tensor:
    return b * (1 - _alpha_bar_prev(b)) / (1 - _alpha_bar(b))


def _posterior_log_variance_clipped(b: Tensor) -> Tensor:
    v = _posterior_variance(b)
    return torch.log(torch.cat([v[1:2], v[1:]])) if v.shape[0] > 1 else torch.log(v.clamp_min(1e-20))


TABLES: dict[str, Callable[[Tensor], Tensor]] = {
    "betas": lambda b: b,
    "alphas": lambda b: 1 - b,
    "sqrt_alphas": lambda b: (1 - b).sqrt(),
    "sqrt_recip_alphas": lambda b: (1 - b).rsqrt(),
    "alphas_cumprod": _alpha_bar,
    "alphas_cumprod_prev": _alpha_bar_prev,
    "alphas_cumprod_next": lambda b: torch.cat([_alpha_bar(b)[1:], torch.zeros(1, dtype=b.dtype)]),
    "one_minus_alphas_cumprod": lambda b: 1 - _alpha_bar(b),
    "sqrt_alphas_cumprod": lambda b: _alpha_bar(b).sqrt(),
    "sqrt_one_minus_alphas_cumprod": lambda b: (1 - _alpha_bar(b)).sqrt(),
    "log_one_minus_alphas_cumprod": lambda b: (1 - _alpha_bar(b)).log(),
    "sqrt_recip_alphas_cumprod": lambda b: _alpha_bar(b).rsqrt(),
    "sqrt_recipm1_alphas_cumprod": lambda b: (1 / _alpha_bar(b) - 1).sqrt(),
    "posterior_variance": _posterior_variance,
    "posterior_log_variance_clipped": _posterior_log_variance_clipped,
    "posterior_mean_coef1": lambda b: b * _alpha_bar_prev(b).sqrt() / (1 - _alpha_bar(b)),
    "posterior_mean_coef2": lambda b: (1 - _alpha_bar_prev(b)) * (1 - b).sqrt() / (1 - _alpha_bar(b)),
}
ALIASES = {
    "alpha_bar": "alphas_cumprod", "alphas_bar": "alphas_cumprod", "alpha_bars": "alphas_cumprod",
    "alpha_cumprod": "alphas_cumprod", "alphas_hat": "alphas_cumprod", "alpha_hat": "alphas_cumprod",
    "alpha_bar_prev": "alphas_cumprod_prev", "alphas_bar_prev": "alphas_cumprod_prev",
    "sqrt_alpha_bar": "sqrt_alphas_cumprod", "sqrt_alphas_bar": "sqrt_alphas_cumprod",
    "sqrt_one_minus_alpha_bar": "sqrt_one_minus_alphas_cumprod", "sqrt_one_minus_alphas_bar": "sqrt_one_minus_alphas_cumprod",
    "beta": "betas", "alpha": "alphas",
}


def table_name(parameter: str) -> str | None:
    name = ALIASES.get(parameter, parameter)
    return name if name in TABLES else None


def table(name: str, betas: Tensor) -> Tensor:
    return TABLES[name](betas.to(torch.float64))
