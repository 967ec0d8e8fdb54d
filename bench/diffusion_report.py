"""The diffusion section of REPORT.md: the diffusion checks, then the diffusion benchmarks.

The checks show as one row per (diffusion, reverse model) and one column per claim, each cell
counting its checks and giving the largest z (statistical) or "exact"; a second table gives each
t-sampled estimator's unbiasedness z per model. The benchmarks reuse the gradient section's pivoted
tables. Everything printed is exact or rounded where rounding noise cannot reach; only the timing
lines vary from run to run.
"""

from __future__ import annotations

from collections.abc import Sequence

from elbo_suite.bench.diffusion_sweeps import DiffusionBenchResults, run_diffusion_sweeps
from elbo_suite.bench.report import pivoted
from elbo_suite.estimators.diffusion.checks import DECOMPOSITIONS_AGREE, SNR_WEIGHT, WEIGHT_IDENTITY
from elbo_suite.estimators.stats import BOUND, GAP_IDENTITY, TIGHTNESS, UNBIASED, CheckResult
from elbo_suite.markdown import cell, figure, table
from elbo_suite.numbers import fixed, number, with_error
from elbo_suite.section import Finding, ReportContext, Section

TITLE = "Diffusion models"

CLAIMS = {
    TIGHTNESS: "at the true reverse with p(x_T) = q(x_T), every single-draw joint log-ratio "
    "log p_θ(x_{0:T}) − log q(x_{1:T}|x₀) and every closed form of the ELBO equals log p_θ(x₀) (exact)",
    DECOMPOSITIONS_AGREE: "the joint, prior-matching/consistency and reconstruction − prior matching − "
    "Σ denoising-matching closed forms agree (exact)",
    GAP_IDENTITY: "log p_θ(x₀) − ELBO = KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)), the KL from the chains' "
    "tridiagonal precisions: exactly for the closed form, by a two-sided z-test for the joint estimator",
    BOUND: "E[joint ELBO estimate] ≤ log p_θ(x₀), one-sided z-test",
    UNBIASED: "E[estimate] = the closed-form ELBO for every t-sampled estimator (and, for the simple ε "
    "loss, its reweighted bound), two-sided z-test",
    WEIGHT_IDENTITY: "per draw, ℓ_t = C_t + Σ_d w_t (target − prediction)² with the exact ELBO weight, for "
    "ε, x₀, v and score targets (exact)",
    SNR_WEIGHT: "with σ_t² = β̃_t the ELBO weights are ½(SNR_{t−1} − SNR_t) for x₀ and its ε, v, score "
    "conversions (exact)",
}


def diffusion_section(context: ReportContext) -> Section:
    from elbo_suite.estimators.diffusion.case_set import QUICK_PROCESSES
    from elbo_suite.estimators.diffusion.checks import run_diffusion_checks

    processes = {"processes": QUICK_PROCESSES} if context.quick else {}
    checks = run_diffusion_checks(progress=_stage(context, "checks"), **processes)
    context.figures_dir.mkdir(parents=True, exist_ok=True)
    sweeps = run_diffusion_sweeps(quick=context.quick, out_dir=context.figures_dir, progress=_stage(context, "sweeps"))
    return section(checks, sweeps, context.image_prefix)


def _stage(context: ReportContext, stage: str):
    def update(description: str, done: int, total: int) -> None:
        context.step(f"{stage}: {description}", done, total)

    return update


