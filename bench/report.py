"""Markdown for the report: deterministic tables and figures, and the timings apart."""

from __future__ import annotations

from elbo_suite.bench.results import BenchResults, Table

_ESTIMATOR_ORDER_NOTE = (
    "Coordinates are (mean, log_std); at σ = 1 the log_std derivative equals the σ derivative."
)


def _number(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value == 0.0:
        return "0"
    return f"{value:.4g}"


def _table(columns: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_number(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _sweep(table: Table) -> str:
    return f"**{table.title}**\n\n" + _table(table.columns, table.rows)


def markdown_section(results: BenchResults, image_prefix: str) -> str:
    """Variance table, sweep tables, claims and figure links; no timing-dependent number."""
    rows = results.variance_rows
    agreeing = sum(row.agrees for row in rows)
    parts = [
        "### Exact vs empirical gradient variances\n",
        f"{_ESTIMATOR_ORDER_NOTE} Empirical: unbiased sample variance of N per-sample gradients; "
        "SE: its standard error from the sample fourth central moment; agrees: |empirical − exact| "
        f"≤ z·SE with z the two-sided normal quantile at α = {results.variance_alpha:g} / "
        f"{len(rows)} rows (Bonferroni). **{agreeing} of {len(rows)} rows agree.**\n",
        _table(
            ["setting", "estimator", "coordinate", "N", "empirical", "SE", "exact", "agrees"],
            [
                [r.setting, r.estimator, r.coordinate, r.draws, r.empirical, r.standard_error, r.exact, r.agrees]
                for r in rows
            ],
        ),
        "### Published shapes\n",
        _table(
            ["claim", "evidence", "holds"],
            [[c.statement, c.evidence, c.holds] for c in results.claims],
        ),
        "### Sweeps\n",
        "Work-normalised variance: variance × log-joint evaluations per gradient sample "
        "(variance × seconds is in the timings).\n",
    ]
    parts += [_sweep(table) for table in results.tables.values()]
    parts.append("### Figures\n")
    parts += [f"![{name.removesuffix('.png')}]({image_prefix}/{name})\n" for name in results.figures]
    return "\n".join(parts)


def timings_section(results: BenchResults) -> str:
    """Seconds per gradient sample and variance × seconds: the only timing-dependent numbers."""
    by_estimator: dict[str, list] = {}
    for timing in results.timings:
        if timing.sweep == "dimension":
            by_estimator.setdefault(timing.estimator, []).append(timing)
    rows = [
        [name, t.setting, t.seconds_per_sample * 1e6, t.work_normalised_variance * 1e6]
        for name, timings in by_estimator.items()
        for t in timings
    ]
    iwae_rows = [
        [t.estimator, t.setting, t.seconds_per_sample * 1e6, t.work_normalised_variance * 1e6]
        for t in results.timings
        if t.sweep == "iwae"
    ]
    elapsed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.elapsed_seconds.items())
    return "\n".join([
        f"Sweep wall time ({'quick' if results.quick else 'full'}): {elapsed}.\n",
        "**Seconds per ELBO gradient sample against latent dimension** (µs; variance × µs uses var ∂mean)\n",
        _table(["estimator", "setting", "µs / sample", "variance × µs"], rows),
        "**IWAE gradient, per sample of K draws** (µs)\n",
        _table(["estimator", "setting", "µs / sample", "variance × µs"], iwae_rows),
    ])
