"""Deliberately wrong estimators that real code has shipped; each must be rejected by a check whose
message names the claim and the size of the error, while the correct estimator passes the same
check on the same draws.

Seeds: the model set and every check use fixed seeds (model seed 7, check generator seed 11), so
the verdicts are reproducible. Expected false-failure rate of this module: it runs 14 statistical
checks of correct estimators at α = 1e-6 each, so at most 1.4e-5 over all seeds; the wrong variants
are rejected by margins of many detectable errors (asserted below), so missing one has negligible
probability.
"""


import pytest
import torch

from elbo_suite.estimators.checks import (
    check_bound,
    check_gap_identity,
    check_iwae_convergence,
    check_iwae_ordering,
    check_tightness,
    check_unbiased,
)
from elbo_suite.estimators.elbo import analytic_kl_elbo_samples, elbo_samples
from elbo_suite.estimators.iwae import importance_log_weights, iwae_samples
from elbo_suite.estimators.kl import kl_to_standard_normal
from elbo_suite.estimators.model_set import perturbed_posterior
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian

SAMPLES = 4096
GROUPS = 1024


# ---- the wrong variants ------------------------------------------------------------------------

def kl_missing_half(model, q, x, *, eps):
    z = q.rsample(eps)
    kl = (q.std.square() + q.mean.square() - 1.0 - 2.0 * q.log_std).sum(-1)  # no ½
    return model.log_likelihood(x, z) - kl


def log_variance_used_as_log_std(model, q, x, *, eps):
    log_variance = 2.0 * q.log_std  # what the encoder outputs
    wrong_q = DiagonalGaussian(q.mean, log_variance)  # ... read as a log-std
    z = wrong_q.rsample(eps)
    return model.log_joint(x, z) - wrong_q.log_prob(z)


def kl_arguments_swapped(model, q, x, *, eps):
    z = q.rsample(eps)
    # KL(N(0, I)‖q) in place of KL(q‖N(0, I))
    kl = 0.5 * ((1.0 + q.mean.square()) / q.std.square() - 1.0 + 2.0 * q.log_std).sum(-1)
    return model.log_likelihood(x, z) - kl


def sum_instead_of_mean_over_samples(model, q, x, *, eps):
    # a loss written as values.sum(0) where values.mean(0) was meant: each sample counts L times
    return eps.shape[0] * elbo_samples(model, q, x, eps=eps)


def kl_summed_over_batch(model, q, x, *, eps):
    z = q.rsample(eps)
    return model.log_likelihood(x, z) - kl_to_standard_normal(q).sum()


def kl_sign_flipped(model, q, x, *, eps):
    z = q.rsample(eps)
    return model.log_likelihood(x, z) + kl_to_standard_normal(q)


def iwae_mean_of_logs(model, q, x, *, eps):
    return importance_log_weights(model, q, x, q.rsample(eps)).mean(1)  # not log-mean-exp


def iwae_without_minus_log_k(model, q, x, *, eps):
    return torch.logsumexp(importance_log_weights(model, q, x, q.rsample(eps)), dim=1)


# ---- set-up ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def setting():
    generator = torch.Generator().manual_seed(7)
    model = LinearGaussianModel.random(3, 6, generator, noise_std=0.6)
    x = model.sample_data(4, generator)
    near = perturbed_posterior(model, x, "diagonal", 0.1, generator)
    far = perturbed_posterior(model, x, "diagonal", 1.0, generator)
    return model, x, near, far


def _run(check, estimator, setting, q_name, **options):
    model, x, near, far = setting
    generator = torch.Generator().manual_seed(11)
    where = f"{q_name} p(z|x)" if q_name else "at p(z|x)"
    description = f"k=3 d=6 s=0.6 B=4, diagonal q {where}, seed 7"
    if check in (check_bound, check_gap_identity, check_unbiased, check_tightness):
        options = {"subject": estimator.__name__, **options}
    if check is check_tightness:
        return check(estimator, model, x, generator=generator, description=description, **options)
    q = {"near": near, "far": far}[q_name]
    return check(estimator, model, q, x, generator=generator, description=description, **options)


def _assert_rejected(wrong, correct, claim):
    assert correct.passed, correct.message
    assert not wrong.passed, wrong.message
    assert wrong.claim == claim
    assert wrong.message.startswith(f"{claim} FAILS")
    error = wrong.estimate - wrong.exact
    if claim == "tightness":  # exact check: the message gives the largest single-sample deviation
        assert f"differ by up to {abs(error):.3g}" in wrong.message
        assert abs(error) > 1e6 * wrong.detectable_error
    elif claim == "IWAE convergence":  # detection: no improvement where the correct one shows plenty
        assert f"difference {error:+.3g}" in wrong.message
        assert wrong.estimate < wrong.detectable_error
        assert correct.estimate > 3 * correct.detectable_error
    else:  # rejected by a wide margin, not by luck
        assert f"difference {error:+.3g}" in wrong.message
        assert abs(error) > 3 * wrong.detectable_error


ELBO = dict(num_samples=SAMPLES)
IWAE = dict(num_groups=GROUPS)

CASES = [
    # (wrong estimator, correct estimator, check, q, options, claim)
    (kl_missing_half, analytic_kl_elbo_samples, check_unbiased, "far", ELBO, "unbiased"),
    (log_variance_used_as_log_std, elbo_samples, check_gap_identity, "far", ELBO, "gap identity"),
    (log_variance_used_as_log_std, elbo_samples, check_unbiased, "far", ELBO, "unbiased"),
    (kl_arguments_swapped, analytic_kl_elbo_samples, check_unbiased, "far", ELBO, "unbiased"),
    (sum_instead_of_mean_over_samples, elbo_samples, check_unbiased, "far", ELBO, "unbiased"),
    (sum_instead_of_mean_over_samples, elbo_samples, check_tightness, None, {}, "tightness"),
    (kl_summed_over_batch, analytic_kl_elbo_samples, check_unbiased, "near", ELBO, "unbiased"),
    (kl_sign_flipped, analytic_kl_elbo_samples, check_bound, "near", ELBO, "bound"),
    (iwae_mean_of_logs, iwae_samples, check_iwae_convergence, "far", IWAE, "IWAE convergence"),
    (iwae_without_minus_log_k, iwae_samples, check_iwae_ordering, "near", IWAE, "IWAE ordering"),
    (iwae_without_minus_log_k, iwae_samples, check_tightness, None, dict(sample_axes=(8, 16)), "tightness"),
]


@pytest.mark.parametrize(
    "wrong, correct, check, q_name, options, claim",
    CASES,
    ids=[f"{case[0].__name__}-{case[2].__name__}" for case in CASES],
)
def test_wrong_estimator_is_rejected_and_correct_one_passes(setting, wrong, correct, check, q_name, options, claim):
    wrong_result = _run(check, wrong, setting, q_name, **options)
    correct_result = _run(check, correct, setting, q_name, **options)
    _assert_rejected(wrong_result, correct_result, claim)
