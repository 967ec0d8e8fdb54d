"""Monte Carlo estimators of the diffusion ELBO and of the losses diffusion models train with, on the
exact Gaussian diffusion of estimators/models.

Estimator contract (every estimator here, and every user estimator the diffusion checks accept):

    estimator(process, reverse, x0, *, generator, num_samples) -> values   # (L, B)

- `process` is a GaussianDiffusion (schedule and data law), `reverse` a LinearGaussianReverse (the
  model p_θ), `x0` the data batch (B, d) in float64.
- Noise comes from `generator` only, so a check is reproducible from its seed.
- The result holds one value per independent sample and data point, (L, B): ELBO estimates for the
  bound estimators (higher is better), loss values for `simple_loss`.

The estimators: `joint_elbo` (one forward chain, log p_θ(x_{0:T}) − log q(x_{1:T}|x₀)) and
`sampled_elbo` with a timestep sampler (timestep_samplers.py: every t, uniform t, importance t,
loss-aware importance t, stratified t, antithetic t), each per-step loss as the analytic KL
(vlb_term.py) or as the ε-, x₀-, v- or score-prediction loss with its exact ELBO weight
(prediction_losses.py); `simple_loss`, the unweighted ε loss, a reweighted bound.
"""

from elbo_suite.estimators.diffusion.elbo_estimators import joint_elbo, sampled_elbo, simple_loss
from elbo_suite.estimators.diffusion.loss_aware_sampler import LossSecondMomentSampler, second_moment_probabilities
from elbo_suite.estimators.diffusion.prediction_losses import (
    elbo_weight,
    prediction_error_moments,
    prediction_loss,
    simple_loss_as_reweighted_bound,
    snr_weight,
    weighted_vlb_term_samples,
)
from elbo_suite.estimators.diffusion.timestep_samplers import (
    AntitheticTimestep,
    EveryTimestep,
    ImportanceTimestep,
    StratifiedTimestep,
    TimestepSampler,
    UniformTimestep,
)
from elbo_suite.estimators.diffusion.vlb_term import prior_matching, vlb_term_samples

__all__ = [
    "AntitheticTimestep", "EveryTimestep", "ImportanceTimestep", "LossSecondMomentSampler", "StratifiedTimestep",
    "TimestepSampler", "UniformTimestep", "elbo_weight", "joint_elbo", "prediction_error_moments",
    "prediction_loss", "prior_matching", "sampled_elbo", "second_moment_probabilities", "simple_loss",
    "simple_loss_as_reweighted_bound", "snr_weight", "vlb_term_samples", "weighted_vlb_term_samples",
]
