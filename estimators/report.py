"""The Monte Carlo check table in Markdown, byte-for-byte deterministic for the same results."""

from __future__ import annotations

from collections.abc import Sequence

from elbo_suite.estimators.stats import CheckResult

_HEADER = (
    "| claim | tested | model | data point | estimate ± SE | exact | verdict | α | n |\n"
    "|---|---|---|---|---|---|---|---|---|\n"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(result: CheckResult) -> str:
    verdict = "pass" if result.passed else "**FAIL**"
    alpha = "exact" if result.alpha == 0 else f"{result.alpha:.2g}"
    cells = [
        result.claim,
        result.subject,
        result.model,
        "—" if result.data_point is None else f"x_{result.data_point}",
        f"{result.estimate:.6g} ± {result.stderr:.2g}",
        f"{result.exact:.6g}",
        verdict,
        alpha,
        str(result.n),
    ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |\n"


def markdown_section(results: Sequence[CheckResult]) -> str:
    """A table with one row per check, in the given order, and a one-line summary. Each row shows
    the data point of the batch that came closest to failing (the one the check reports)."""
    failed = sum(not result.passed for result in results)
    summary = f"{len(results) - failed} of {len(results)} checks pass"
    summary += "." if not failed else f"; {failed} FAIL."
    return _HEADER + "".join(_row(result) for result in results) + "\n" + summary + "\n"
