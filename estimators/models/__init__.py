"""Latent variable models on which every ELBO quantity is known exactly."""

from elbo_suite.estimators.models.linear_gaussian import LinearGaussianModel

__all__ = ["LinearGaussianModel"]
