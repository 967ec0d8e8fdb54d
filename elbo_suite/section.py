"""One section of REPORT.md: what it adds to the findings at the top, and its details.

A section builder is a function `build(context) -> Section`; the report runs the builders listed
in `elbo_suite.report_sections.SECTIONS`, in order, and never needs to know what they contain.
This module imports nothing heavy, so a pillar without torch (identities) can build sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from elbo_suite.console import ProgressCallback


@dataclass(frozen=True)
class Finding:
    text: str  # one line of Markdown in plain words, with its evidence
    problem: bool = False  # True: something is wrong (a refuted step, a failed claim)


@dataclass(frozen=True)
class Section:
    title: str  # the section's heading, e.g. "Derivation: `identities/derivations/elbo.md`"
    status: str  # one line for the findings: counts, e.g. "120 of 120 claims hold"
    body: str  # the details, Markdown; headings inside start at "###"
    findings: list[Finding] = field(default_factory=list)  # problems first is not required
    timings: str = ""  # Markdown that varies from run to run; goes into the timing section


@dataclass(frozen=True)
class ReportContext:
    figures_dir: Path  # where a section writes its PNGs
    image_prefix: str  # how the report links them, relative to REPORT.md
    quick: bool = False  # smaller samples (tests); the report itself is never quick
    progress: ProgressCallback | None = None  # (step, done, total) within this section

    def step(self, description: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(description, done, total)


SectionBuilder = Callable[[ReportContext], Section]
