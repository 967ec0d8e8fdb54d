"""The diffusion ELBO estimators and training losses: samplers held against their laws written out by
enumeration, per-draw losses against scipy.stats densities and the textbook KL in numpy, weights against the per-draw KL, and
exact moments against Monte Carlo.

Seeds are fixed per test. Expected false-failure rate: the Monte Carlo tests below run 12 two-sided
z-tests at α = 1e-6 each (≤ 1.2e-5 in all) and 4 variance comparisons at α = 1e-6; the rest is exact.
"""

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from elbo_suite.estimators.diffusion import (
    AntitheticTimestep,
    EveryTimestep,
    ImportanceTimestep,
    LossSecondMomentSampler,
    StratifiedTimestep,
    UniformTimestep,
    elbo_weight,
    joint_elbo,
    prediction_error_moments,
    prediction_loss,
    prior_matching,
    sampled_elbo,
    second_moment_probabilities,
    simple_loss,
    simple_loss_as_reweighted_bound,
    snr_weight,
    vlb_term_samples,
    weighted_vlb_term_samples,
)
from elbo_suite.estimators.diffusion.timestep_samplers import strata
from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    closed_form_elbo,
    cosine_schedule,
    linear_schedule,
    vlb_terms,
)
from elbo_suite.estimators.models.diffusion_targets import TARGETS

Z = stats.norm.isf(1e-6 / 2)


def _case(T=7, reverse="far", seed=0, schedule=None):
    generator = torch.Generator().manual_seed(seed)
    process = GaussianDiffusion.random(schedule or cosine_schedule(T), 2, generator)
    truth = LinearGaussianReverse.true_reverse(process)
    reverses = {
        "true": truth,
        "DDPM": LinearGaussianReverse.ddpm(process),
        "beta": LinearGaussianReverse.ddpm(process, "beta"),
        "far": truth.perturbed(process, 0.3, generator),
    }
    return process, reverses[reverse], process.sample_data(3, generator)


# ---- timestep samplers: their law, enumerated --------------------------------------------------------
def _law(sampler, T):
    """(probability, timesteps, weights) for every outcome, written from each scheme's definition."""
    if isinstance(sampler, EveryTimestep):
        return [(1.0, tuple(range(1, T + 1)), (1.0,) * T)]
    if isinstance(sampler, UniformTimestep):
        return [(1.0 / T, (t,), (float(T),)) for t in range(1, T + 1)]
    if isinstance(sampler, ImportanceTimestep):
        p = sampler.probabilities.tolist()
        return [(p[t - 1], (t,), (1.0 / p[t - 1],)) for t in range(1, T + 1)]
    if isinstance(sampler, AntitheticTimestep):
        return [(1.0 / T, (t, T + 1 - t), (T / 2, T / 2)) for t in range(1, T + 1)]
    parts = strata(T, sampler.num_strata)
    return [
        (math.prod(1.0 / len(part) for part in parts), choice, tuple(float(len(part)) for part in parts))
        for choice in itertools.product(*parts)
    ]


def _samplers(T):
    p = torch.linspace(1.0, 3.0, T, dtype=torch.float64)
    return [EveryTimestep(T), UniformTimestep(T), ImportanceTimestep(p / p.sum()), StratifiedTimestep(T, min(3, T)),
            StratifiedTimestep(T, 1), AntitheticTimestep(T)]


