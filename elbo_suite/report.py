"""REPORT.md: generated from the code, never edited by hand.

The report is deterministic except for the section between TIMINGS_START and TIMINGS_END, so
`report --check` regenerates it and compares everything outside that section byte for byte.
Figures are written into a folder beside the report.
"""

from __future__ import annotations

import difflib
import platform
import tempfile
from pathlib import Path

from .console import ProgressCallback
from .errors import UsageError

FIGURES_DIRNAME = "report-figures"
TIMINGS_START = "<!-- timings:start -->"
TIMINGS_END = "<!-- timings:end -->"

HEADER = """\
# elbo-suite report

Generated from the code by `elbo-suite report`; do not edit by hand. To regenerate it from a
fresh clone, run the main job from README.md:

```sh
python -m pip install -c constraints.txt -e . && elbo-suite report
```

`elbo-suite report --check` exits 1 when this file is not what the code produces now (the
timing section at the end is ignored, since timings vary from run to run). Every random number
comes from a fixed seed.

Contents: 1. [Derivation](#1-derivation) · 2. [Monte Carlo checks](#2-monte-carlo-checks) ·
3. [Gradient estimators](#3-gradient-estimators) · 4. [Timings](#4-timings)
"""


def _stage(progress: ProgressCallback | None, description: str, completed: int, total: int = 3) -> None:
    if progress is not None:
        progress(description, completed, total)


def _nested(progress: ProgressCallback | None, stage: str, completed: int) -> ProgressCallback | None:
    """Report a pillar's own steps as `stage: step (i/n)` within the report's stage."""
    if progress is None:
        return None

    def update(description: str, done: int, total: int) -> None:
        progress(f"{stage}: {description} ({done}/{total})", completed, 3)

    return update


def build_report(figures_dir: Path, progress: ProgressCallback | None = None) -> str:
    """Run every pillar and return the report text; figures are written into `figures_dir`."""
    from elbo_suite.identities import embedded_derivation_path, verify_document
    from elbo_suite.identities.report import markdown_section as derivation_section

    _stage(progress, "verifying the derivation", 0)
    # Named by its place in the repository, so the report does not depend on where it was cloned.
    derivation_path = embedded_derivation_path()
    derivation = verify_document(
        derivation_path.read_text(encoding="utf-8"),
        source=f"{derivation_path.parent.parent.name}/{derivation_path.parent.name}/{derivation_path.name}",
    )

    from elbo_suite.estimators.checks import run_default_checks
    from elbo_suite.estimators.report import markdown_section as checks_section

    _stage(progress, "Monte Carlo checks", 1)
    checks = run_default_checks(progress=_nested(progress, "Monte Carlo checks", 1))

    from elbo_suite.bench import run_sweeps
    from elbo_suite.bench.report import markdown_section as bench_section
    from elbo_suite.bench.report import timings_section

    _stage(progress, "gradient-estimator sweeps", 2)
    figures_dir.mkdir(parents=True, exist_ok=True)
    sweeps = run_sweeps(quick=False, out_dir=figures_dir, progress=_nested(progress, "sweeps", 2))
    _stage(progress, "writing", 3)

    parts = [
        HEADER,
        "## 1. Derivation\n",
        derivation_section(derivation, heading="###"),
        "## 2. Monte Carlo checks\n",
        checks_section(checks),
        "## 3. Gradient estimators\n",
        bench_section(sweeps, image_prefix=FIGURES_DIRNAME),
        "## 4. Timings\n",
        TIMINGS_START,
        _environment_line(),
        timings_section(sweeps),
        TIMINGS_END,
    ]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def _environment_line() -> str:
    import torch

    return (
        f"Measured on {platform.machine()} with Python {platform.python_version()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s).\n"
    )


def strip_timings(text: str) -> str:
    """The report without its timing section: the part that must be reproducible."""
    start, end = text.find(TIMINGS_START), text.find(TIMINGS_END)
    if start == -1 or end == -1 or end < start:
        return text
    return text[:start] + text[end + len(TIMINGS_END) :]


def write_report(path: Path, progress: ProgressCallback | None = None) -> Path:
    text = build_report(path.parent / FIGURES_DIRNAME, progress=progress)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"report: cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    return path


def check_report(path: Path, progress: ProgressCallback | None = None) -> tuple[bool, str]:
    """Regenerate into a scratch folder and compare with `path`, timings ignored."""
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"report --check: cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    with tempfile.TemporaryDirectory() as scratch:
        fresh = build_report(Path(scratch) / FIGURES_DIRNAME, progress=progress)
    want, have = strip_timings(fresh), strip_timings(current)
    if want == have:
        return True, f"{path} is current (timing section ignored)"
    diff = difflib.unified_diff(
        have.splitlines(), want.splitlines(), fromfile=f"{path} (on disk)", tofile="generated now", lineterm="", n=1
    )
    shown = "\n".join(list(diff)[:40])
    return False, f"{path} is out of date; regenerate it with `elbo-suite report`.\n{shown}"
