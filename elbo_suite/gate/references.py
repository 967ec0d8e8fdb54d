"""Reference ELBO / IWAE values on a given draw, from the suite's own estimators.

These are the per-data-point estimates the user's estimator must reproduce on the same noise:
- "elbo":             1/L Σ_l [log p(x, z_l) − log q(z_l|x)],   z_l = q.rsample(eps_l)  (elbo_samples);
- "elbo_analytic_kl": 1/L Σ_l log p(x | z_l) − KL(q‖N(0, I))             (analytic_kl_elbo_samples);
- "iwae":             log 1/K Σ_k p(x, z_k) / q(z_k|x), by log-sum-exp     (iwae_samples).
eps is (L, B, k) for the ELBO forms and (K, B, k) for IWAE.
"""

from __future__ import annotations

from torch import Tensor

from elbo_suite.estimators.elbo import analytic_kl_elbo_samples, elbo_samples
from elbo_suite.estimators.iwae import iwae_samples
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import GaussianQ

ESTIMATOR_KINDS = ("elbo", "elbo_analytic_kl", "iwae")


def reference_estimate(kind: str, model: LinearGaussianModel, q: GaussianQ, x: Tensor, eps: Tensor) -> Tensor:  # (B,)
    if kind == "elbo":
        return elbo_samples(model, q, x, eps=eps).mean(0)
    if kind == "elbo_analytic_kl":
        return analytic_kl_elbo_samples(model, q, x, eps=eps).mean(0)
    if kind == "iwae":
        return iwae_samples(model, q, x, eps=eps.unsqueeze(0))[0]  # one group of K draws
    raise ValueError(f"kind: expected one of {ESTIMATOR_KINDS}, got {kind!r}")
