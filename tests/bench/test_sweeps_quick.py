"""The sweeps in quick mode: they run, write their figures, reproduce bit for bit, and show the
published shapes. Random statements are z-tests at a stated α on fixed seeds."""

import hashlib
import math

import pytest
import torch

from elbo_suite.bench import run_sweeps
from elbo_suite.bench import dimension_sweep, iwae_sweep
from elbo_suite.bench.report import markdown_section, timings_section
from elbo_suite.estimators.gradients import (
    LinearGaussianTarget,
    MeanLogStd,
    iwae_dreg,
    iwae_reparameterised,
    pathwise,
    score_function,
)
from elbo_suite.estimators.gradients.statistics import two_sided_normal_quantile, variance_with_standard_error
from elbo_suite.numbers import is_exact_zero

ALPHA = 1e-3


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return (run_sweeps(True, first), first), (run_sweeps(True, second), second)


def test_quick_sweeps_write_figures_and_agree_with_exact(quick_runs):
    (results, out_dir), _ = quick_runs
    assert results.figures and all((out_dir / f.name).stat().st_size > 10_000 for f in results.figures)
    assert results.variance_rows and all(row.agrees for row in results.variance_rows)
    assert all(claim.holds for claim in results.claims), [c for c in results.claims if not c.holds]
    section = markdown_section(results, "figs")
    for f in results.figures:
        assert f"(figs/{f.name})\n\n*{f.caption}*" in section and f.caption.startswith("What to look at")
    assert "µs / sample" in timings_section(results) and "µs" not in section
    assert set(results.to_dict()) >= {"variance_rows", "tables", "claims", "figures", "timings"}


def test_quick_sweeps_are_bit_for_bit_reproducible(quick_runs):
    (a, dir_a), (b, dir_b) = quick_runs
    assert markdown_section(a, "x") == markdown_section(b, "x")
    strip = lambda d: {k: v for k, v in d.items() if k not in ("timings", "elapsed_seconds")}  # noqa: E731
    assert strip(a.to_dict()) == strip(b.to_dict())
    for f in a.figures:
        digest = lambda d: hashlib.sha256((d / f.name).read_bytes()).hexdigest()  # noqa: E731
        assert digest(dir_a) == digest(dir_b), f.name


def test_zero_variance_at_the_posterior_is_reported_as_exact(quick_runs):
    """At δ = 0 (q = p(z|x)) sticking the landing and the score functions with a baseline return
    one gradient for every draw: their variance is EXACT_ZERO, not 1e-31 of rounding, and the
    SNR is 0/0; pathwise keeps its variance."""
    (results, _), _ = quick_runs
    table = results.tables["distance"]
    at = {name: i for i, name in enumerate(table.columns)}
    at_posterior = {row[at["estimator"]]: row for row in table.rows if row[at["δ"]] == 0.0}
    for name in ("sticking the landing", "score function + optimal baseline", "score function + moving average",
                 "score function RLOO (K=4)"):
        row = at_posterior[name]
        assert is_exact_zero(row[at["var ∂mean"]]) and is_exact_zero(row[at["var ∂log_std"]]), name
        assert row[at["SNR ∂mean"]] == "—"
    assert at_posterior["pathwise"][at["var ∂mean"]] > 1.0
    assert not is_exact_zero(at_posterior["pathwise"][at["var ∂mean"]])
    assert "0 (exact)" in markdown_section(results, "figs")


def test_a_sampled_variance_that_should_be_zero_but_is_not_shows_its_value():
    from elbo_suite.bench.exact_zero import sampled_variance

    assert is_exact_zero(sampled_variance(6e-32, True))
    assert sampled_variance(1e-6, True) == 1e-6 and not is_exact_zero(sampled_variance(1e-6, True))
    assert sampled_variance(6e-32, False) == 6e-32


def test_score_function_variance_grows_with_dimension_pathwise_does_not():
    # Variance of ∂/∂mean_0 at k = 1 and k = 16 from 20 000 draws each; z-tests on the difference
    # of the two variance estimates with their own standard errors, α = 1e-3 each. The pathwise
    # half is the control: the same test finds no change where the exact variance is constant.
    z_crit = two_sided_normal_quantile(2 * ALPHA)
    estimates = {}
    for dim in (1, 16):
        target = dimension_sweep.target(dim)
        q = MeanLogStd.from_parts(torch.zeros(dim), torch.full((dim,), dimension_sweep.LOG_STD))
        eps = torch.randn(20_000, dim, generator=torch.Generator().manual_seed(dim))
        for name, samples in (("score", score_function(target.log_joint, q, eps)), ("path", pathwise(target.log_joint, q, eps))):
            variance, se = variance_with_standard_error(samples[:, :1])
            estimates[(name, dim)] = (variance.item(), se.item())
    (v1, s1), (v16, s16) = estimates[("score", 1)], estimates[("score", 16)]
    assert (v16 - v1) / math.hypot(s1, s16) > z_crit  # grows
    (p1, t1), (p16, t16) = estimates[("path", 1)], estimates[("path", 16)]
    assert abs(p16 - p1) / math.hypot(t1, t16) < two_sided_normal_quantile(ALPHA)  # no detectable change


def _snr_with_standard_error(samples):
    # Delta method for |mean| / std, skewness term dropped: Var ≈ (1 + SNR² (kurtosis − 1) / 4) / n.
    n = samples.shape[0]
    mean, std = samples.mean().item(), samples.std().item()
    centred = samples - samples.mean()
    kurtosis = (centred.pow(4).mean() / centred.square().mean() ** 2).item()
    snr = abs(mean) / std
    return snr, math.sqrt((1.0 + snr**2 * (kurtosis - 1.0) / 4.0) / n)


def test_iwae_snr_falls_with_K_and_dreg_snr_rises():
    # SNR of ∂/∂mean at K = 2 vs K = 32, 20 000 groups each; one-sided z-tests at α = 1e-3.
    target = LinearGaussianTarget(
        dimension_sweep.target(1).model, torch.tensor([iwae_sweep.X])
    )
    q = MeanLogStd(torch.tensor([iwae_sweep.M, iwae_sweep.LOG_STD]))
    z_crit = two_sided_normal_quantile(2 * ALPHA)
    snr = {}
    for K in (2, 32):
        eps = torch.randn(20_000, K, 1, generator=torch.Generator().manual_seed(100 + K))
        snr[("standard", K)] = _snr_with_standard_error(iwae_reparameterised(target.log_joint, q, eps)[:, 0])
        snr[("dreg", K)] = _snr_with_standard_error(iwae_dreg(target.log_joint, q, eps)[:, 0])
    (a, sa), (b, sb) = snr[("standard", 2)], snr[("standard", 32)]
    assert (a - b) / math.hypot(sa, sb) > z_crit
    (c, sc), (d, sd) = snr[("dreg", 2)], snr[("dreg", 32)]
    assert (d - c) / math.hypot(sc, sd) > z_crit


def test_run_sweeps_rejects_a_non_bool_quick(tmp_path):
    with pytest.raises(TypeError, match="quick: expected a bool"):
        run_sweeps("yes", tmp_path)


def test_results_serialise_as_standard_json(quick_runs):
    import json

    (results, _), _ = quick_runs
    text = json.dumps(results.to_dict(), allow_nan=False, ensure_ascii=False)
    assert '"∞"' in text  # sticking the landing's constant nonzero ∂mean away from the posterior
