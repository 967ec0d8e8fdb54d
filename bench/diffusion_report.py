"""Markdown for the diffusion benchmarks: deterministic tables, claims and figures; timings apart."""

from __future__ import annotations

from elbo_suite.bench.diffusion_sweeps import DiffusionBenchResults


def _number(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return "0" if value == 0.0 else f"{value:.4g}"


def _table(columns: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_number(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


CAPTIONS = {
    "vlb_variance": "Exact variance of one ELBO estimate under each timestep sampler, DDPM reverse (optimal mean, "
    "σ_t² = β̃_t, p(x_T) = N(0, I)) on 2-D Gaussian data; the data law and points are the same at every T.",
    "vlb_work": "The same variances times the per-step terms one estimate costs (T for the full sum, K for K strata, "
    "2 for antithetic pairs), i.e. compared at equal work with averaging single-t estimates.",
    "gradient_per_t": "Trace of the covariance of the per-draw gradient with respect to each net's own (A_t, B_t), "
    "for the same reverse model written as an ε-net and as an x₀-net, unweighted losses.",
    "gradient_uniform_t": "Relative variance tr Cov / ‖E g‖² of the training gradient over all steps' parameters when "
    "one t ~ U{1 … T} is drawn (its block scaled by T), divided by T; ELBO = the loss weighted by its exact ELBO weight.",
}


def markdown_section(results: DiffusionBenchResults, image_prefix: str) -> str:
    rows = results.variance_rows
    agreeing = sum(row.agrees for row in rows)
    parts = [
        "### Diffusion ELBO estimators and training gradients\n",
        "Empirical variances beside exact ones: for ELBO estimates the standard error of the sample variance "
        "comes from the exact fourth moment, for gradient coordinates from the sample's; agrees: |empirical − "
        f"exact| ≤ z·SE with z the two-sided normal quantile at α = {results.variance_alpha:g} over each sweep's "
        f"rows (Bonferroni). **{agreeing} of {len(rows)} rows agree.**\n",
        _table(["setting", "estimator", "coordinate", "N", "empirical", "SE", "exact", "agrees"],
               [[r.setting, r.estimator, r.coordinate, r.draws, r.empirical, r.standard_error, r.exact, r.agrees] for r in rows]),
        _table(["claim", "evidence", "holds"], [[c.statement, c.evidence, c.holds] for c in results.claims]),
    ]
    for name, table in results.tables.items():
        parts.append(f"**{table.title}**\n\n" + _table(table.columns, table.rows) + f"\n*{CAPTIONS.get(name, '')}*\n")
    parts += [f"![{name.removesuffix('.png')}]({image_prefix}/{name})\n" for name in results.figures]
    return "\n".join(parts)


def timings_section(results: DiffusionBenchResults) -> str:
    elapsed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.elapsed_seconds.items())
    return f"Diffusion sweep wall time ({'quick' if results.quick else 'full'}): {elapsed}.\n"
