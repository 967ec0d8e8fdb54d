"""A display block found in the source, before it is split into rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int  # the opening delimiter
    end: int  # after the closing delimiter
    content_start: int
    content_end: int
    syntax: str  # "$$", "```math", "\\[", "\\\\[", "environment"
    escapable: bool = True  # whether Markdown escapes reach this math (not inside code fences)


def without_overlaps(spans: list[Span]) -> list[Span]:
    """Spans in document order; a span that starts inside an earlier one is dropped."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out
