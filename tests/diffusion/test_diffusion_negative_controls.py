"""Deliberately wrong diffusion code, each of a kind real projects have shipped; every diffusion check
must reject its wrong variant, with a message that names the claim and the size of the error, while
the correct code passes the same check on the same seed.

Seeds: the model seed 3 and the check generator seed 11 are fixed. Expected false-failure rate: the
correct counterparts run 11 statistical checks at α = 1e-6 each (≤ 1.1e-5 in all); the wrong
variants are rejected by many detectable errors (asserted), so a miss has negligible probability.
"""

import math

import pytest
import torch

from elbo_suite.estimators.diffusion import (
    EveryTimestep,
    StratifiedTimestep,
    UniformTimestep,
    elbo_weight,
    joint_elbo,
    prior_matching,
    sampled_elbo,
    second_moment_probabilities,
    vlb_term_samples,
)
from elbo_suite.estimators.diffusion.checks import (
    check_bound,
    check_decompositions,
    check_exact_gap,
    check_gap_identity,
    check_snr_weights,
    check_tightness,
    check_unbiased,
    check_weight_identity,
)
from elbo_suite.estimators.diffusion.prediction_losses import prediction_error, snr_weight
from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    closed_form_elbo,
    cosine_schedule,
    elbo_joint,
    linear_schedule,
    respace,
    spaced_timesteps,
    vlb_terms,
)
from elbo_suite.estimators.models.diffusion_elbo import ELBO_CLOSED_FORMS
from elbo_suite.estimators.models.normal_density import kl_normal, log_normal
from elbo_suite.estimators.variational.noise import standard_normal

SAMPLES = 2**15


def _setting(schedule=None, reverse="DDPM"):
    generator = torch.Generator().manual_seed(3)
    process = GaussianDiffusion.random(schedule or linear_schedule(10), 2, generator)
    x0 = process.sample_data(3, generator)
    truth = LinearGaussianReverse.true_reverse(process)
    reverses = {"true": truth, "DDPM": LinearGaussianReverse.ddpm(process), "beta": LinearGaussianReverse.ddpm(process, "beta"),
                "far": truth.perturbed(process, 0.3, generator)}
    return process, reverses[reverse], x0


def _generator():
    return torch.Generator().manual_seed(11)


def _rejected(result, claim):
    assert not result.passed, result.message
    assert result.claim == claim and "FAILS" in result.message
    return result


def _margin(result):
    """How far past the line a rejection is, in detectable errors (statistical) or tolerances (exact)."""
    return abs(result.estimate - result.exact) / result.detectable_error


# ---- the wrong variants ------------------------------------------------------------------------------
def mean_over_dimensions(process, reverse, x0, *, generator, num_samples):
    """mean_flat where a sum over dimensions belongs: the ELBO per dimension."""
    return joint_elbo(process, reverse, x0, generator=generator, num_samples=num_samples) / process.data_dim


def prior_matching_dropped(process, reverse, x0, *, generator, num_samples):
    """L_T left out as 'a constant' although p(x_T) = N(0, I) does not match q(x_T | x₀)."""
    values = sampled_elbo(process, reverse, x0, sampler=EveryTimestep(process.num_steps), generator=generator,
                          num_samples=num_samples)
    return values + prior_matching(process, reverse, x0)


def uniform_t_without_factor_T(process, reverse, x0, *, generator, num_samples):
    """The mean over t where the sum over t belongs."""
    exact_prior = prior_matching(process, reverse, x0)
    values = sampled_elbo(process, reverse, x0, sampler=UniformTimestep(process.num_steps), generator=generator,
                          num_samples=num_samples)
    return (values + exact_prior) / process.num_steps - exact_prior


def importance_t_without_reweighting(process, reverse, x0, *, generator, num_samples):
    """t drawn from the loss-aware p, but weighted T as if uniform."""
    terms = vlb_terms(process, reverse, x0)
    p = second_moment_probabilities(terms.mean, terms.variance, 1e-3)
    t = torch.multinomial(p, num_samples * x0.shape[0], replacement=True, generator=generator).reshape(num_samples, -1) + 1
    eps = standard_normal((num_samples, *x0.shape), generator, x0)
    return -process.num_steps * vlb_term_samples(process, reverse, x0, t, eps) - prior_matching(process, reverse, x0)