def section(checks: Sequence[CheckResult], sweeps: DiffusionBenchResults, image_prefix: str) -> Section:
    failed = [r for r in checks if not r.passed]
    rows = sweeps.variance_rows
    agreeing = sum(r.agrees for r in rows)
    status = (f"{len(checks) - len(failed)} of {len(checks)} claims hold; {agreeing} of {len(rows)} sampled "
              "variances agree with the exact ones")
    findings = [Finding(f"❌ {r.message}", problem=True) for r in failed]
    findings += [Finding(f"❌ sampled variance disagrees with the exact one: {r.setting}, {r.estimator}: "
                         f"{with_error(r.empirical, r.standard_error)} vs {number(r.exact)}", problem=True)
                 for r in rows if not r.agrees]
    findings += [Finding(f"❌ **does not hold**: {c.statement}: {c.evidence}", problem=True)
                 for c in sweeps.claims if not c.holds]
    tight = [r for r in checks if r.claim == TIGHTNESS]
    if tight and all(r.passed for r in tight):
        findings.append(Finding(
            f"✅ At the true reverse the ELBO is tight: the closed forms equal log p_θ(x₀) to 1e-10 and every "
            "single-draw joint log-ratio equals it to rounding (zero variance), on each of the "
            f"{len(tight) // 2} diffusion{'s' if len(tight) > 2 else ''} checked."))
    best = [c for c in sweeps.claims if "lowest-variance" in c.statement and c.holds]
    findings += [Finding(f"✅ {c.statement}: {c.evidence}.") for c in best[-1:]]
    body = "\n".join([_checks_markdown(checks), _sweeps_markdown(sweeps, image_prefix)])
    return Section(title=TITLE, status=status, body=body, findings=findings, timings=timings_section(sweeps))


# ---- checks ---------------------------------------------------------------------------------------
def _z(r: CheckResult) -> float:
    return (r.estimate - r.exact) / r.stderr


def _claim_cell(results: list[CheckResult]) -> str:
    if not results:
        return "—"
    failed = [r for r in results if not r.passed]
    mark = "✅" if not failed else f"❌ **{len(failed)} FAIL**"
    parts = [f"{mark} {len(results) - len(failed)} of {len(results)}"]
    statistical = [r for r in results if r.alpha > 0]
    if statistical:
        one_sided = statistical[0].claim == BOUND
        extreme = max(statistical, key=lambda r: _z(r) if one_sided else abs(_z(r)))
        z = _z(extreme)
        parts.append(f"{'largest z' if one_sided else 'largest |z|'} {fixed(z if one_sided else abs(z), 1)}")
    if len(statistical) < len(results):
        parts.append("exact" if not statistical else f"{len(results) - len(statistical)} exact")
    return ", ".join(parts)


def _rows(checks: Sequence[CheckResult]) -> dict[str, list[CheckResult]]:
    """Checks by model; the tightness checks (which name the diffusion only) join its true reverse."""
    rows: dict[str, list[CheckResult]] = {}
    for r in checks:
        model = r.model if r.claim != TIGHTNESS else f"{r.model}, true reverse"
        rows.setdefault(model, []).append(r)
    return rows


def _checks_markdown(checks: Sequence[CheckResult]) -> str:
    if not checks:
        return "No checks ran.\n"
    statistical = [r for r in checks if r.alpha > 0]
    alphas = sorted({r.alpha for r in statistical})
    level = (f"each at α = {number(alphas[0], 2)}, so that the family-wise false-alarm rate over all "
             f"{len(checks)} checks is at most {number(alphas[0] * len(checks), 2)} (Bonferroni)"
             if len(alphas) == 1 else "each at its own α")
    claims = list(dict.fromkeys(r.claim for r in checks))
    legend = [
        "### Checks\n",
        "Data x₀ ~ N(μ, diag s²); forward q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t I); a linear-Gaussian reverse "
        "p_θ(x_{t−1}|x_t) = N(a_t x_t + c_t, σ_t²) whose log p_θ(x₀) is exact. Reverses: the true reverse "
        "q(x_{t−1}|x_t) with p(x_T) = q(x_T); DDPM (the optimal mean, σ_t² = β̃_t, p(x_T) = N(0, I)); far (the "
        "true reverse moved by 0.3 of each step's scale). Every claim is tested on each data point of the "
        f"batch separately; statistical checks are {level}, with critical values near 6. The claims:\n",
        "\n".join(f"- **{claim}**: {CLAIMS.get(claim, claim)}" for claim in claims) + "\n",
    ]
    rows = _rows(checks)
    grid = [[model, *[_claim_cell([r for r in results if r.claim == claim]) for claim in claims]]
            for model, results in rows.items()]
    failed = sum(not r.passed for r in checks)
    overview = table(["model", *claims], grid,
                     f"What to look at: the marks ({'all ' + str(len(checks)) + ' hold' if not failed else str(failed) + ' FAIL'}); "
                     "z = (mean − exact)/SE of the data point closest to failing, far below the critical value "
                     "everywhere but the bound, whose negative z is how clearly the ELBO sits below log p_θ(x₀).")
    return "\n".join([*legend, overview, _unbiasedness_table(checks)])


