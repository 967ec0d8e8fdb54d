"""GitHub's ```math fences: the fence's content is one display block of plain LaTeX."""

from __future__ import annotations

from elbo_suite.identities.reader.source import Source
from elbo_suite.identities.reader.spans import Span


def find(source: Source) -> list[Span]:
    return [Span(f.start, f.end, f.content_start, f.content_end, "```math", escapable=False)
            for f in source.math_fences]
