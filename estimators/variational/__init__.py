"""Gaussian families for q(z|x), batched over data points: diagonal and full covariance."""

from estimators.variational.diagonal import DiagonalGaussian
from estimators.variational.full_covariance import FullCovGaussian
from estimators.variational.noise import standard_normal

GaussianQ = DiagonalGaussian | FullCovGaussian

__all__ = ["DiagonalGaussian", "FullCovGaussian", "GaussianQ", "standard_normal"]
