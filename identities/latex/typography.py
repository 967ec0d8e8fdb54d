"""Notes on typography a reader must resolve: one symbol written both bold and plain in a row.

Bold is typography here (a vector-valued z and the scalar-looking z are the same variable), so the
parser reads both as one symbol; the note makes that reading visible in the evidence instead of
leaving it silent, e.g. `\\int q(\\boldsymbol{z}|\\boldsymbol{x})dz`.
"""

from __future__ import annotations

import re

_BOLD_COMMANDS = {"boldsymbol", "mathbf", "bm", "pmb"}
_SKIPPED_GROUPS = {"text", "mathrm", "operatorname", "mathbb", "mathcal", "mathfrak", "mathsf"}
_TOKEN = re.compile(r"\\([A-Za-z]+)|([A-Za-z])|(\{)|(\})|([\s\S])")


def _group(tex: str, start: int) -> tuple[str, int]:
    """The argument starting at `start` (a braced group or one token) and the index after it."""
    while start < len(tex) and tex[start].isspace():
        start += 1
    if start >= len(tex):
        return "", start
    if tex[start] != "{":
        match = _TOKEN.match(tex, start)
        return match.group(0), match.end()
    depth = 0
    for k in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[k], 0)
        if depth == 0:
            return tex[start + 1 : k], k + 1
    return tex[start + 1 :], len(tex)


def _symbols(tex: str, bold: set[str], plain: set[str], in_bold: bool) -> None:
    k, depth = 0, 0
    while k < len(tex):
        match = _TOKEN.match(tex, k)
        command, letter, opening, closing = match.group(1, 2, 3, 4)
        k = match.end()
        if command in _BOLD_COMMANDS or command in _SKIPPED_GROUPS:
            argument, k = _group(tex, k)
            if command in _BOLD_COMMANDS:
                _symbols(argument, bold, plain, True)
        elif opening or closing:
            depth += 1 if opening else -1
        elif command or letter:
            symbol = "\\" + command if command else letter
            # Only the symbol itself is bold: indices and exponents inside the group are not.
            (bold if in_bold and depth == 0 else plain).add(symbol)
            if letter == "d" and k < len(tex) and (tex[k].isalpha() or tex[k] == "\\"):
                plain.discard("d")  # the differential d in `dz`: the variable follows it


def mixed_bold_notes(tex: str) -> list[str]:
    """One note per symbol that the row writes both in bold and plain."""
    bold: set[str] = set()
    plain: set[str] = set()
    _symbols(tex, bold, plain, False)
    return [
        f"{symbol} is written both bold and plain in this row; read as one variable (bold is typography)"
        for symbol in sorted(bold & plain)
    ]
