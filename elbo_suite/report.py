"""REPORT.md: generated from the code, never edited by hand.

The report opens with its findings (what is wrong, then the headline results), then each
section's details, then the timings. The sections come from the registry in
`elbo_suite.report_sections`; this module only runs them and assembles what they return.

Everything outside the timing section is what a reader reads and must be the same on every
machine: `report --check` regenerates the report and compares that part (see `reader_text`).
Figures are written into a folder beside the report.
"""

from __future__ import annotations

import difflib
import platform
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from .console import ProgressCallback
from .errors import UsageError
from .section import ReportContext, Section, SectionBuilder

FIGURES_DIRNAME = "report-figures"
TIMINGS_START = "<!-- timings:start -->"
TIMINGS_END = "<!-- timings:end -->"
TIMINGS_TITLE = "Timings"

HEADER = """\
# elbo-suite report

Generated from the code by `elbo-suite report` (the main job in README.md); do not edit it by hand.
`elbo-suite report --check` exits 1 when the file is not what the code produces now, timings
aside. Every random number comes from a fixed seed; every number is rounded where float64
rounding cannot reach it, so the text is the same on every machine.
"""


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.lower())
    return text.replace(" ", "-")


def _heading(index: int, section: Section) -> str:
    return f"{index}. {section.title}"


def _findings(sections: Sequence[Section]) -> str:
    """One screen: each section's status, its problems first, then its headline results."""
    lines = ["## Findings", ""]
    for index, section in enumerate(sections, start=1):
        title = _heading(index, section)
        lines.append(f"**[{section.title}](#{_anchor(title)})**: {section.status}.")
        ordered = [f for f in section.findings if f.problem] + [f for f in section.findings if not f.problem]
        lines += [f"- {finding.text}" for finding in ordered]
        lines.append("")
    return "\n".join(lines)


def assemble(sections: Sequence[Section], environment: str) -> str:
    """The report text from the sections' results (no computation here)."""
    contents = " · ".join(f"[{_heading(i, s)}](#{_anchor(_heading(i, s))})" for i, s in enumerate(sections, 1))
    timings_title = f"{len(sections) + 1}. {TIMINGS_TITLE}"
    parts = [HEADER, _findings(sections),
             f"Contents: {contents} · [{timings_title}](#{_anchor(timings_title)})\n"]
    for index, section in enumerate(sections, start=1):
        parts += [f"## {_heading(index, section)}\n", section.body]
    parts += [f"## {timings_title}\n", TIMINGS_START, environment]
    parts += [s.timings for s in sections if s.timings]
    parts.append(TIMINGS_END)
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def build_report(figures_dir: Path, progress: ProgressCallback | None = None, *, quick: bool = False,
                 sections: Sequence[SectionBuilder] | None = None) -> str:
    """Run every registered section and return the report text; figures go into `figures_dir`.

    `quick` runs smaller samples (for tests); `sections` replaces the registry (for tests)."""
    if sections is None:
        if progress is not None:
            progress("loading the pillars", 0, 1)  # torch, SymPy and matplotlib take a while to import
        from .report_sections import SECTIONS as sections
    built = []
    for index, build in enumerate(sections):
        context = ReportContext(figures_dir=figures_dir, image_prefix=FIGURES_DIRNAME, quick=quick,
                                progress=_nested(progress, index, len(sections)))
        built.append(build(context))
    if progress is not None:
        progress("writing", len(sections), len(sections))
    return assemble(built, _environment_line())


def _nested(progress: ProgressCallback | None, index: int, total: int) -> ProgressCallback | None:
    """A section's own steps, reported as `step (i/n)` within the report's count of sections."""
    if progress is None:
        return None

    def update(description: str, done: int, steps: int) -> None:
        progress(f"{description} ({done}/{steps})", index, total)

    return update


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


def reader_text(text: str) -> str:
    """What a reader reads: the report with its timing section emptied (its place kept), and
    without what Markdown does not show or a checkout may change: line endings (CRLF),
    trailing spaces, Unicode normal form, runs of blank lines."""
    start, end = text.find(TIMINGS_START), text.find(TIMINGS_END)
    if 0 <= start < end:  # the section's place stays: a report without timings reads differently
        text = text[:start] + TIMINGS_START + TIMINGS_END + text[end + len(TIMINGS_END):]
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def linked_figures(text: str) -> list[str]:
    """The figure paths the report embeds, relative to it."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)


def write_report(path: Path, progress: ProgressCallback | None = None, *, force: bool = False) -> str:
    """Regenerate the report and its figures; return what was done, in one line.

    A report that already reads the same (`reader_text`) is kept as it is, so that regenerating
    on a fresh clone leaves it untouched; only its timings would change, and `force` rewrites
    them. A figure is rewritten when its bytes differ (it is what the code draws now).
    """
    figures_dir = path.parent / FIGURES_DIRNAME
    with tempfile.TemporaryDirectory() as scratch:
        fresh_figures = Path(scratch) / FIGURES_DIRNAME
        text = build_report(fresh_figures, progress=progress)
        try:
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            kept = not force and old is not None and reader_text(old) == reader_text(text)
            if not kept:
                path.write_text(text, encoding="utf-8")
            figures_dir.mkdir(exist_ok=True)
            updated = [_update(png, figures_dir / png.name) for png in sorted(fresh_figures.glob("*.png"))]
        except OSError as exc:
            raise UsageError(f"report: cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    drawn = f"; {sum(updated)} of {len(updated)} figures redrawn" if any(updated) else ""
    if kept:
        return (f"{path} already reads as the code produces it: kept as it is, with the timings of the "
                f"run that wrote it (--force rewrites them){drawn}")
    return f"wrote {path}{drawn}"


def _update(fresh: Path, target: Path) -> bool:
    data = fresh.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.write_bytes(data)
    return True


def check_report(path: Path, progress: ProgressCallback | None = None) -> tuple[bool, str]:
    """Regenerate into a scratch folder and compare what a reader reads with `path`; every
    figure it embeds must exist beside it (their pixels depend on the machine's fonts)."""
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"report --check: cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    with tempfile.TemporaryDirectory() as scratch:
        fresh = build_report(Path(scratch) / FIGURES_DIRNAME, progress=progress)
    want, have = reader_text(fresh), reader_text(current)
    if want != have:
        diff = difflib.unified_diff(have.splitlines(), want.splitlines(), fromfile=f"{path} (on disk)",
                                    tofile="generated now", lineterm="", n=1)
        shown = "\n".join(list(diff)[:40])
        return False, f"{path} is out of date; regenerate it with `elbo-suite report`.\n{shown}"
    missing = [name for name in linked_figures(current) if not (path.parent / name).is_file()]
    if missing:
        return False, f"{path} embeds figures that are missing: {', '.join(missing)}; regenerate it with `elbo-suite report`."
    return True, f"{path} is current (timing section ignored)"
