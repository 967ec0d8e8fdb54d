"""The single-edit search for a refuted row.

Edits of every kind in `edits.KINDS` are tried in order, each re-judging the step with the edited
row; the first edit after which the step holds is reported with the corrected LaTeX. The search is
bounded by a count of candidates (never by the clock, so that every machine prints the same
answer), and a cheap pre-check on few instances screens candidates before the full check.
"""

from __future__ import annotations

import re
from typing import Callable

from elbo_suite.identities.repair.edits import KINDS

MAX_CANDIDATES = 150


def harvest(neighbours: list[str]) -> dict:
    """Factors 1/(...) and denominators the neighbouring rows use: candidates for an edit that
    restores a factor the row lost."""
    factors, denominators = [], []
    for tex in neighbours:
        for m in re.finditer(r"\\frac\{", tex):
            num_end = _group_end(tex, m.end() - 1)
            if num_end is None or tex[num_end:num_end + 1] != "{":
                continue
            den_end = _group_end(tex, num_end)
            if den_end is None:
                continue
            num, den = tex[m.end():num_end - 1], tex[num_end + 1:den_end - 1]
            if num.strip() == "1" and tex[m.start():den_end] not in factors:
                factors.append(tex[m.start():den_end])
            if den.strip() and den.strip() not in denominators and len(den) < 60:
                denominators.append(den.strip())
    return {"factors": factors[:8], "denominators": denominators[:8]}


def _group_end(tex: str, start: int) -> int | None:
    depth = 0
    i = start
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def repair(tex: str, holds: Callable[[str], bool], context: dict,
           screen: Callable[[str], bool] | None = None) -> str:
    """'holds if <edit>: <corrected LaTeX>' for the first edit that makes the step hold, or ''."""
    seen = {tex}
    tried = 0
    for _, kind in KINDS:
        for description, edited in kind(tex, context):
            if edited in seen:
                continue
            seen.add(edited)
            tried += 1
            if tried > MAX_CANDIDATES:
                return ""
            if screen is not None and not screen(edited):
                continue
            if holds(edited):
                return f"holds if {description}: {edited.strip()}"
    return ""
