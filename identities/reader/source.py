"""The document as the math finders see it: same length as the text, with everything that cannot
hold display math blanked (front matter, code, HTML comments and scripts, LaTeX comments and
verbatim), and blockquote markers removed so that ``> $$`` reads like ``$$``.

Blanking keeps offsets: a span found in the view is the same span of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.S)
_QUOTE = re.compile(r"^( {0,3}>[ \t]?)+", re.M)
_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^\n`]*)$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_LATEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_VERBATIM = re.compile(r"\\begin\{(verbatim|lstlisting|minted|comment|Verbatim|code)\*?\}.*?"
                       r"\\end\{\1\*?\}", re.S)
_LATEX_SIGNS = re.compile(r"\\documentclass|\\begin\{document\}")


@dataclass(frozen=True)
class Fence:
    start: int  # offset of the opening ``` line
    end: int  # offset after the closing line
    content_start: int
    content_end: int
    info: str  # the info string: "math", "python", ...


@dataclass
class Source:
    text: str
    view: str
    kind: str  # "markdown" or "latex"
    dequoted: str = ""  # the text with only blockquote markers removed: where math is read from
    front_matter: str = ""
    scripts: list[str] = field(default_factory=list)  # contents of <script> blocks
    math_fences: list[Fence] = field(default_factory=list)
    _line_starts: list[int] = field(default_factory=list)

    def line_of(self, offset: int) -> int:
        """1-based line of an offset."""
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect_right(self._line_starts, offset)


def _blank(chars: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if chars[k] != "\n":
            chars[k] = " "


def _fences(view: str, chars: list[str]) -> list[Fence]:
    """Fenced code blocks: every fence is blanked; ```math fences are returned as math."""
    found: list[Fence] = []
    offset = 0
    lines = view.split("\n")
    open_fence = None  # (marker, start offset, content start, info)
    for line in lines:
        line_end = offset + len(line)
        m = _FENCE_OPEN.match(line)
        if open_fence is None:
            if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
                open_fence = (m.group(2), offset, line_end + 1, m.group(3).strip().lower())
        else:
            marker = open_fence[0]
            stripped = line.strip()
            if stripped and set(stripped) == {marker[0]} and len(stripped) >= len(marker):
                start, content_start, info = open_fence[1], open_fence[2], open_fence[3]
                if info.split()[:1] == ["math"] or info in ("latex math", "{math}", "{.math}"):
                    found.append(Fence(start, line_end, content_start, max(content_start, offset - 1), info))
                _blank(chars, start, min(line_end, len(chars)))
                open_fence = None
        offset = line_end + 1
    if open_fence is not None:  # an unclosed fence runs to the end of the document
        _blank(chars, open_fence[1], len(chars))
    return found


def _inline_code(view: str, chars: list[str]) -> None:
    """`code` spans on one line."""
    for m in re.finditer(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", view):
        if "\n" not in m.group(0):
            _blank(chars, m.start(), m.end())


def prepare(text: str) -> Source:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kind = "latex" if _LATEX_SIGNS.search(text) else "markdown"
    chars = list(text)
    dequoted: list[str] = []
    front = ""
    scripts: list[str] = []
    fences: list[Fence] = []
    if kind == "markdown":
        m = _FRONT_MATTER.match(text)
        if m:
            front = m.group(2)
            _blank(chars, 0, m.end())
        for m in _QUOTE.finditer(text):
            _blank(chars, m.start(), m.end())
        view = "".join(chars)
        dequoted = list(text)
        for m in _QUOTE.finditer(text):
            _blank(dequoted, m.start(), m.end())
        fences = _fences(view, chars)
        view = "".join(chars)
        for m in _HTML_COMMENT.finditer(view):
            _blank(chars, m.start(), m.end())
        view = "".join(chars)
        for m in _SCRIPT.finditer(view):
            scripts.append(m.group(2))
            _blank(chars, m.start(), m.end())
        _inline_code("".join(chars), chars)
    else:
        view = "".join(chars)
        for m in _VERBATIM.finditer(view):
            _blank(chars, m.start(), m.end())
        for m in _LATEX_COMMENT.finditer("".join(chars)):
            _blank(chars, m.start(), m.end())
        begin = text.find("\\begin{document}")
        if begin >= 0:
            _blank(chars, 0, begin + len("\\begin{document}"))
    dequoted_text = "".join(dequoted) if kind == "markdown" else text
    return Source(text, "".join(chars), kind, dequoted_text, front, scripts, fences)


def masked(view: str, spans) -> str:
    """The view with the given (start, end) spans blanked."""
    chars = list(view)
    for start, end in spans:
        _blank(chars, start, end)
    return "".join(chars)
