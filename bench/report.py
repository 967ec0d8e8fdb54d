"""The gradient estimators' section of REPORT.md, and its timings kept apart.

Sweeps are stored long (one row per setting and estimator, as `--json` gives them) and shown
pivoted: one small table per quantity, estimators down, the swept parameter across, each sampled
value with its exact value in brackets. Only the timing section holds timing-dependent numbers.
"""

from __future__ import annotations

from elbo_suite.bench.results import BenchResults, Table, VarianceRow
from elbo_suite.markdown import figure, table
from elbo_suite.numbers import is_exact_zero, number, with_error
from elbo_suite.section import Finding, ReportContext, Section

_COORDINATES_NOTE = "Coordinates are (mean, log_std); at σ = 1 the log_std derivative equals the σ derivative."


def gradient_estimators_section(context: ReportContext) -> Section:
    from elbo_suite.bench import run_sweeps

    context.figures_dir.mkdir(parents=True, exist_ok=True)
    results = run_sweeps(quick=context.quick, out_dir=context.figures_dir, progress=context.progress)
    return section(results, context.image_prefix)


def section(results: BenchResults, image_prefix: str) -> Section:
    rows, claims = results.variance_rows, results.claims
    agreeing, holding = sum(r.agrees for r in rows), sum(c.holds for c in claims)
    status = (f"{agreeing} of {len(rows)} sampled variances agree with the exact ones; "
              f"{holding} of {len(claims)} published shapes reproduced")
    findings = [Finding(f"❌ sampled variance disagrees with the exact one: {r.setting}, {r.estimator}, "
                        f"∂{r.coordinate}: {with_error(r.empirical, r.standard_error)} vs {number(r.exact)}",
                        problem=True) for r in rows if not r.agrees]
    findings += [Finding(f"{'✅' if c.holds else '❌ **does not hold**:'} {c.statement}: {c.evidence}",
                         problem=not c.holds) for c in claims]
    return Section(title="Gradient estimators", status=status, body=markdown_section(results, image_prefix),
                   findings=findings, timings=timings_section(results))


def markdown_section(results: BenchResults, image_prefix: str) -> str:
    """Variance table, published shapes, sweeps and figures, each with its caption."""
    parts = [
        "### Exact vs empirical gradient variances\n",
        _variance_table(results.variance_rows, results.variance_alpha),
        "### Published shapes\n",
        table(["claim", "evidence", "holds"], [[c.statement, c.evidence, c.holds] for c in results.claims],
              "What to look at: the holds column; each row's evidence is exact where it says so and "
              "sampled otherwise."),
        "### Sweeps\n",
    ]
    for sweep in results.tables.values():
        parts += pivoted(sweep)
    parts.append("### Figures\n")
    parts += [figure(f"{image_prefix}/{f.name}", f.name.removesuffix(".png"), f.caption) for f in results.figures]
    return "\n".join(parts)


def _variance_table(rows: list[VarianceRow], alpha: float) -> str:
    draws = sorted({r.draws for r in rows})
    intro = (f"{_COORDINATES_NOTE} Each cell: the unbiased sample variance of N = "
             f"{', '.join(map(str, draws))} per-sample gradients ± its standard error (from the sample "
             "fourth central moment), then the exact variance. A row agrees when every "
             "|empirical − exact| ≤ z·SE, z the two-sided normal quantile at "
             f"α = {number(alpha)} / {len(rows)} (Bonferroni over the cells).\n")
    grid: dict[tuple[str, str], dict[str, VarianceRow]] = {}
    for r in rows:
        grid.setdefault((r.setting, r.estimator), {})[r.coordinate] = r
    coordinates = list(dict.fromkeys(r.coordinate for r in rows))
    body = [[setting, estimator, *[_against_exact(cells[c]) for c in coordinates],
             all(cell_row.agrees for cell_row in cells.values())]
            for (setting, estimator), cells in grid.items()]
    agreeing = sum(r.agrees for r in rows)
    return intro + "\n" + table(
        ["setting", "estimator", *[f"var ∂{c}: sampled vs exact" for c in coordinates], "agrees"], body,
        f"What to look at: the agrees column ({agreeing} of {len(rows)} cells agree); the exact "
        "variances are closed forms, independent of the estimator code.")


def _against_exact(r: VarianceRow) -> str:
    if is_exact_zero(r.exact) and is_exact_zero(r.empirical):
        return number(r.exact)  # "0 (exact)": a constant gradient, both ways
    return f"{with_error(r.empirical, r.standard_error)} vs {number(r.exact)}"


def pivoted(sweep: Table) -> list[str]:
    """One table per value column: `keys` down, `across` across, exact values in brackets."""
    if not sweep.across:
        return [f"**{sweep.title}**\n", table(sweep.columns, sweep.rows)]
    at = {name: i for i, name in enumerate(sweep.columns)}
    across = list(dict.fromkeys(row[at[sweep.across]] for row in sweep.rows))
    grid: dict[tuple, dict[object, list]] = {}
    for row in sweep.rows:
        grid.setdefault(tuple(row[at[k]] for k in sweep.keys), {})[row[at[sweep.across]]] = row
    hidden = {sweep.across, *sweep.keys, *sweep.exact.values(), *sweep.omitted}
    parts = []
    for value in [c for c in sweep.columns if c not in hidden]:
        exact = sweep.exact.get(value)
        rows = [[*key, *[_value_cell(cells[a], at[value], at.get(exact)) if a in cells else "—" for a in across]]
                for key, cells in grid.items()]
        bracket = " (exact in brackets)" if exact else ""
        parts += [f"**{sweep.title}: {value}**{bracket}\n",
                  table([*sweep.keys, *[_across_header(sweep.across, a) for a in across]], rows,
                        sweep.captions.get(value, ""))]
    return parts


def _across_header(name: str, value: object) -> str:
    return value if isinstance(value, str) else f"{name} = {number(value)}"  # "k=1" names itself


def _value_cell(row: list, value_at: int, exact_at: int | None) -> str:
    value = row[value_at]
    if exact_at is None or row[exact_at] == "—":
        return number(value)
    exact = row[exact_at]
    if is_exact_zero(value) and is_exact_zero(exact):
        return number(value)
    return f"{number(value)} ({number(exact)})"


def timings_section(results: BenchResults) -> str:
    """Seconds per gradient sample and variance × seconds: the only timing-dependent numbers."""
    elapsed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.elapsed_seconds.items())
    parts = [f"Sweep wall time ({'quick' if results.quick else 'full'}): {elapsed}.\n"]
    for sweep, title in (("dimension", "ELBO gradient sample against latent dimension (variance: var ∂mean)"),
                         ("iwae", "IWAE gradient, per sample of K draws (variance: var ∂mean)")):
        timings = [t for t in results.timings if t.sweep == sweep]
        if not timings:
            continue
        long = Table(title, ["setting", "estimator", "µs / sample", "variance × µs"],
                     [[t.setting, t.estimator, t.seconds_per_sample * 1e6, t.work_normalised_variance * 1e6]
                      for t in timings], across="setting", keys=["estimator"],
                     captions={"µs / sample": "What to look at: the cost of one gradient sample on this "
                               "machine (run to run these move by tens of percent).",
                               "variance × µs": "What to look at: the lowest value in each column is the "
                               "estimator that buys the most precision per second on this machine."})
        parts += pivoted(long)
    return "\n".join(parts)

