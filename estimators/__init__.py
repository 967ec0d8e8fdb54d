"""Monte Carlo ELBO estimators on exact Gaussian models.

Estimator contract (every estimator in this package, and every user estimator the checks accept):

    estimator(model, q, x, *, eps) -> values          # eps (L, B, k) or (S, K, B, k)

- `model` is an exact latent variable model (`LinearGaussianModel`), `q` a Gaussian q(z|x) batched
  over the data points (`DiagonalGaussian` or `FullCovGaussian`, parameters (B, k)), and `x` the
  data batch (B, d).
- `eps` is standard-normal noise; z = q.rsample(eps). Passing `generator=` (and a sample count)
  instead draws fresh noise, so the same estimator serves exact checks on injected noise and
  statistical checks on fresh draws.
- The result holds one value per independent sample and data point, (L, B) for the ELBO forms and
  (S, B) for IWAE (one value per group of K), never just their mean: callers need the spread for
  standard errors. Everything is vectorized; there is no Python loop over samples.
"""

from elbo_suite.estimators.elbo import analytic_kl_elbo_samples, elbo_samples
from elbo_suite.estimators.iwae import iwae_samples, log_mean_exp
from elbo_suite.estimators.kl import kl_diagonal_diagonal, kl_divergence, kl_full_full, kl_to_standard_normal
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian, FullCovGaussian, GaussianQ

__all__ = [
    "DiagonalGaussian",
    "FullCovGaussian",
    "GaussianQ",
    "LinearGaussianModel",
    "analytic_kl_elbo_samples",
    "elbo_samples",
    "iwae_samples",
    "kl_diagonal_diagonal",
    "kl_divergence",
    "kl_full_full",
    "kl_to_standard_normal",
    "log_mean_exp",
]