def stratified_with_T_over_K_weights(process, reverse, x0, *, generator, num_samples):
    """Every stratum weighted T/K although K does not divide T (strata of 3, 3, 2, 2 at T = 10)."""
    K = 4
    t, _ = StratifiedTimestep(process.num_steps, K).draw((num_samples, x0.shape[0]), generator)
    t = t.transpose(-1, -2)  # (L, K, B)
    eps = standard_normal((*t.shape, x0.shape[1]), generator, x0)
    losses = vlb_term_samples(process, reverse, x0, t, eps)  # (L, K, B)
    return -(process.num_steps / K) * losses.sum(1) - prior_matching(process, reverse, x0)


def _vlb_with_posterior_variance(process, reverse, x0, t, eps, variance_of):
    x_t = process.q_sample(x0, t, eps)
    mean, _ = process.posterior(x0, x_t, t)
    model_mean = reverse.mean(x_t, t)
    _, _, model_variance = reverse.step(t)
    kl = kl_normal(mean, variance_of(process, t).unsqueeze(-1).clamp_min(1e-300), model_mean, model_variance)
    return torch.where((t == 1).unsqueeze(-1), -log_normal(x0, model_mean, model_variance), kl).sum(-1)


def posterior_variance_missing_denominator(process, t):
    """β̃_t = β_t (1 − ᾱ_{t−1}) without its / (1 − ᾱ_t)."""
    s = process.schedule
    return s.beta[t] * s.one_minus_alpha_bar[t - 1]


def betas_where_posterior_variance_belonged(process, t):
    return process.schedule.beta[t]


def uniform_elbo_with_posterior_variance(variance_of):
    def estimator(process, reverse, x0, *, generator, num_samples):
        t = torch.randint(1, process.num_steps + 1, (num_samples, x0.shape[0]), generator=generator)
        eps = standard_normal((num_samples, *x0.shape), generator, x0)
        losses = _vlb_with_posterior_variance(process, reverse, x0, t, eps, variance_of)
        return -process.num_steps * losses - prior_matching(process, reverse, x0)

    return estimator


def epsilon_weight_missing_alpha(process, reverse, t, target):
    """DDPM's β_t² / (2σ_t² α_t (1 − ᾱ_t)) written without the α_t."""
    return elbo_weight(process, reverse, t, "eps") * process.schedule.alpha[t].unsqueeze(-1)


def epsilon_weight_used_for(target_weight_of):
    def weight(process, reverse, t, target):
        return elbo_weight(process, reverse, t, target_weight_of)

    return weight


def joint_elbo_with_full_schedule_betas(base):
    """The joint estimator on a respaced chain that steps with the FULL schedule's β at each kept
    timestep, instead of β re-derived from ᾱ."""

    def estimator(process, reverse, x0, *, generator, num_samples):
        wrong_betas = base.betas[[t - 1 for t in process.schedule.timesteps]]
        x_previous = x0.expand(num_samples, *x0.shape)
        log_ratio = torch.zeros(num_samples, x0.shape[0], dtype=x0.dtype)
        for t in range(1, process.num_steps + 1):
            beta = wrong_betas[t - 1]
            noise = standard_normal(x_previous.shape, generator, x0)
            x_t = (1 - beta).sqrt() * x_previous + beta.sqrt() * noise
            log_ratio += reverse.log_step(x_previous, x_t, t) - log_normal(x_t, (1 - beta).sqrt() * x_previous, beta).sum(-1)
            x_previous = x_t
        return log_ratio + reverse.log_prior(x_previous)

    return estimator


def joint_elbo_with_log_variance_as_variance(process, reverse, x0, *, generator, num_samples):
    """The reverse step scored with exp(σ²) where σ² was stored: a log-variance slot read as a variance."""
    x_previous = x0.expand(num_samples, *x0.shape)
    log_ratio = torch.zeros(num_samples, x0.shape[0], dtype=x0.dtype)
    for t in range(1, process.num_steps + 1):
        sqrt_alpha, beta = process.forward_step(t)
        noise = standard_normal(x_previous.shape, generator, x0)
        x_t = sqrt_alpha * x_previous + beta.sqrt() * noise
        slope, offset, variance = reverse.step(t)
        log_ratio += log_normal(x_previous, slope * x_t + offset, variance.exp()).sum(-1)
        log_ratio -= log_normal(x_t, sqrt_alpha * x_previous, beta).sum(-1)
        x_previous = x_t
    return log_ratio + reverse.log_prior(x_previous)