@pytest.mark.parametrize("T", [1, 5, 8])
def test_every_sampler_is_unbiased_for_a_sum_and_its_exact_variance_is_its_law(T):
    rng = np.random.default_rng(T)
    mean = torch.from_numpy(rng.normal(size=(2, T)))
    variance = torch.from_numpy(rng.uniform(0.1, 2.0, size=(2, T)))
    for sampler in _samplers(T):
        law = _law(sampler, T)
        assert sum(prob for prob, _, _ in law) == pytest.approx(1.0)
        first = sum(prob * sum(w * mean[:, t - 1] for t, w in zip(ts, ws)) for prob, ts, ws in law)
        torch.testing.assert_close(first, mean.sum(-1), rtol=1e-12, atol=1e-12)  # unbiased
        second = sum(
            prob * (sum(w * mean[:, t - 1] for t, w in zip(ts, ws)).square() + sum(w * w * variance[:, t - 1] for t, w in zip(ts, ws)))
            for prob, ts, ws in law
        )
        torch.testing.assert_close(sampler.exact_variance(mean, variance), second - mean.sum(-1).square(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("T", [5, 10])
def test_drawn_timesteps_follow_the_law(T):
    generator = torch.Generator().manual_seed(T)
    for sampler in _samplers(T):
        law = _law(sampler, T)
        t, w = sampler.draw((8_000,), generator)
        assert t.shape == w.shape == (8_000, sampler.draws_per_estimate) and t.dtype == torch.long
        outcomes = {(ts, ws): prob for prob, ts, ws in law}
        drawn = [(tuple(a), tuple(b)) for a, b in zip(t.tolist(), w.tolist())]
        assert set(drawn) <= set(outcomes), "a draw outside the sampler's law"
        if len(outcomes) > 1:
            observed = np.array([sum(1 for x in drawn if x == key) for key in outcomes])
            expected = np.array(list(outcomes.values())) * len(drawn)
            assert stats.chisquare(observed, expected).pvalue > 1e-6


def test_stratified_weights_are_the_stratum_sizes_when_k_does_not_divide_t():
    assert [len(p) for p in strata(10, 4)] == [3, 3, 2, 2]
    _, w = StratifiedTimestep(10, 4).draw((2,), torch.Generator().manual_seed(0))
    assert w[0].tolist() == [3.0, 3.0, 2.0, 2.0]


def test_loss_second_moment_sampler_is_uniform_until_warm_then_follows_its_history():
    sampler = LossSecondMomentSampler(3, history=2, uniform_probability=0.1)
    torch.testing.assert_close(sampler.probabilities(), torch.full((3,), 1 / 3, dtype=torch.float64))
    assert isinstance(sampler.sampler(), UniformTimestep)
    sampler.update(torch.tensor([1, 1, 1, 2, 2, 3]), torch.tensor([9.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
    assert not sampler.warmed_up  # t = 3 has one loss of two
    sampler.update(torch.tensor([3]), torch.tensor([-5.0]))
    rms = np.sqrt([(2.0**2 + 1.0**2) / 2, (9 + 16) / 2, 25.0])  # t = 1 keeps its last two losses: 1 and 2
    expected = 0.9 * rms / rms.sum() + 0.1 / 3
    np.testing.assert_allclose(sampler.probabilities().numpy(), expected, rtol=1e-12)
    assert sampler.sampler().name == "loss-aware importance t"


def test_second_moment_probabilities_minimise_the_importance_variance():
    process, reverse, x0 = _case()
    terms = vlb_terms(process, reverse, x0)
    best = second_moment_probabilities(terms.mean, terms.variance)
    best_variance = ImportanceTimestep(best).exact_variance(terms.mean, terms.variance).mean()
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):  # any other p with the same support does worse on the batch average
        other = best * torch.exp(0.3 * torch.randn(best.shape, generator=generator, dtype=torch.float64))
        assert ImportanceTimestep(other / other.sum()).exact_variance(terms.mean, terms.variance).mean() >= best_variance


# ---- per-draw losses -----------------------------------------------------------------------------
def test_vlb_term_is_the_decoder_nll_at_t1_and_the_analytic_kl_after():
    process, reverse, x0 = _case()
    generator = torch.Generator().manual_seed(2)
    eps = torch.randn(4, 3, 2, generator=generator, dtype=torch.float64)
    for step in (1, 2, process.num_steps):
        t = torch.full((4, 3), step)
        values = vlb_term_samples(process, reverse, x0, t, eps)
        alpha_bar = process.schedule.alpha_bar[step].item()
        x_t = math.sqrt(alpha_bar) * x0.numpy() + math.sqrt(1 - alpha_bar) * eps.numpy()
        a, c, sigma = (getattr(reverse, n)[step - 1].numpy() for n in ("slope", "offset", "std"))
        if step == 1:
            expected = -stats.norm.logpdf(x0.numpy(), a * x_t + c, sigma).sum(-1)
        else:
            mean, variance = process.posterior(x0, torch.from_numpy(x_t), step)
            m, v = mean.numpy(), variance.item()
            mp, vp = a * x_t + c, sigma**2  # the textbook KL of two normals, in numpy
            expected = (0.5 * (np.log(vp / v) + (v + (m - mp) ** 2) / vp - 1)).sum(-1)
        np.testing.assert_allclose(values.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reverse_name", ["DDPM", "far"])
def test_per_step_loss_moments_match_monte_carlo(reverse_name):
    process, reverse, x0 = _case(reverse=reverse_name)
    terms = vlb_terms(process, reverse, x0)
    n = 100_000
    generator = torch.Generator().manual_seed(3)
    for step in (1, 2, process.num_steps):
        t = torch.full((n, 3), step)
        values = vlb_term_samples(process, reverse, x0, t, torch.randn(n, 3, 2, generator=generator, dtype=torch.float64))
        stderr = values.std(0) / math.sqrt(n)
        z = (values.mean(0) - terms.mean[:, step - 1]) / stderr
        assert bool((z.abs() < Z).all()), f"t={step}: z = {z.tolist()}"
        ratio = values.var(0) / terms.variance[:, step - 1]
        assert bool(((ratio - 1).abs() < 0.06).all()), f"t={step}: variance ratio {ratio.tolist()}"


@pytest.mark.parametrize("reverse_name", ["DDPM", "beta", "far"])
@pytest.mark.parametrize("target", TARGETS)
def test_weighted_prediction_loss_is_the_kl_per_draw(reverse_name, target):
    process, reverse, x0 = _case(T=12, reverse=reverse_name)
    generator = torch.Generator().manual_seed(4)
    t = torch.randint(1, 13, (256, 3), generator=generator)
    eps = torch.randn(256, 3, 2, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(weighted_vlb_term_samples(process, reverse, x0, t, eps, target),
                               vlb_term_samples(process, reverse, x0, t, eps), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_elbo_weights_are_the_snr_forms_when_the_variance_is_the_posterior_variance(target):
    process, reverse, _ = _case(T=30, reverse="DDPM")
    t = torch.arange(2, 31)
    torch.testing.assert_close(elbo_weight(process, reverse, t, target), snr_weight(process.schedule, t, target).unsqueeze(-1).expand(-1, 2),
                               rtol=1e-10, atol=0)
    beta_reverse = _case(T=30, reverse="beta")[1]
    assert not torch.allclose(elbo_weight(process, beta_reverse, t, target), snr_weight(process.schedule, t, target).unsqueeze(-1), rtol=1e-3)


def test_ddpm_epsilon_weight_is_beta_squared_over_two_sigma_squared_alpha_one_minus_alpha_bar():
    """Ho et al. (2020), eq. 12: the ε weight is β_t² / (2σ_t² α_t (1 − ᾱ_t)), written from the paper."""
    process, reverse, _ = _case(T=20, reverse="beta")
    t = torch.arange(2, 21)
    s = process.schedule
    expected = s.beta[t] ** 2 / (2 * reverse.std[t - 1, 0] ** 2 * s.alpha[t] * s.one_minus_alpha_bar[t])
    torch.testing.assert_close(elbo_weight(process, reverse, t, "eps")[:, 0], expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("target", TARGETS)
def test_prediction_error_moments_match_monte_carlo(target):
    process, reverse, x0 = _case(reverse="far")
    mean, variance = prediction_error_moments(process, reverse, x0, target)
    n = 100_000
    generator = torch.Generator().manual_seed(5)
    for step in (1, 4, process.num_steps):
        values = prediction_loss(process, reverse, x0, torch.full((n, 3), step),
                                 torch.randn(n, 3, 2, generator=generator, dtype=torch.float64), target)
        z = (values.mean(0) - mean[:, step - 1]) / (values.std(0) / math.sqrt(n))
        assert bool((z.abs() < Z).all()), f"{target} t={step}: z = {z.tolist()}"
        assert bool(((values.var(0) / variance[:, step - 1] - 1).abs() < 0.06).all())


def test_simple_loss_is_a_reweighted_bound():
    process, reverse, x0 = _case(reverse="far")
    mean, _ = prediction_error_moments(process, reverse, x0, "eps")
    torch.testing.assert_close(simple_loss_as_reweighted_bound(process, reverse, x0), mean.mean(-1), rtol=1e-12, atol=1e-12)
    values = simple_loss(process, reverse, x0, generator=torch.Generator().manual_seed(6), num_samples=2**15)
    z = (values.mean(0) - mean.mean(-1)) / (values.std(0) / math.sqrt(values.shape[0]))
    assert bool((z.abs() < Z).all())
    # and it is not −ELBO, nor proportional to it across reverses
    assert not torch.allclose(mean.mean(-1), -closed_form_elbo(process, reverse, x0), rtol=0.1)


# ---- estimators -----------------------------------------------------------------------------------
def test_joint_estimator_at_the_true_reverse_is_log_p_on_every_draw():
    for schedule in (linear_schedule(1000), cosine_schedule(10)):
        process, reverse, x0 = _case(reverse="true", schedule=schedule)
        values = joint_elbo(process, reverse, x0, generator=torch.Generator().manual_seed(7), num_samples=64)
        log_p = reverse.log_marginal(x0)
        assert float((values - log_p).abs().max()) < 1e-10
        assert float(values.std(0).max()) < 1e-10


@pytest.mark.parametrize("reverse_name", ["DDPM", "far"])
def test_every_sampled_estimator_is_unbiased_and_has_its_exact_variance(reverse_name):
    process, reverse, x0 = _case(T=10, reverse=reverse_name)
    exact = closed_form_elbo(process, reverse, x0)
    terms = vlb_terms(process, reverse, x0)
    generator = torch.Generator().manual_seed(8)
    for sampler in (UniformTimestep(10), StratifiedTimestep(10, 4), AntitheticTimestep(10),
                    ImportanceTimestep(second_moment_probabilities(terms.mean, terms.variance, 1e-3))):
        values = sampled_elbo(process, reverse, x0, sampler=sampler, generator=generator, num_samples=2**15)
        assert values.shape == (2**15, 3)
        z = (values.mean(0) - exact) / (values.std(0) / math.sqrt(values.shape[0]))
        assert bool((z.abs() < Z).all()), f"{sampler.name}: z = {z.tolist()}"
        ratio = values.var(0) / sampler.exact_variance(terms.mean, terms.variance)
        assert bool(((ratio - 1).abs() < 0.1).all()), f"{sampler.name}: variance ratio {ratio.tolist()}"


def test_prior_matching_is_the_kl_of_q_xT_given_x0_to_the_prior():
    process, reverse, x0 = _case(reverse="DDPM")
    torch.testing.assert_close(prior_matching(process, reverse, x0), vlb_terms(process, reverse, x0).prior_matching)


def test_the_full_sum_is_chunked_without_changing_its_law(monkeypatch):
    import elbo_suite.estimators.diffusion.elbo_estimators as module

    process, reverse, x0 = _case(T=10, reverse="far")
    monkeypatch.setattr(module, "CHUNK_ELEMENTS", 610)  # 10 samples of 10 steps · 3 · 2 per chunk
    values = sampled_elbo(process, reverse, x0, sampler=EveryTimestep(10), generator=torch.Generator().manual_seed(9),
                          num_samples=1000)  # the last chunk is short
    z = (values.mean(0) - closed_form_elbo(process, reverse, x0)) / (values.std(0) / math.sqrt(1000))
    assert values.shape == (1000, 3) and bool((z.abs() < Z).all())


@pytest.mark.parametrize("call, message", [
    (lambda p, r, x, g: sampled_elbo(p, r, x, sampler=UniformTimestep(5), generator=g, num_samples=4),
     r"sampler: expected one for T = 7 steps, got T = 5"),
    (lambda p, r, x, g: joint_elbo(p, r, x, generator=g, num_samples=0), r"num_samples: expected a positive int, got 0"),
    (lambda p, r, x, g: joint_elbo(p, r, x, generator=0, num_samples=4), r"generator: expected a torch.Generator, got int"),
    (lambda p, r, x, g: simple_loss(p, r, x, generator=g, num_samples=4, target="noise"), r"target: expected one of eps, x0, v, score, got 'noise'"),
    (lambda p, r, x, g: vlb_term_samples(p, r, x, torch.ones(4, 3, dtype=torch.long), torch.zeros(4, 3, 5, dtype=torch.float64)),
     r"eps: expected shape \(\.\.\., B, d\) = \(4, 3, 2\)"),
    (lambda p, r, x, g: ImportanceTimestep(torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)),
     r"probabilities: expected positive values summing to 1 \(every t must be reachable\)"),
    (lambda p, r, x, g: StratifiedTimestep(3, 4), r"num_strata: expected at most T = 3 strata, got 4"),
    (lambda p, r, x, g: snr_weight(p.schedule, torch.tensor([1, 2]), "eps"), r"t: expected t ≥ 2"),
])
def test_bad_input_is_one_clear_error(call, message):
    process, reverse, x0 = _case()
    with pytest.raises((ValueError, TypeError), match=message):
        call(process, reverse, x0, torch.Generator().manual_seed(0))
