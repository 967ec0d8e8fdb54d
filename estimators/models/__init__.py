"""Latent variable models on which every ELBO quantity is known exactly: the linear-Gaussian VAE
model, and a diffusion model on Gaussian data (noise schedule, forward process, linear-Gaussian
reverse process, its ELBO three ways and its gap)."""

from elbo_suite.estimators.models.chain_posterior_kl import chain_posterior_kl
from elbo_suite.estimators.models.diffusion_elbo import (
    DECOMPOSITIONS,
    VlbTerms,
    closed_form_elbo,
    elbo_consistency,
    elbo_denoising,
    elbo_joint,
    vlb_terms,
)
from elbo_suite.estimators.models.gaussian_diffusion import GaussianDiffusion
from elbo_suite.estimators.models.linear_gaussian import LinearGaussianModel
from elbo_suite.estimators.models.linear_gaussian_reverse import LinearGaussianReverse
from elbo_suite.estimators.models.noise_schedule import (
    SCHEDULES,
    NoiseSchedule,
    cosine_schedule,
    improved_linear_schedule,
    linear_schedule,
    make_schedule,
    respace,
    scaled_linear_schedule,
    spaced_timesteps,
)

__all__ = [
    "DECOMPOSITIONS", "SCHEDULES", "GaussianDiffusion", "LinearGaussianModel", "LinearGaussianReverse",
    "NoiseSchedule", "VlbTerms", "chain_posterior_kl", "closed_form_elbo", "cosine_schedule",
    "elbo_consistency", "elbo_denoising", "elbo_joint", "improved_linear_schedule", "linear_schedule",
    "make_schedule", "respace", "scaled_linear_schedule", "spaced_timesteps", "vlb_terms",
]