def luo_literal_consistency(process, reverse, x0):
    """Luo (2022, eq. 45) as written: the consistency term as E_{q(x_{t−1}, x_{t+1}|x₀)}[KL(q(x_t|x_{t−1}) ‖
    p_θ(x_t|x_{t+1}))], which treats x_t as independent of x_{t+1}."""
    s, T = process.schedule, process.num_steps
    literal = torch.zeros(x0.shape[0], dtype=x0.dtype)
    for t in range(1, T):
        slope, offset, variance = reverse.step(t + 1)
        difference_mean = s.alpha[t].sqrt() * s.alpha_bar[t - 1].sqrt() * x0 - slope * s.alpha_bar[t + 1].sqrt() * x0 - offset
        difference_variance = (s.alpha[t] * process.chain_covariance(t - 1, t - 1)
                               - 2 * s.alpha[t].sqrt() * slope * process.chain_covariance(t - 1, t + 1)
                               + slope.square() * process.chain_covariance(t + 1, t + 1))
        literal += (0.5 * ((s.beta[t] + difference_mean.square() + difference_variance) / variance - 1
                           + (variance / s.beta[t]).log())).sum(-1)
    # reconstruction − prior matching, the two end terms the literal form keeps
    terms = vlb_terms(process, reverse, x0)
    reconstruction = -terms.mean[:, 0]
    sqrt_alpha_T, beta_T = s.alpha[T].sqrt(), s.beta[T]
    prior = 0.5 * ((beta_T + (s.alpha_bar[T].sqrt() * x0 - reverse.prior_mean).square()
                    + sqrt_alpha_T.square() * s.one_minus_alpha_bar[T - 1]) / reverse.prior_std.square()
                   - 1 + (reverse.prior_std.square() / beta_T).log()).sum(-1)
    return reconstruction - prior - literal


def elbo_with_posterior_variance_missing_denominator(process, reverse, x0):
    """The denoising closed form with β̃_t missing its / (1 − ᾱ_t) in every KL."""
    t = torch.arange(2, process.num_steps + 1)
    right, wrong = process.schedule.posterior_variance[t].unsqueeze(-1), posterior_variance_missing_denominator(process, t).unsqueeze(-1)
    sigma2 = reverse.std[1:].square()
    shift = 0.5 * ((right / wrong).log() + (wrong - right) / sigma2).sum((-2, -1))  # KL(wrong) − KL(right) per data point
    return closed_form_elbo(process, reverse, x0) - shift


def snr_weight_off_by_one(schedule, t, target):
    """½(SNR_t − SNR_{t+1}): the x₀ weight taken one step late."""
    later = torch.clamp(t + 1, max=schedule.num_steps)
    x0_weight = 0.5 * (schedule.snr[t] - schedule.snr[later])
    return x0_weight if target == "x0" else snr_weight(schedule, t, target) * x0_weight / snr_weight(schedule, t, "x0")


# ---- the checks reject them ---------------------------------------------------------------------------
def test_bound_rejects_the_elbo_averaged_over_dimensions():
    process, reverse, x0 = _setting(reverse="true")
    assert bool((reverse.log_marginal(x0) < 0).all())  # where ELBO/d > ELBO
    assert check_bound(joint_elbo, process, reverse, x0, generator=_generator(), num_samples=256).passed
    result = _rejected(check_bound(mean_over_dimensions, process, reverse, x0, generator=_generator(), num_samples=256), "bound")
    assert _margin(result) > 10


def test_gap_identity_rejects_a_dropped_prior_matching_term():
    process, reverse, x0 = _setting(reverse="DDPM")
    correct = lambda p, r, x, *, generator, num_samples: sampled_elbo(  # noqa: E731
        p, r, x, sampler=EveryTimestep(p.num_steps), generator=generator, num_samples=num_samples)
    assert check_gap_identity(correct, process, reverse, x0, generator=_generator(), num_samples=SAMPLES).passed
    result = _rejected(check_gap_identity(prior_matching_dropped, process, reverse, x0, generator=_generator(),
                                          num_samples=SAMPLES), "gap identity")
    assert _margin(result) > 2


@pytest.mark.parametrize("wrong, samples", [
    (uniform_t_without_factor_T, SAMPLES),
    (importance_t_without_reweighting, SAMPLES),
    # the subtlest: a bias of ~0.4 standard deviations of one estimate, so it takes 2¹⁷ draws
    (stratified_with_T_over_K_weights, 2**17),
    (uniform_elbo_with_posterior_variance(posterior_variance_missing_denominator), SAMPLES),
    (uniform_elbo_with_posterior_variance(betas_where_posterior_variance_belonged), SAMPLES),
], ids=["uniform t without the factor T", "importance t without 1/p", "stratified with T/K weights",
        "posterior variance missing /(1 − ᾱ_t)", "betas where posterior_variance belonged"])
