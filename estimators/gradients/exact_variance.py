"""Exact means, variances and fourth moments of per-sample gradients, as ground truth.

Every per-sample gradient coordinate below is written by hand as a function of the noise ε,
independently of the estimator code, and integrated exactly with `GaussianExpression`.
Coordinates are (mean, log_std): at σ = 1 the log_std derivative equals the σ derivative that
Mohamed et al. (JMLR 2020, Figs. 2–3) plot.

1. A cost f under x = μ + σ ε:
   pathwise        (f'(x), f'(x) σ ε)
   score_function  (f(x) ε/σ, f(x)(ε² − 1))
   optimal baseline (f(x) − b_p) s_p with b_p = E[f s_p²] / E[s_p²].
2. The 1-D linear-Gaussian ELBO: z ~ N(0,1), x|z ~ N(z,1), q = N(m, σ²), z = m + σ ε,
   f = log p(x,z) − log q(z), ∂/∂z log p(x,z) = x − 2z, KL(q‖N(0,1)) = ½(σ² + m² − 1) − log σ:
   pathwise                 (x − 2z,          (x − 2z) σ ε + 1)
   pathwise_analytic_kl     (x − z − m,       (x − z) σ ε − σ² + 1)
   sticking_the_landing     (x − 2z + ε/σ,    (x − 2z) σ ε + ε²)
   score_function           ((f − 1) ε/σ,     (f − 1)(ε² − 1))      [with the −∇log q term]
   score_function_without_zero_mean_term  (f ε/σ, f (ε² − 1))
   score_function_optimal_baseline        ((f − b_m) ε/σ, (f − b_s)(ε² − 1)).
3. The same model in k dimensions with identity loadings factorises over coordinates, so a
   mean[0] / log_std[0] gradient sees the other k − 1 coordinates only through the score
   estimators' f = f_1 + R, R a sum of k − 1 independent copies of f_1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from elbo_suite.estimators.gradients.gaussian_expression import GaussianExpression

GAUSSIAN_COSTS = ("x", "x^2", "(x-k)^2", "exp(x)", "cos(kx)", "exp(-kx^2)")
COST_ESTIMATORS = ("pathwise", "score_function", "score_function_optimal_baseline")
ELBO_ESTIMATORS = (
    "pathwise",
    "pathwise_analytic_kl",
    "sticking_the_landing",
    "score_function",
    "score_function_without_zero_mean_term",
    "score_function_optimal_baseline",
)


@dataclass(frozen=True)
class ExactMoments:
    mean: float
    variance: float
    fourth_central_moment: float

    @classmethod
    def of(cls, expression: GaussianExpression) -> ExactMoments:
        return cls(expression.expectation(), expression.variance(), expression.fourth_central_moment())

    def variance_standard_error(self, n: int) -> float:
        """Standard deviation of the unbiased sample variance of n i.i.d. draws."""
        return math.sqrt(
            max(self.fourth_central_moment / n - self.variance**2 * (n - 3) / (n * (n - 1)), 0.0)
        )


def gaussian_cost(cost: str, mu: float, sigma: float, k: float = 1.0) -> GaussianExpression:
    """f(μ + σ ε) as an expression in ε."""
    x = GaussianExpression.eps() * sigma + mu
    builders: dict[str, Callable[[], GaussianExpression]] = {
        "x": lambda: x,
        "x^2": lambda: x * x,
        "(x-k)^2": lambda: (x - k) * (x - k),
        "exp(x)": lambda: GaussianExpression.exp_term(math.exp(mu), sigma),
        "cos(kx)": lambda: GaussianExpression.exp_term(0.5 * complex(math.cos(k * mu), math.sin(k * mu)), 1j * k * sigma)
        + GaussianExpression.exp_term(0.5 * complex(math.cos(k * mu), -math.sin(k * mu)), -1j * k * sigma),
        "exp(-kx^2)": lambda: GaussianExpression.exp_term(
            math.exp(-k * mu * mu), -2.0 * k * mu * sigma, -k * sigma * sigma
        ),
    }
    if cost not in builders:
        raise ValueError(f"cost: expected one of {GAUSSIAN_COSTS}, got {cost!r}")
    if not sigma > 0:
        raise ValueError(f"sigma: expected a positive float, got {sigma!r}")
    return builders[cost]()


def _scores(sigma: float) -> tuple[GaussianExpression, GaussianExpression]:
    eps = GaussianExpression.eps()
    return eps * (1.0 / sigma), eps * eps - 1.0


def _with_optimal_baseline(f: GaussianExpression, score: GaussianExpression) -> GaussianExpression:
    baseline = (f * score * score).expectation() / (score * score).expectation()
    return (f - baseline) * score


def gaussian_cost_gradients(
    cost: str, mu: float, sigma: float, k: float = 1.0
) -> dict[str, tuple[GaussianExpression, GaussianExpression]]:
    """Per-sample gradients of E[f(x)] in (μ, log σ), for each estimator in COST_ESTIMATORS."""
    f = gaussian_cost(cost, mu, sigma, k)
    eps = GaussianExpression.eps()
    df_deps = f.derivative()  # = σ f'(x)
    score_mean, score_log_std = _scores(sigma)
    return {
        "pathwise": (df_deps * (1.0 / sigma), df_deps * eps),
        "score_function": (f * score_mean, f * score_log_std),
        "score_function_optimal_baseline": (
            _with_optimal_baseline(f, score_mean),
            _with_optimal_baseline(f, score_log_std),
        ),
    }


def _linear_gaussian_integrand(x: float, m: float, sigma: float) -> GaussianExpression:
    eps = GaussianExpression.eps()
    z = eps * sigma + m
    log_joint = -0.5 * (z * z) - 0.5 * ((z - x) * (z - x)) - math.log(2.0 * math.pi)
    log_q = -0.5 * (eps * eps) - math.log(sigma) - 0.5 * math.log(2.0 * math.pi)
    return log_joint - log_q


def linear_gaussian_gradients(
    x: float, m: float, log_std: float
) -> dict[str, tuple[GaussianExpression, GaussianExpression]]:
    """Per-sample ELBO gradients in (m, log σ) for the 1-D linear-Gaussian model, per estimator."""
    sigma = math.exp(log_std)
    eps = GaussianExpression.eps()
    z = eps * sigma + m
    f = _linear_gaussian_integrand(x, m, sigma)
    score_mean, score_log_std = _scores(sigma)
    grad_log_joint = -2.0 * z + x  # ∂/∂z log p(x, z)
    return {
        "pathwise": (grad_log_joint, grad_log_joint * eps * sigma + 1.0),
        "pathwise_analytic_kl": (-z + x - m, (-z + x) * eps * sigma + (1.0 - sigma**2)),
        "sticking_the_landing": (
            grad_log_joint + eps * (1.0 / sigma),
            grad_log_joint * eps * sigma + eps * eps,
        ),
        "score_function": ((f - 1.0) * score_mean, (f - 1.0) * score_log_std),
        "score_function_without_zero_mean_term": (f * score_mean, f * score_log_std),
        "score_function_optimal_baseline": (
            _with_optimal_baseline(f, score_mean),
            _with_optimal_baseline(f, score_log_std),
        ),
    }


def linear_gaussian_exact_gradient(x: float, m: float, log_std: float) -> tuple[float, float]:
    """∇_(m, log σ) of the closed-form ELBO −½[(x − m)² + σ² + m² + σ²] + log σ + const."""
    sigma2 = math.exp(2.0 * log_std)
    return x - 2.0 * m, 1.0 - 2.0 * sigma2


def isotropic_linear_gaussian_variances(
    dim: int, x: float, m: float, log_std: float
) -> dict[str, tuple[float, float]]:
    """Exact variances of the mean[0] and log_std[0] gradients in the k-dimensional model
    z ~ N(0, I), x|z ~ N(z, I), with x = (x, …, x) and q = N(m 1, σ² I)."""
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim: expected a positive int, got {dim!r}")
    sigma = math.exp(log_std)
    one_dim = linear_gaussian_gradients(x, m, log_std)
    f = _linear_gaussian_integrand(x, m, sigma)
    others = dim - 1
    rest_mean = others * f.expectation()  # E[R]
    rest_second = others * f.variance() + rest_mean**2  # E[R²]
    variances: dict[str, tuple[float, float]] = {}
    for name, (g_mean, g_log_std) in one_dim.items():
        if not name.startswith("score_function"):
            variances[name] = (g_mean.variance(), g_log_std.variance())
            continue
        pair = []
        for score in _scores(sigma):
            s2 = (score * score).expectation()
            if name == "score_function":
                offset = 1.0
            elif name == "score_function_without_zero_mean_term":
                offset = 0.0
            else:  # the optimal constant for f_1 + R
                offset = (f * score * score).expectation() / s2 + rest_mean
            centred = f - offset  # f_1 − c; g = (centred + R) s
            mean = (centred * score).expectation()
            second = (
                (centred * centred * score * score).expectation()
                + 2.0 * (centred * score * score).expectation() * rest_mean
                + rest_second * s2
            )
            pair.append(second - mean**2)
        variances[name] = (pair[0], pair[1])
    return variances
