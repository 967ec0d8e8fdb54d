"""Markdown reader: display blocks, align rows and the equation numbers a reader sees.

Numbering follows MathJax with AMS numbering, as the page renders it: every row of an
``align`` (or ``gather``/``eqnarray``) environment takes the next number of one page-wide
counter, ``equation`` takes one number, starred environments and a bare ``$$...$$`` take
none, ``\\nonumber``/``\\notag``/``\\tag`` rows take none, and an empty last row (a trailing
``\\\\`` before ``\\end{align}``) is not numbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from elbo_suite.identities.errors import DocumentError, LatexSyntaxError

# Markdown escapes that reach the math: `\\` renders `\`, `\_` renders `_`, `\*` renders `*`.
# Other `\<punctuation>` pairs are kept: in math they are LaTeX (`\,`, `\{`, `\|`).
_MARKDOWN_ESCAPED = "\\_*"

_NUMBERED_ROWS = {"align", "gather", "eqnarray", "flalign", "alignat"}
_NUMBERED_ONCE = {"equation", "multline"}
_ENVIRONMENTS = ("align", "gather", "eqnarray", "flalign", "alignat", "equation", "multline",
                 "aligned", "split", "gathered", "array", "cases", "matrix", "pmatrix", "bmatrix")


@dataclass(frozen=True)
class DisplayRow:
    """One row of one display block, numbered as rendered."""

    block: int  # 1-based index of the display block in the document
    row: int  # 1-based index of the row inside its block (empty rows skipped)
    number: int | None  # equation number shown on the page, None when unnumbered
    tag: str | None  # text of a \tag{...}, when the row carries one
    raw: str  # the row as written in the Markdown source (escapes kept)
    tex: str  # the row as LaTeX sees it (Markdown escapes undone, \label/\nonumber removed)
    line: int  # 1-based line of the block's opening $$ in the source
    environment: str | None  # align, equation, ..., or None for a bare $$ block


@dataclass(frozen=True)
class DisplayBlock:
    index: int
    line: int
    environment: str | None
    raw: str
    rows: tuple[DisplayRow, ...]


def unescape_markdown(raw: str) -> tuple[str, list[int]]:
    """Undo Markdown backslash escapes; return the text and, per output char, its raw index."""
    out: list[str] = []
    where: list[int] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in _MARKDOWN_ESCAPED:
            out.append(raw[i + 1])
            where.append(i)
            i += 2
        else:
            out.append(raw[i])
            where.append(i)
            i += 1
    return "".join(out), where


def _display_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, line) of each $$...$$ content, skipping fenced code."""
    spans: list[tuple[int, int, int]] = []
    fence: str | None = None
    open_at: tuple[int, int] | None = None
    offset = 0
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.lstrip()
        if open_at is None and (stripped.startswith("```") or stripped.startswith("~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
            offset += len(line)
            continue
        if fence is None:
            pos = 0
            while True:
                k = line.find("$$", pos)
                if k < 0:
                    break
                if k > 0 and line[k - 1] == "\\":  # an escaped dollar is text
                    pos = k + 2
                    continue
                if open_at is None:
                    open_at = (offset + k + 2, lineno)
                else:
                    spans.append((open_at[0], offset + k, open_at[1]))
                    open_at = None
                pos = k + 2
        offset += len(line)
    if open_at is not None:
        raise DocumentError(
            f"unterminated display math: '$$' opened on line {open_at[1]} has no closing '$$'")
    return spans


def _check_balanced(tex: str, line: int) -> None:
    depth = 0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                raise LatexSyntaxError(
                    f"unbalanced braces in the display block on line {line}: "
                    f"'}}' without a matching '{{' (expected balanced {{...}})")
        i += 1
    if depth:
        raise LatexSyntaxError(
            f"unbalanced braces in the display block on line {line}: {depth} '{{' never closed "
            f"(expected balanced {{...}})")
    lefts = len(re.findall(r"\\left(?![a-zA-Z])", tex))
    rights = len(re.findall(r"\\right(?![a-zA-Z])", tex))
    if lefts != rights:
        raise LatexSyntaxError(
            f"\\left/\\right mismatch in the display block on line {line}: {lefts} \\left and "
            f"{rights} \\right (expected each \\left closed by a \\right)")
    begins = re.findall(r"\\begin\{([^}]*)\}", tex)
    ends = re.findall(r"\\end\{([^}]*)\}", tex)
    if begins != list(reversed(ends)) and sorted(begins) != sorted(ends):
        raise LatexSyntaxError(
            f"unterminated environment in the display block on line {line}: \\begin{{...}} "
            f"{begins} against \\end{{...}} {ends} (expected each \\begin closed by its \\end)")
    if sorted(begins) != sorted(ends):
        raise LatexSyntaxError(
            f"unterminated environment in the display block on line {line}: \\begin{{...}} "
            f"{begins} against \\end{{...}} {ends} (expected each \\begin closed by its \\end)")


def _split_rows(tex: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of rows between start and end, split on \\\\ outside braces."""
    spans = []
    depth = 0
    row_start = start
    i = start
    while i < end:
        c = tex[i]
        if c == "\\":
            if i + 1 < end and tex[i + 1] == "\\" and depth == 0:
                spans.append((row_start, i))
                i += 2
                row_start = i
                continue
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    spans.append((row_start, end))
    return spans


_TAG = re.compile(r"\\tag\*?\{([^}]*)\}")
_LABEL = re.compile(r"\\label\{[^}]*\}")
_NONUMBER = re.compile(r"\\(?:nonumber|notag)(?![a-zA-Z])")


def _outer_environment(tex: str) -> tuple[str | None, int, int]:
    """The environment wrapping the block, and the span of its body (whole block if bare)."""
    m = re.match(r"\s*\\begin\{([a-zA-Z]+\*?)\}(\{[^}]*\})?", tex)
    if not m:
        return None, 0, len(tex)
    name = m.group(1)
    end = tex.rfind("\\end{" + name + "}")
    if end < 0:
        raise LatexSyntaxError(
            f"unterminated environment: \\begin{{{name}}} without \\end{{{name}}}")
    if tex[end + len(name) + 6:].strip():
        return None, 0, len(tex)  # more than one environment: read as a bare block
    return name, m.end(), end


def _markdown_escaped(raws: list[str]) -> bool:
    r"""Whether the document escapes its math for Markdown, as Hugo and Jekyll posts do: four
    backslashes for a row break, `\_` for `_`. Documents whose renderer protects math (GitHub,
    pandoc) write plain LaTeX, where two backslashes are a row break and must be kept; one sign
    of escaping anywhere in the document decides.
    """
    return any("\\\\\\\\" in raw or "\\_" in raw or "\\*" in raw for raw in raws)


def read_blocks(text: str) -> list[DisplayBlock]:
    """Every display block of a Markdown document, in order, with its rows numbered."""
    blocks: list[DisplayBlock] = []
    counter = 0
    spans_of_blocks = _display_spans(text)
    escaped = _markdown_escaped([text[start:end] for start, end, _ in spans_of_blocks])
    for index, (start, end, line) in enumerate(spans_of_blocks, start=1):
        raw = text[start:end]
        tex, where = unescape_markdown(raw) if escaped else (raw, list(range(len(raw))))
        _check_balanced(tex, line)
        env, body_start, body_end = _outer_environment(tex)
        base = env.rstrip("*") if env else None
        starred = bool(env and env.endswith("*"))
        numbered_rows = base in _NUMBERED_ROWS and not starred
        numbered_once = base in _NUMBERED_ONCE and not starred
        spans = _split_rows(tex, body_start, body_end)
        while len(spans) > 1 and not _NONUMBER.sub("", tex[spans[-1][0]:spans[-1][1]]).strip():
            spans.pop()  # an empty last row is not numbered, and holds nothing
        rows: list[DisplayRow] = []
        once_used = False
        for s, e in spans:
            row_tex = tex[s:e]
            tag_m = _TAG.search(row_tex)
            suppressed = bool(_NONUMBER.search(row_tex)) or tag_m is not None
            clean = _LABEL.sub("", _NONUMBER.sub("", _TAG.sub("", row_tex))).strip()
            number = None
            if numbered_rows and not suppressed:
                counter += 1
                number = counter
            elif numbered_once and not once_used and not suppressed:
                counter += 1
                number = counter
                once_used = True
            if not clean:
                continue  # an empty middle row takes its number but holds nothing
            raw_s = where[s] if s < len(where) else len(raw)
            raw_e = where[e - 1] + (2 if escaped and raw[where[e - 1]] == "\\" and e - 1 < len(where)
                                    and tex[e - 1] in _MARKDOWN_ESCAPED else 1) if e > s else raw_s
            rows.append(DisplayRow(block=index, row=len(rows) + 1, number=number,
                                   tag=tag_m.group(1) if tag_m else None,
                                   raw=raw[raw_s:raw_e].strip(), tex=clean, line=line,
                                   environment=env))
        blocks.append(DisplayBlock(index=index, line=line, environment=env, raw=raw,
                                   rows=tuple(rows)))
    if not blocks:
        raise DocumentError("no display math found: expected at least one $$...$$ block")
    return blocks


def read_rows(text: str) -> list[DisplayRow]:
    return [row for block in read_blocks(text) for row in block.rows]


def read_path(path: str | Path) -> str:
    """The text of a document, or DocumentError naming the path."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(f"document not found: {str(p)!r} (expected a Markdown file)") from None
    except IsADirectoryError:
        raise DocumentError(f"document path is a directory: {str(p)!r} (expected a Markdown file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read document {str(p)!r}: {exc} (expected UTF-8 Markdown)") from None
