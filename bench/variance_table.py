"""Every estimator's empirical variance beside its exact variance (Gaussian costs, 1-D ELBO)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from elbo_suite.bench.estimator_registry import ELBO_SWEEP_ESTIMATORS, noise
from elbo_suite.bench.exact_zero import exact_variance, sampled_variance
from elbo_suite.numbers import EXACT_ZERO, is_exact_zero
from elbo_suite.bench.results import VarianceRow
from elbo_suite.estimators.gradients import (
    LinearGaussianTarget,
    MeanLogStd,
    pathwise,
    score_function,
    score_function_optimal_baseline,
)
from elbo_suite.estimators.gradients.exact_variance import gaussian_cost_gradients, linear_gaussian_gradients
from elbo_suite.estimators.gradients.statistics import two_sided_normal_quantile, variance_with_standard_error
from elbo_suite.estimators.models import LinearGaussianModel

# (cost, μ, σ, k). exp(x) at σ = 1/2: at σ = 1 its score-function estimator has kurtosis ~10⁴,
# and a fourth moment estimated from the sample cannot give its variance a trustworthy error bar.
COST_SETTINGS = (
    ("x", 1.0, 1.0, 1.0),
    ("x^2", 1.0, 1.0, 1.0),
    ("(x-k)^2", 1.0, 1.0, 2.0),
    ("exp(x)", 0.0, 0.5, 1.0),
    ("cos(kx)", 1.0, 1.0, 2.0),
)
ELBO_SETTINGS = ((1.0, 0.3, -0.2),)  # (x, m, log σ) for z ~ N(0,1), x|z ~ N(z,1), q = N(m, σ²)

COST_FUNCTIONS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "x": lambda x, k: x,
    "x^2": lambda x, k: x**2,
    "(x-k)^2": lambda x, k: (x - k) ** 2,
    "exp(x)": lambda x, k: torch.exp(x),
    "cos(kx)": lambda x, k: torch.cos(k * x),
    "exp(-kx^2)": lambda x, k: torch.exp(-k * x**2),
}
COST_ESTIMATORS = {
    "pathwise": lambda f, q, e: pathwise(f, q, e, objective="expectation"),
    "score function": lambda f, q, e: score_function(f, q, e, objective="expectation"),
    "score function + optimal baseline": lambda f, q, e: score_function_optimal_baseline(
        f, q, e, objective="expectation"
    ),
}
_COST_EXACT_NAMES = {
    "pathwise": "pathwise",
    "score function": "score_function",
    "score function + optimal baseline": "score_function_optimal_baseline",
}


def cost_log_joint(cost: str, k: float):
    return lambda z: COST_FUNCTIONS[cost](z[:, 0], k)


def one_dimensional_target(x: float) -> LinearGaussianTarget:
    model = LinearGaussianModel(torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64), 1.0)
    return LinearGaussianTarget(model, torch.tensor([x], dtype=torch.float64))


def variance_rows(draws: int, alpha: float, seed: int = 1000) -> list[VarianceRow]:
    """One row per (setting, estimator, coordinate); agreement judged at family-wise α."""
    pending = []  # (setting, estimator, samples (N, 2), exact (mean, log_std))
    for i, (cost, mu, sigma, k) in enumerate(COST_SETTINGS):
        q = MeanLogStd(torch.tensor([mu, math.log(sigma)], dtype=torch.float64))
        eps = noise(seed + i, draws, 1)
        exact = gaussian_cost_gradients(cost, mu, sigma, k)
        setting = f"E[{cost}], x ~ N({mu:g}, {sigma:g}²)" + (f", k={k:g}" if "k" in cost else "")
        for name, run in COST_ESTIMATORS.items():
            pair = exact[_COST_EXACT_NAMES[name]]
            pending.append((setting, name, run(cost_log_joint(cost, k), q, eps), [e.variance() for e in pair]))
    for j, (x, m, log_std) in enumerate(ELBO_SETTINGS):
        target = one_dimensional_target(x)
        q = MeanLogStd(torch.tensor([m, log_std], dtype=torch.float64))
        exact = linear_gaussian_gradients(x, m, log_std)
        setting = f"1-D ELBO, x={x:g}, q=N({m:g}, e^{{2·{log_std:g}}})"
        for estimator in ELBO_SWEEP_ESTIMATORS:
            if estimator.exact_name is None:
                continue
            eps = noise(seed + 100 + j, draws * estimator.draws_per_row, 1)
            pair = exact[estimator.exact_name]
            pending.append((setting, estimator.name, estimator.run(target, q, eps), [e.variance() for e in pair]))
    z = two_sided_normal_quantile(alpha / (2 * len(pending)))
    rows = []
    for setting, name, samples, exact in pending:
        variance, standard_error = variance_with_standard_error(samples)
        for p, coordinate in enumerate(("mean", "log_std")):
            closed_form = exact_variance(exact[p])
            empirical, se = variance[p].item(), standard_error[p].item()
            if is_exact_zero(closed_form):
                # A constant gradient: its sample variance and that variance's standard error are
                # 0 in exact arithmetic (and must be 0 to rounding here).
                empirical = sampled_variance(empirical, True)
                se = EXACT_ZERO if is_exact_zero(empirical) else se
            agrees = abs(empirical - closed_form) <= z * se + 1e-12 * max(1.0, abs(closed_form))
            rows.append(VarianceRow(setting, name, coordinate, samples.shape[0], empirical, se, closed_form, agrees))
    return rows
