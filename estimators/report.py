"""The Monte Carlo checks' section of REPORT.md: one row per model, one column per claim.

Checks that share a model and run the same claims in the same order form one table; what is the
same down a column (the estimator tested, α, n) is said once in its header, so each cell holds only
its own verdict, data point and numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from elbo_suite.estimators.stats import (
    BOUND,
    GAP_IDENTITY,
    IWAE_CONVERGENCE,
    IWAE_ORDERING,
    TIGHTNESS,
    UNBIASED,
    CheckResult,
)
from elbo_suite.markdown import caption, cell
from elbo_suite.numbers import EXACT_ZERO, number, with_error
from elbo_suite.section import Finding, ReportContext, Section

QUICK_SHAPES = ((1, 1, 0.8),)  # the smallest model of the default set

# What each claim asserts and how it is tested, for the legend.
CLAIMS = {
    TIGHTNESS: "at q = p(z|x) every single-sample value equals log p(x) to rounding (exact, no α)",
    BOUND: "E[ELBO estimate] ≤ log p(x), one-sided z-test",
    GAP_IDENTITY: "E[ELBO estimate] + KL(q‖p(z|x)) = log p(x), two-sided z-test",
    UNBIASED: "E[estimate] = the closed-form value it estimates, two-sided z-test",
    IWAE_ORDERING: "ELBO ≤ IWAE_4 ≤ IWAE_16 ≤ log p(x) on paired draws, one-sided per link; the weakest link is shown",
    IWAE_CONVERGENCE: "IWAE_16 − ELBO > 0 shown on paired draws (a detection: α is the chance of passing no improvement)",
}


def monte_carlo_section(context: ReportContext) -> Section:
    from elbo_suite.estimators.checks import run_default_checks

    shapes = {"shapes": QUICK_SHAPES} if context.quick else {}
    return section(run_default_checks(progress=context.progress, **shapes))


def section(results: Sequence[CheckResult]) -> Section:
    failed = [r for r in results if not r.passed]
    status = f"{len(results) - len(failed)} of {len(results)} claims hold" + (f"; {len(failed)} FAIL" if failed else "")
    return Section(title="Monte Carlo checks", status=status, body=markdown_section(results),
                   findings=[Finding(f"❌ {r.message}", problem=True) for r in failed])


def markdown_section(results: Sequence[CheckResult]) -> str:
    """The legend, then one table per group of models that run the same claims."""
    if not results:
        return "No checks ran.\n"
    statistical = [r for r in results if r.alpha > 0]
    uniform_alpha = len({r.alpha for r in statistical}) <= 1  # then the legend states it once
    parts = [_legend(results, statistical)]
    for group in _tables(results):
        parts.append(_table(group, uniform_alpha))
    return "\n".join(parts)


def _legend(results: Sequence[CheckResult], statistical: Sequence[CheckResult]) -> str:
    alphas = sorted({r.alpha for r in statistical})
    level = (f"each at α = {number(alphas[0], 2)}, so that the family-wise false-alarm rate over all "
             f"{len(results)} checks is at most {number(alphas[0] * len(results), 2)} (Bonferroni)"
             if len(alphas) == 1 else "each at the α in its column")
    lines = [
        f"Every claim is tested on each data point of its model's batch separately (the level split "
        f"over the points); a cell shows the point that came closest to failing (the first where "
        f"points tie within rounding), its estimate ± standard error and the exact value. "
        f"Statistical checks are {level}; n is the number of samples (or groups of draws) per data "
        "point. The claims:",
        "",
    ]
    claims = list(dict.fromkeys(r.claim for r in results))
    lines += [f"- **{claim}**: {CLAIMS[claim]}" for claim in claims if claim in CLAIMS]
    return "\n".join(lines) + "\n"


def _tables(results: Sequence[CheckResult]) -> list[list[list[CheckResult]]]:
    """Rows (one per model, its checks in order) grouped into tables of the same claims."""
    rows: dict[str, list[CheckResult]] = {}
    for r in results:
        rows.setdefault(r.model, []).append(r)
    tables: dict[tuple[str, ...], list[list[CheckResult]]] = {}
    for row in rows.values():
        tables.setdefault(tuple(r.claim for r in row), []).append(row)
    return list(tables.values())


def _table(rows: list[list[CheckResult]], uniform_alpha: bool) -> str:
    columns = list(zip(*rows))  # one tuple of results per column
    shared = [_shared(column) for column in columns]
    header = ["model"] + [_header(column[0], same, uniform_alpha) for column, same in zip(columns, shared)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [cell(row[0].model)] + [_cell(r, same) for r, same in zip(row, shared)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + caption(_caption(rows))


def _shared(column: Sequence[CheckResult]) -> set[str]:
    return {name for name in ("subject", "alpha", "n") if len({getattr(r, name) for r in column}) == 1}


def _header(first: CheckResult, shared: set[str], uniform_alpha: bool) -> str:
    parts = [f"**{first.claim}**"]
    if "subject" in shared:
        parts.append(first.subject)
    if "n" in shared:
        parts.append(f"n = {first.n}")
    if "alpha" in shared and first.alpha > 0 and not uniform_alpha:
        parts.append(f"α = {number(first.alpha, 2)}")
    return cell(" · ".join(parts))


def _cell(r: CheckResult, shared: set[str]) -> str:
    mark = "✅" if r.passed else "❌ **FAIL**"
    own = [r.subject] if "subject" not in shared else []
    own += [f"n = {r.n}"] if "n" not in shared else []
    own += [f"α = {number(r.alpha, 2)}"] if "alpha" not in shared and r.alpha > 0 else []
    point = f"x_{r.data_point}" if r.data_point is not None else "all points"
    if r.alpha == 0 and r.passed:  # an exact check that holds: the values are log p(x) itself
        numbers = f"{with_error(r.exact, EXACT_ZERO)}, tolerance {number(r.detectable_error, 2)}"
    else:
        numbers = f"{with_error(r.estimate, r.stderr)} vs {number(r.exact, 6)}"
    return cell(" ".join([mark, *own, f"{point}:", numbers]))


def _caption(rows: list[list[CheckResult]]) -> str:
    results = [r for row in rows for r in row]
    failed = [r for r in results if not r.passed]
    verdict = (f"all {len(results)} hold" if not failed
               else f"{len(failed)} of {len(results)} FAIL (marked ❌)")
    return (f"What to look at: the marks ({verdict}); in a ✅ cell the estimate sits within the "
            "critical number of standard errors of the exact value on the side the claim allows.")
