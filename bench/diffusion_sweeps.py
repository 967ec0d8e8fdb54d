"""Diffusion benchmarks: how noisy the ELBO estimators are against T and the schedule, and how noisy
the reparameterised gradients of the ε- and x₀-prediction losses are.

    run_diffusion_sweeps(quick, out_dir, progress) -> DiffusionBenchResults

1. VLB estimator variance. A DDPM reverse (optimal mean, σ_t² = β̃_t, p(x_T) = N(0, I)) on Gaussian
   data, under improved-diffusion's linear schedule and the cosine schedule at several T. For each
   timestep sampler the variance of one estimate is exact (timestep_samplers.exact_variance), and so
   is the cost of one estimate in per-step terms; an estimate that costs K terms is compared with K
   independent single-term estimates by variance × cost. Empirical variances of n estimates are held
   against the exact ones with the exact standard error of a sample variance (from the exact fourth
   moment, estimate_moments.py), z-test at α = 1e-3 over the sweep's rows (Bonferroni).
2. Gradient variance. A linear denoiser away from the optimum, as an ε-net or as an x₀-net (the same
   reverse model); per-draw gradients of the unweighted losses with respect to each net's own
   parameters, and of the ELBO-weighted losses. Exact per-t variances (gradient_variance.py) with
   empirical ones beside them (the same test, the standard error from the sample's fourth moment:
   these gradients are light-tailed), and the relative variance of the uniform-t training gradient.

Everything is float64 with fixed seeds; nothing printed depends on timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from scipy import stats
from torch import Tensor

from elbo_suite.bench.plots import new_figure, save
from elbo_suite.bench.results import Claim, Figure, Table, VarianceRow
from elbo_suite.estimators.diffusion import (
    AntitheticTimestep,
    EveryTimestep,
    ImportanceTimestep,
    StratifiedTimestep,
    UniformTimestep,
    elbo_weight,
    sampled_elbo,
    second_moment_probabilities,
)
from elbo_suite.estimators.diffusion.checks import one_thread
from elbo_suite.estimators.diffusion.estimate_moments import (
    estimate_central_moments,
    variance_standard_error,
    vlb_term_cumulants,
)
from elbo_suite.estimators.diffusion.gradient_variance import (
    denoiser_from_reverse,
    gradient_moments,
    per_draw_gradients,
    uniform_t_relative_variance,
)
from elbo_suite.estimators.diffusion.loss_aware_sampler import warmed_up_sampler
from elbo_suite.estimators.gradients.statistics import variance_with_standard_error
from elbo_suite.estimators.models import GaussianDiffusion, LinearGaussianReverse, make_schedule, vlb_terms

Progress = Callable[[str, int, int], None]

SCHEDULE_NAMES = ("improved_linear", "cosine")
DATA_DIM, BATCH, SEED = 2, 4, 2024
NUM_STRATA = 4
AGREEMENT_ALPHA = 1e-3  # family-wise, over every empirical-vs-exact row
GRADIENT_DISTANCE = 0.3  # the denoiser's reverse sits this far from the true reverse


@dataclass(frozen=True)
class DiffusionSettings:
    steps: tuple[int, ...]  # T values of the VLB variance sweep
    empirical_steps: tuple[int, ...]  # T values where empirical variances are measured
    estimates: int  # n single-term estimates per empirical row (the full sum gets fewer: see _draws)
    gradient_steps: tuple[int, ...]  # T of the gradient sweep's relative-variance table
    gradient_timesteps: tuple[int, ...]  # t rows of the per-t gradient table, at T = max(gradient_steps)
    gradient_draws: int


FULL = DiffusionSettings(
    steps=(25, 50, 100, 250, 500, 1000), empirical_steps=(25, 1000), estimates=2**16,
    gradient_steps=(100, 1000), gradient_timesteps=(1, 2, 10, 100, 500, 900, 1000), gradient_draws=2**16,
)
QUICK = DiffusionSettings(
    steps=(25, 100, 1000), empirical_steps=(25,), estimates=2**13,
    gradient_steps=(100,), gradient_timesteps=(1, 10, 50, 100), gradient_draws=2**13,
)


@dataclass
class DiffusionBenchResults:
    quick: bool
    tables: dict[str, Table] = field(default_factory=dict)
    variance_rows: list[VarianceRow] = field(default_factory=list)
    variance_alpha: float = AGREEMENT_ALPHA
    claims: list[Claim] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)  # PNGs inside out_dir, with captions
    elapsed_seconds: dict[str, float] = field(default_factory=dict)  # wall time per sweep (timings only)

    def to_dict(self) -> dict:
        return {
            "quick": self.quick,
            "tables": {name: asdict(table) for name, table in self.tables.items()},
            "variance_alpha": self.variance_alpha,
            "variance_rows": [asdict(row) for row in self.variance_rows],
            "claims": [asdict(claim) for claim in self.claims],
            "figures": [asdict(figure) for figure in self.figures],
            "elapsed_seconds": dict(self.elapsed_seconds),
        }


def _setting(schedule_name: str, T: int) -> tuple[GaussianDiffusion, LinearGaussianReverse, Tensor]:
    """The same data law and data points for every T (one seed per schedule)."""
    generator = torch.Generator().manual_seed(SEED)
    process = GaussianDiffusion.random(make_schedule(schedule_name, T), DATA_DIM, generator)
    x0 = process.sample_data(BATCH, generator)
    return process, LinearGaussianReverse.ddpm(process), x0



def _samplers(process, reverse, x0) -> dict[str, tuple[object, int]]:
    """name -> (sampler, per-step terms one estimate costs)."""
    T = process.num_steps
    terms = vlb_terms(process, reverse, x0)
    return {
        "every t": (EveryTimestep(T), T),
        "uniform t": (UniformTimestep(T), 1),
        "importance t (√E[ℓ²], exact)": (ImportanceTimestep(second_moment_probabilities(terms.mean, terms.variance)), 1),
        "loss-aware importance t": (warmed_up_sampler(process, reverse, x0, torch.Generator().manual_seed(SEED + T)), 1),
        f"stratified t (K={NUM_STRATA})": (StratifiedTimestep(T, NUM_STRATA), NUM_STRATA),
        "antithetic t": (AntitheticTimestep(T), 2),
    }


def _draws(estimates: int, cost: int) -> int:
    """Estimates for an empirical row: `estimates`, fewer for the full sum so that each row draws at
    most estimates · 64 per-step terms per data point."""
    return max(2**10, min(estimates, estimates * 64 // cost))


def vlb_variance_sweep(settings: DiffusionSettings, out_dir: Path, progress: Progress | None):
    names = list(_samplers(*_setting("cosine", 25)).keys())
    long_rows, empirical = [], []
    curves: dict[str, dict[str, list[tuple[int, float]]]] = {s: {n: [] for n in names} for s in SCHEDULE_NAMES}
    total = len(SCHEDULE_NAMES) * len(settings.steps)
    for index, (schedule_name, T) in enumerate((s, T) for s in SCHEDULE_NAMES for T in settings.steps):
        if progress:
            progress(f"VLB variance: {schedule_name} T={T}", index, total)
        process, reverse, x0 = _setting(schedule_name, T)
        cumulants = vlb_term_cumulants(process, reverse, x0)
        for name, (sampler, cost) in _samplers(process, reverse, x0).items():
            variance, fourth = estimate_central_moments(sampler, cumulants)  # (B,)
            mean_variance = float(variance.mean())
            long_rows.append([schedule_name, name, T, mean_variance, mean_variance * cost])
            curves[schedule_name][name].append((T, mean_variance))
            if T in settings.empirical_steps:
                n = _draws(settings.estimates, cost)
                values = sampled_elbo(process, reverse, x0[:1], sampler=sampler, num_samples=n,
                                      generator=torch.Generator().manual_seed(SEED + 7 * T + len(empirical)))
                empirical.append((f"{schedule_name} T={T}, x_0", name, n, float(values[:, 0].var()),
                                  float(variance_standard_error(variance[:1], fourth[:1], n)[0]), float(variance[0])))
    z = stats.norm.isf(AGREEMENT_ALPHA / (2 * max(1, len(empirical))))
    rows = [VarianceRow(setting, name, "ELBO estimate", n, value, se, exact, bool(abs(value - exact) <= z * se))
            for setting, name, n, value, se, exact in empirical]
    table = Table(
        "ELBO estimators, DDPM reverse (exact; mean over 4 data points)",
        ["schedule", "sampler", "T", "variance of one estimate", "variance × per-step terms per estimate"],
        long_rows, across="T", keys=["schedule", "sampler"],
        captions={
            "variance of one estimate": "What to look at: down each column, the full sum (T terms) and the "
            "importance samplers (one term) are the quiet ones; uniform t, which training uses, grows with T.",
            "variance × per-step terms per estimate": "What to look at: at equal work (a K-term estimate against "
            "K single-term ones) stratified and antithetic t buy almost nothing over uniform t here; "
            "importance sampling of t and the full sum do.",
        },
    )
    claims = _vlb_claims(long_rows)
    return {"vlb": table}, rows, claims, _plot_vlb(curves, out_dir)


def _vlb_claims(rows: list[list[object]]) -> list[Claim]:
    variance = {(schedule, sampler, T): value for schedule, sampler, T, value, _ in rows}
    claims = []
    for schedule_name in SCHEDULE_NAMES:
        steps = sorted({T for schedule, _, T in variance if schedule == schedule_name})
        uniform = [variance[(schedule_name, "uniform t", T)] for T in steps]
        claims.append(Claim(f"{schedule_name}: the uniform-t estimate T·ℓ_t gets noisier as T grows",
                            f"exact variance {uniform[0]:.3g} at T = {steps[0]} → {uniform[-1]:.3g} at T = {steps[-1]}",
                            all(b > a for a, b in zip(uniform, uniform[1:]))))
        best = [variance[(schedule_name, "importance t (√E[ℓ²], exact)", T)] for T in steps]
        aware = [variance[(schedule_name, "loss-aware importance t", T)] for T in steps]
        claims.append(Claim(f"{schedule_name}: p_t ∝ √E[ℓ_t²] is the lowest-variance single-t sampler, and the "
                            "loss-aware history comes close to it",
                            f"at T = {steps[-1]}: uniform / optimal = {uniform[-1] / best[-1]:.3g}, loss-aware / "
                            f"optimal = {aware[-1] / best[-1]:.3g} (exact)",
                            all(b <= min(u, a) * (1 + 1e-12) for b, u, a in zip(best, uniform, aware))))
    return claims


def _plot_vlb(curves, out_dir: Path) -> Figure:
    figure, axes = new_figure(1, len(SCHEDULE_NAMES), 10.0, 3.8)
    for axis, schedule_name in zip(axes[0], SCHEDULE_NAMES):
        for name, points in curves[schedule_name].items():
            steps, values = zip(*points)
            axis.loglog(steps, values, marker="o", label=name)
        axis.set_title(f"{schedule_name} schedule, DDPM reverse")
        axis.set_xlabel("T (steps)")
        axis.set_ylabel("variance of one ELBO estimate")
    axes[0][0].legend(fontsize=7)
    name = save(figure, out_dir, "diffusion_vlb_variance.png")
    return Figure(name, "Exact variance of one ELBO estimate against T, per timestep sampler. What to look at: "
                  "uniform, stratified and antithetic t grow with T; the importance samplers stay flat and the "
                  "full sum (which costs T terms) falls.")


def gradient_sweep(settings: DiffusionSettings, out_dir: Path, progress: Progress | None):
    per_t_rows, relative_rows, empirical, claims = [], [], [], []
    curves = {}
    largest = max(settings.gradient_steps)
    total = len(SCHEDULE_NAMES) * len(settings.gradient_steps)
    for index, (schedule_name, T) in enumerate((s, T) for s in SCHEDULE_NAMES for T in settings.gradient_steps):
        if progress:
            progress(f"gradient variance: {schedule_name} T={T}", index, total)
        generator = torch.Generator().manual_seed(SEED + T)
        process = GaussianDiffusion.random(make_schedule(schedule_name, T), DATA_DIM, torch.Generator().manual_seed(SEED))
        reverse = LinearGaussianReverse.true_reverse(process).perturbed(process, GRADIENT_DISTANCE, generator)
        nets = {target: denoiser_from_reverse(process, reverse, target) for target in ("eps", "x0")}
        steps = torch.arange(1, T + 1)
        weights = {target: elbo_weight(process, reverse, steps, target) for target in ("eps", "x0")}
        moments = {
            "ε loss, unweighted": gradient_moments(process, nets["eps"]),
            "x₀ loss, unweighted": gradient_moments(process, nets["x0"]),
            "ELBO, ε-net": gradient_moments(process, nets["eps"], weights["eps"]),
            "ELBO, x₀-net": gradient_moments(process, nets["x0"], weights["x0"]),
        }
        relative_rows += [[schedule_name, name, T, uniform_t_relative_variance(m) / T] for name, m in moments.items()]
        if T != largest:
            continue
        variance_eps = moments["ε loss, unweighted"].variance.sum((-2, -1))  # (T,) tr Var per step
        variance_x0 = moments["x₀ loss, unweighted"].variance.sum((-2, -1))
        curves[schedule_name] = (variance_eps, variance_x0)
        snr = process.schedule.snr[steps]
        ratio_holds = bool(torch.allclose(variance_eps / variance_x0, snr, rtol=1e-9))
        claims.append(Claim(f"{schedule_name} T={T}: per draw the ε-net's gradient is −√SNR_t times the x₀-net's",
                            "so tr Var(ε) / tr Var(x₀) = SNR_t at every t (exact, all t)", ratio_holds))
        for t in settings.gradient_timesteps:
            per_t_rows.append([schedule_name, t, float(snr[t - 1]), float(variance_eps[t - 1]), float(variance_x0[t - 1])])
            for target, label in (("eps", "ε loss, unweighted"), ("x0", "x₀ loss, unweighted")):
                draws = settings.gradient_draws
                x0 = process.sample_data(draws, generator)
                eps = torch.randn(draws, DATA_DIM, generator=generator, dtype=torch.float64)
                gradients = per_draw_gradients(process, nets[target], torch.full((draws,), t), x0, eps)  # (n, d, 2)
                coordinate_gradients = gradients[:, 0, 1:]  # ∂B in dimension 0: one coordinate per row, (n, 1)
                value, se = (float(v[0]) for v in variance_with_standard_error(coordinate_gradients))
                exact = float(moments[label].variance[t - 1, 0, 1])
                empirical.append((f"{schedule_name} T={T}, t={t}", label, "∂B_t[0]", draws, value, se, exact))
    z = stats.norm.isf(AGREEMENT_ALPHA / (2 * max(1, len(empirical))))
    rows = [VarianceRow(setting, name, coordinate, n, value, se, exact, bool(abs(value - exact) <= z * se))
            for setting, name, coordinate, n, value, se, exact in empirical]
    tables = {
        "gradient_per_t": Table(f"Per-draw gradient at step t, T = {largest} (exact)",
                                ["schedule", "t", "SNR_t", "tr Var, ε-net and ε loss", "tr Var, x₀-net and x₀ loss"],
                                per_t_rows, across="t", keys=["schedule"],
                                captions={"tr Var, x₀-net and x₀ loss": "What to look at: each cell is the ε "
                                          "table's divided by SNR_t (the first table), exactly."}),
        "gradient_uniform_t": Table("Uniform-t training gradient: tr Cov / ‖E g‖² ÷ T (exact)",
                                    ["schedule", "loss", "T", "relative variance"], relative_rows, across="T",
                                    keys=["schedule", "loss"],
                                    captions={"relative variance": "What to look at: how much noisier than its "
                                              "mean each training loss's gradient is when one t is drawn; the "
                                              "weighting over t, not the prediction target, decides it."}),
    }
    return tables, rows, claims, _plot_gradients(curves, out_dir)


def _plot_gradients(curves, out_dir: Path) -> Figure:
    figure, axes = new_figure(1, len(curves), 10.0, 3.8)
    for axis, (schedule_name, (variance_eps, variance_x0)) in zip(axes[0], curves.items()):
        steps = range(1, variance_eps.shape[0] + 1)
        axis.semilogy(steps, variance_eps.tolist(), label="ε-net, ε loss")
        axis.semilogy(steps, variance_x0.tolist(), label="x₀-net, x₀ loss")
        axis.set_title(f"{schedule_name} schedule, T = {variance_eps.shape[0]}")
        axis.set_xlabel("t")
        axis.set_ylabel("tr Var of the per-draw gradient")
    axes[0][0].legend(fontsize=7)
    name = save(figure, out_dir, "diffusion_gradient_variance.png")
    return Figure(name, "Exact trace of the per-draw gradient covariance at each t, for one imperfect reverse model "
                  "written as an ε-net and as an x₀-net (the jagged lines are its per-step perturbation). What "
                  "to look at: the x₀ loss is quiet at small t and loud at large t, the ε loss the reverse; "
                  "their ratio is SNR_t exactly.")


def run_diffusion_sweeps(quick: bool, out_dir: Path, progress: Progress | None = None) -> DiffusionBenchResults:
    """Both sweeps; PNGs into out_dir. Everything but `elapsed_seconds` is a function of `quick`."""
    if not isinstance(quick, bool):
        raise TypeError(f"quick: expected a bool, got {type(quick).__name__}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = QUICK if quick else FULL
    results = DiffusionBenchResults(quick=quick)
    with one_thread(), torch.random.fork_rng(devices=[]):
        for name, sweep in (("diffusion ELBO estimators", vlb_variance_sweep), ("diffusion gradients", gradient_sweep)):
            start = time.perf_counter()
            tables, rows, claims, figure = sweep(settings, out_dir, progress)
            results.tables.update(tables)
            results.variance_rows += rows
            results.claims += claims
            results.figures.append(figure)
            results.elapsed_seconds[name] = time.perf_counter() - start
    return results


__all__ = ["DiffusionBenchResults", "run_diffusion_sweeps"]
