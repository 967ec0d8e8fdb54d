"""``$$...$$`` display math, and the kramdown rule for it.

MathJax (and GitHub, pandoc) read every ``$$...$$`` as display math. kramdown (Jekyll) reads a
``$$...$$`` that shares its line with prose as *inline* math: a display block must start its line
and end its line. Single ``$...$`` on one line is inline math for everyone and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elbo_suite.identities.reader.spans import Span

_DOLLARS = re.compile(r"\\\$|\$\$|\$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*$")


@dataclass
class Found:
    display: list[Span]
    inline: list[tuple[int, int]]  # $...$ and kramdown's inline $$...$$: masked, never judged
    unterminated: int | None  # offset of a $$ never closed
    prose_dollars: int  # $$...$$ pairs with prose on their line (a sign of kramdown)


def _prose_before(view: str, k: int) -> bool:
    line_start = view.rfind("\n", 0, k) + 1
    return not _LIST_MARKER.match(view[line_start:k])


def _prose_after(view: str, k: int) -> bool:
    line_end = view.find("\n", k)
    after = view[k:line_end if line_end >= 0 else len(view)].strip()
    return bool(after) and not re.fullmatch(r"[.,;:!?)\]]*", after)


def find(view: str, kramdown: bool) -> Found:
    display: list[Span] = []
    inline: list[tuple[int, int]] = []
    prose = 0
    open_at: int | None = None
    pos = 0
    while True:
        m = _DOLLARS.search(view, pos)
        if m is None:
            break
        token, k = m.group(0), m.start()
        pos = m.end()
        if token == "\\$":
            continue
        if open_at is None:
            if token == "$":
                # inline $...$: the closing single $ on the same line
                line_end = view.find("\n", pos)
                line_end = len(view) if line_end < 0 else line_end
                close = re.compile(r"(?<![\\$])\$(?!\$)").search(view, pos, line_end)
                if close is not None and close.start() > pos:
                    inline.append((k, close.end()))
                    pos = close.end()
                continue
            open_at = k
            continue
        if token != "$$":
            continue
        start, end = open_at, m.end()
        open_at = None
        in_prose = _prose_before(view, start) or _prose_after(view, end)
        if in_prose:
            prose += 1
        if kramdown and in_prose:
            inline.append((start, end))
            continue
        display.append(Span(start, end, start + 2, k, "$$"))
    return Found(display, inline, open_at, prose)