def _unbiasedness_table(checks: Sequence[CheckResult]) -> str:
    unbiased = [r for r in checks if r.claim == UNBIASED]
    models = list(dict.fromkeys(r.model for r in unbiased))
    subjects = list(dict.fromkeys(r.subject for r in unbiased))
    by_key = {(r.subject, r.model): r for r in unbiased}

    def entry(r: CheckResult | None) -> str:
        if r is None:
            return "—"
        return f"{'✅' if r.passed else '❌ **FAIL**'} {fixed(_z(r), 1)}"

    grid = [[subject, *[entry(by_key.get((subject, model))) for model in models]] for subject in subjects]
    return "**Unbiasedness of each estimator: z per model**\n\n" + table(
        ["estimator", *[cell(m) for m in models]], grid,
        "What to look at: every z is a few units at most; a biased estimator (the negative controls in "
        "tests/diffusion: uniform t without its factor T, stratified weights T/K when K ∤ T, β̃_t without its "
        "/(1 − ᾱ_t), β_t for β̃_t) is rejected by many standard errors.")


# ---- benchmarks -------------------------------------------------------------------------------------
def _sweeps_markdown(results: DiffusionBenchResults, image_prefix: str) -> str:
    rows = results.variance_rows
    agreeing = sum(r.agrees for r in rows)
    parts = [
        "### ELBO estimators and training gradients\n",
        "Exact variances from the closed forms (timestep_samplers.py, estimate_moments.py, "
        "gradient_variance.py); sampled ones beside them, each ± its standard error: for ELBO estimates "
        "from the exact fourth moment (one rare timestep can dominate their spread), for gradient "
        "coordinates from the sample's. A row agrees when |sampled − exact| ≤ z·SE, z the two-sided normal "
        f"quantile at α = {number(results.variance_alpha)} over each sweep's rows (Bonferroni).\n",
        table(["setting", "estimator", "quantity", "N", "sampled", "exact", "agrees"],
              [[r.setting, r.estimator, r.coordinate, r.draws, with_error(r.empirical, r.standard_error),
                number(r.exact), r.agrees] for r in rows],
              f"What to look at: the agrees column ({agreeing} of {len(rows)} rows agree)."),
        table(["claim", "evidence", "holds"], [[c.statement, c.evidence, c.holds] for c in results.claims],
              "What to look at: the holds column; the evidence is exact."),
    ]
    for sweep in results.tables.values():
        parts += pivoted(sweep)
    parts += [figure(f"{image_prefix}/{f.name}", f.name.removesuffix(".png"), f.caption) for f in results.figures]
    return "\n".join(parts)


def markdown_section(results: DiffusionBenchResults, image_prefix: str) -> str:
    """The benchmarks alone (what `elbo-suite bench` prints)."""
    return _sweeps_markdown(results, image_prefix)


def timings_section(results: DiffusionBenchResults) -> str:
    elapsed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.elapsed_seconds.items())
    return f"Diffusion sweep wall time ({'quick' if results.quick else 'full'}): {elapsed}.\n"
