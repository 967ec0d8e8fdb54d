"""Statistical checks of the ELBO claims: results, z-tests and one function per claim."""

from elbo_suite.estimators.stats.claims import (
    BOUND,
    GAP_IDENTITY,
    IWAE_CONVERGENCE,
    IWAE_ORDERING,
    TIGHTNESS,
    UNBIASED,
    bound_claim,
    gap_identity_claim,
    improvement_claim,
    ordering_claim,
    tightness_claim,
    unbiased_claim,
)
from elbo_suite.estimators.stats.result import CheckResult
from elbo_suite.estimators.stats.ztest import bonferroni, critical_value, detectable_error, mean_and_stderr

ClaimResult = CheckResult

__all__ = [
    "BOUND", "GAP_IDENTITY", "IWAE_CONVERGENCE", "IWAE_ORDERING", "TIGHTNESS", "UNBIASED",
    "CheckResult", "ClaimResult", "bonferroni", "bound_claim", "critical_value",
    "detectable_error", "gap_identity_claim", "improvement_claim", "mean_and_stderr",
    "ordering_claim", "tightness_claim", "unbiased_claim",
]
