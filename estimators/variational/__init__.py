"""Gaussian families for q(z|x), batched over data points: diagonal and full covariance."""

from elbo_suite.estimators.variational.diagonal import DiagonalGaussian
from elbo_suite.estimators.variational.full_covariance import FullCovGaussian
from elbo_suite.estimators.variational.noise import standard_normal

GaussianQ = DiagonalGaussian | FullCovGaussian

__all__ = ["DiagonalGaussian", "FullCovGaussian", "GaussianQ", "standard_normal"]
