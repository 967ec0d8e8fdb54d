"""Seeded float64 inputs for one chain: data beyond [−1, 1], noise, x_t, network outputs.

x₀ has scale 1.5, so predicted x̂₀ leaves [−1, 1] in about half its entries and clipping shows;
the network output is the true ε / x₀ / v plus a perturbation of scale 0.3, so x̂₀ ≠ x₀ and a
step that ignores the network output cannot pass; learned-variance outputs are uniform in (−1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from elbo_suite.gate.diffusion import formulas as F
from elbo_suite.gate.diffusion.approx import data

SAMPLES_PER_STEP = 2  # rows per timestep: a batch of 2 at every t
CHANNELS, HEIGHT, WIDTH = 3, 4, 4  # image-shaped, as codebases extract coefficients to (B, 1, 1, 1)


@dataclass(frozen=True)
class Inputs:
    t: Tensor  # (B,) long
    t_prev: Tensor  # (B,) long; −1 is the data
    x_start: Tensor  # (B, C, H, W)
    noise: Tensor  # forward ε
    x_t: Tensor  # q_sample(x_start, t, noise), exact in float64
    output_noise: Tensor  # perturbation of the network output
    var_values: Tensor  # learned-variance channel in (−1, 1)
    step_noise: Tensor  # z of the reverse step
    gaussians: tuple[Tensor, Tensor, Tensor, Tensor]  # mean1, logvar1, mean2, logvar2 for normal_kl


def make_inputs(steps: list[tuple[int, int]], alpha_bar: Tensor, final_alpha_bar: float, seed: int) -> Inputs:
    """`alpha_bar` (T,) float64 is only used to form x_t exactly."""
    rows = [pair for pair in steps for _ in range(SAMPLES_PER_STEP)]
    t = torch.tensor([p[0] for p in rows], dtype=torch.long)
    t_prev = torch.tensor([p[1] for p in rows], dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    shape = (len(rows), CHANNELS, HEIGHT, WIDTH)

    def normal() -> Tensor:
        return torch.randn(shape, generator=g, dtype=torch.float64)

    x_start, noise = 1.5 * normal(), normal()
    ab = torch.where(t >= 0, alpha_bar[t.clamp_min(0)], torch.full_like(t, final_alpha_bar, dtype=torch.float64))
    x_t = F.q_sample(data(ab).view_rows(4), data(x_start), data(noise)).value
    output_noise = 0.3 * normal()
    var_values = 2 * torch.rand(shape, generator=g, dtype=torch.float64) - 1
    step_noise = normal()
    mean1, mean2 = normal(), normal()
    # Log-variances away from 0 and from each other, so a variance read as a log-variance shows.
    logvar1 = -2.0 + 3.0 * torch.rand(shape, generator=g, dtype=torch.float64)
    logvar2 = -2.5 + 3.0 * torch.rand(shape, generator=g, dtype=torch.float64)
    return Inputs(t, t_prev, x_start, noise, x_t, output_noise, var_values, step_noise, (mean1, logvar1, mean2, logvar2))


def network_output(prediction: str, inputs: Inputs, alpha_bar: Tensor) -> Tensor:
    """The true target of the prediction type, perturbed (so x̂₀ ≠ x₀)."""
    ab = data(alpha_bar).view_rows(4)
    if prediction == "epsilon":
        target = inputs.noise
    elif prediction == "sample":
        target = inputs.x_start
    elif prediction == "v_prediction":
        target = F.velocity(ab, data(inputs.x_start), data(inputs.noise)).value
    else:
        raise ValueError(f"prediction: expected one of {F.PREDICTIONS}, got {prediction!r}")
    return target + inputs.output_noise


def learned_variance_values(variance: str, inputs: Inputs, log_small: Tensor, log_large: Tensor) -> Tensor:
    """What the network's variance channels hold: v in (−1, 1), or log σ² itself for 'learned'."""
    if variance == "learned":
        frac = (inputs.var_values + 1) / 2
        return frac * log_large + (1 - frac) * log_small
    return inputs.var_values