def test_unbiasedness_rejects_a_biased_t_sampled_estimator(wrong, samples):
    process, reverse, x0 = _setting(schedule=cosine_schedule(10), reverse="DDPM")
    correct = uniform_elbo_with_posterior_variance(lambda p, t: p.schedule.posterior_variance[t])
    assert check_unbiased(correct, process, reverse, x0, generator=_generator(), num_samples=samples).passed
    result = _rejected(check_unbiased(wrong, process, reverse, x0, generator=_generator(), num_samples=samples), "unbiased")
    assert _margin(result) > 2


def test_tightness_rejects_a_respaced_chain_stepping_with_the_full_schedules_betas():
    base = cosine_schedule(1000)
    process, _, x0 = _setting(schedule=respace(base, spaced_timesteps(1000, 50, "leading")))
    assert check_tightness(joint_elbo, process, x0, generator=_generator()).passed
    result = _rejected(check_tightness(joint_elbo_with_full_schedule_betas(base), process, x0, generator=_generator()), "tightness")
    assert result.stderr > 1e3 * result.detectable_error  # the joint log-ratio is no longer constant


def test_tightness_rejects_a_log_variance_read_as_a_variance():
    process, _, x0 = _setting()
    result = _rejected(check_tightness(joint_elbo_with_log_variance_as_variance, process, x0, generator=_generator()), "tightness")
    assert result.stderr > 1e3 * result.detectable_error


def test_decompositions_reject_luos_literal_consistency_form():
    process, reverse, x0 = _setting(reverse="far")
    assert check_decompositions(process, reverse, x0).passed
    result = _rejected(check_decompositions(process, reverse, x0, forms={"joint": ELBO_CLOSED_FORMS["joint"],
                                                                         "Luo eq. 45 as written": luo_literal_consistency}),
                       "decompositions agree")
    assert _margin(result) > 1e6


def test_exact_gap_rejects_a_closed_form_with_the_posterior_variance_bug():
    process, reverse, x0 = _setting(reverse="DDPM")
    assert check_exact_gap(process, reverse, x0).passed
    result = _rejected(check_exact_gap(process, reverse, x0, elbo=elbo_with_posterior_variance_missing_denominator), "gap identity")
    assert _margin(result) > 1e6


@pytest.mark.parametrize("target, wrong", [
    ("eps", epsilon_weight_missing_alpha),
    ("score", epsilon_weight_used_for("eps")),
    ("v", epsilon_weight_used_for("x0")),
], ids=["ε weight missing α_t", "score with the ε weight", "v with the x₀ weight"])
def test_weight_identity_rejects_a_wrong_weight(target, wrong):
    process, reverse, x0 = _setting(reverse="far")
    assert check_weight_identity(process, reverse, x0, target, generator=_generator()).passed
    result = _rejected(check_weight_identity(process, reverse, x0, target, generator=_generator(), weight=wrong), "weight identity")
    assert _margin(result) > 1e3


def test_snr_weights_reject_an_off_by_one_form_and_a_beta_variance_reverse():
    process, reverse, _ = _setting(reverse="DDPM")
    assert check_snr_weights(process, reverse).passed
    _rejected(check_snr_weights(process, reverse, snr_form=snr_weight_off_by_one), "SNR weight")
    _rejected(check_snr_weights(process, _setting(reverse="beta")[1]), "SNR weight")  # the SNR forms assume σ² = β̃


def test_the_literal_luo_form_differs_by_the_stated_amount():
    """A cross-check of the negative control itself: the literal form overstates the consistency
    term by a_{t+1} √α_{t+1} β_t / σ_{t+1}² per dimension (diffusion_elbo.py)."""
    process, reverse, x0 = _setting(reverse="far")
    s = process.schedule
    overstatement = sum((reverse.step(t + 1)[0] * s.alpha[t + 1].sqrt() * s.beta[t] / reverse.step(t + 1)[2]).sum()
                        for t in range(1, process.num_steps))
    torch.testing.assert_close(elbo_joint(process, reverse, x0) - luo_literal_consistency(process, reverse, x0),
                               overstatement.expand(3), rtol=1e-9, atol=1e-9)
    assert math.isfinite(float(overstatement)) and float(overstatement) > 0.01
