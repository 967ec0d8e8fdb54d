"""The four things a diffusion network predicts, and the exact conversions between them.

With x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε:
    ε     = (x_t − √ᾱ_t x₀) / √(1 − ᾱ_t)
    x₀    = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t
    v     = √ᾱ_t ε − √(1 − ᾱ_t) x₀           (Salimans & Ho 2022)
    x₀    = √ᾱ_t x_t − √(1 − ᾱ_t) v,   ε = √(1 − ᾱ_t) x_t + √ᾱ_t v
    score = ∇ log q(x_t | x₀) = −ε / √(1 − ᾱ_t)
The same maps turn a prediction of one into a prediction of another. `alpha_bar` is ᾱ_t as a
Tensor broadcastable against the data; t = 0 (ᾱ = 1) has no ε, v or score.

Every target is a function of the reverse model's mean through the posterior q(x_{t−1} | x_t, x₀):
μ_θ = k₀_t x̂₀ + k_t x_t. `TARGETS` names them in the form the losses use.
"""

from __future__ import annotations

from torch import Tensor

TARGETS = ("eps", "x0", "v", "score")


def eps_from_x0(x_t: Tensor, x0: Tensor, alpha_bar: Tensor) -> Tensor:
    return (x_t - alpha_bar.sqrt() * x0) / (1.0 - alpha_bar).sqrt()


def x0_from_eps(x_t: Tensor, eps: Tensor, alpha_bar: Tensor) -> Tensor:
    return (x_t - (1.0 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def v_from_eps_x0(eps: Tensor, x0: Tensor, alpha_bar: Tensor) -> Tensor:
    return alpha_bar.sqrt() * eps - (1.0 - alpha_bar).sqrt() * x0


def x0_from_v(x_t: Tensor, v: Tensor, alpha_bar: Tensor) -> Tensor:
    return alpha_bar.sqrt() * x_t - (1.0 - alpha_bar).sqrt() * v


def eps_from_v(x_t: Tensor, v: Tensor, alpha_bar: Tensor) -> Tensor:
    return (1.0 - alpha_bar).sqrt() * x_t + alpha_bar.sqrt() * v


def score_from_eps(eps: Tensor, alpha_bar: Tensor) -> Tensor:
    return -eps / (1.0 - alpha_bar).sqrt()


def eps_from_score(score: Tensor, alpha_bar: Tensor) -> Tensor:
    return -(1.0 - alpha_bar).sqrt() * score


def target_from_x0(target: str, x_t: Tensor, x0: Tensor, alpha_bar: Tensor) -> Tensor:
    """The value of `target` (one of TARGETS) implied by x₀ at x_t; applied to a prediction x̂₀ it
    gives the matching prediction (ε̂, v̂, ŝ), applied to the true x₀ the regression target."""
    if target == "x0":
        return x0
    eps = eps_from_x0(x_t, x0, alpha_bar)
    if target == "eps":
        return eps
    if target == "v":
        return v_from_eps_x0(eps, x0, alpha_bar)
    if target == "score":
        return score_from_eps(eps, alpha_bar)
    raise ValueError(f"target: expected one of {', '.join(TARGETS)}, got {target!r}")


def x0_error_scale(target: str, alpha_bar: Tensor) -> Tensor:
    """λ with (target − prediction) = λ · (x₀ − x̂₀) at the same x_t, for predictions converted from
    x̂₀: ε: −√(ᾱ/(1 − ᾱ)); v: −1/√(1 − ᾱ); score: √ᾱ/(1 − ᾱ); x₀: 1. The ELBO weight of a target is
    the x₀ weight divided by λ²."""
    if target == "x0":
        return alpha_bar.new_ones(()).expand_as(alpha_bar)
    if target == "eps":
        return -(alpha_bar / (1.0 - alpha_bar)).sqrt()
    if target == "v":
        return -1.0 / (1.0 - alpha_bar).sqrt()
    if target == "score":
        return alpha_bar.sqrt() / (1.0 - alpha_bar)
    raise ValueError(f"target: expected one of {', '.join(TARGETS)}, got {target!r}")
