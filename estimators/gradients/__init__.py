"""Per-sample gradient estimators of the ELBO (and IWAE_K) for a Gaussian q_φ.

The contract, shared by every estimator in this package:

    estimator(log_joint, q, eps, ...) -> Tensor (N, P)

- log_joint: a callable z (N, k) -> (N,), differentiable, in which row n depends on z[n] only
  (for a data point x, z ↦ log p(x, z); see `LinearGaussianTarget`).
- q: the variational parameters φ (P,), as `MeanLogStd` (P = 2k) or `MeanCholesky`
  (P = 2k + k(k-1)/2); z = z(ε, φ) = mean + L ε.
- eps: standard-normal noise, (N, k) — one draw per row; the grouped estimators (RLOO, IWAE)
  take (N, K, k): N independent groups of K draws.
- returns per-sample gradients (N, P): row n is an estimate of ∇_φ of the objective made from
  draw (or group) n alone; the rows are i.i.d., so their mean is the gradient estimate and their
  spread gives its variance and signal-to-noise ratio.

The objective is ELBO(φ) = E_q[log_joint(z) − log q_φ(z)]; the single-draw score-function and
pathwise estimators also take objective="expectation" for E_q[log_joint(z)] with a φ-free
log_joint (a cost f). The IWAE estimators target IWAE_K(φ) = E[log 1/K Σ_k w_k]. Every
estimator is unbiased except `iwae_sticking_the_landing` for K > 1. All are vectorised over draws:
per cache-sized block of draws, one batched evaluation of log_joint and one backward pass, then
closed-form derivatives of the Gaussian parameterisation. `exact_gradient` differentiates a closed-form objective instead.
"""

from elbo_suite.estimators.gradients.control_variates import (
    MovingAverageBaseline,
    optimal_baseline,
    score_function_moving_average,
    score_function_optimal_baseline,
    score_function_rloo,
)
from elbo_suite.estimators.gradients.exact import LinearGaussianTarget, exact_gradient
from elbo_suite.estimators.gradients.iwae import iwae_dreg, iwae_reparameterised, iwae_sticking_the_landing
from elbo_suite.estimators.gradients.parameterisation import GaussianParameterisation, MeanCholesky, MeanLogStd
from elbo_suite.estimators.gradients.pathwise import kl_to_standard_normal_prior, pathwise, pathwise_analytic_kl
from elbo_suite.estimators.gradients.score_function import score_function
from elbo_suite.estimators.gradients.sticking_the_landing import sticking_the_landing

__all__ = [
    "GaussianParameterisation",
    "LinearGaussianTarget",
    "MeanCholesky",
    "MeanLogStd",
    "MovingAverageBaseline",
    "exact_gradient",
    "iwae_dreg",
    "iwae_reparameterised",
    "iwae_sticking_the_landing",
    "kl_to_standard_normal_prior",
    "optimal_baseline",
    "pathwise",
    "pathwise_analytic_kl",
    "score_function",
    "score_function_moving_average",
    "score_function_optimal_baseline",
    "score_function_rloo",
    "sticking_the_landing",
]
