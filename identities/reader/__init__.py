"""Reader: every display block of a Markdown or LaTeX document, its rows, and their numbers.

One module per way of writing display math: ``$$`` blocks with kramdown's inline rule
(dollars.py), GitHub's ```math fences (fences.py), ``\\[...\\]`` (brackets.py), bare
``equation``/``align``/... environments (environments.py); blockquotes, code and comments are
handled by the source view (source.py). Rows and numbers come from rows.py under the renderer's
conventions (numbering.py), which the result states (``ReadDocument.conventions``). The
document's own macros are collected (config.py, latex/macros.py) for the parser to expand.

A malformed block never loses the document: its rows are read as written and fail alone when
parsed. Only a document without any display math is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.latex.macros import MacroTable, table_from
from elbo_suite.identities.reader import brackets, config, dollars, environments, fences, rows
from elbo_suite.identities.reader.escaping import escapes_math, unescape_markdown
from elbo_suite.identities.reader.numbering import RENDERERS, Conventions
from elbo_suite.identities.reader.source import masked, prepare
from elbo_suite.identities.reader.spans import Span, without_overlaps

__all__ = ["Conventions", "DisplayBlock", "DisplayRow", "ReadDocument", "RENDERERS", "read_blocks",
           "read_document", "read_path", "read_rows", "unescape_markdown"]


@dataclass(frozen=True)
class DisplayRow:
    """One row of one display block, numbered as rendered."""

    block: int  # 1-based index of the display block in the document
    row: int  # 1-based index of the row inside its block (empty rows skipped)
    number: int | None  # equation number shown on the page, None when unnumbered
    tag: str | None  # label shown by a \tag{...} ("(3a)"; \tag*{x} shows "x"), when the row has one
    raw: str  # the row as written in the source (Markdown escapes kept)
    tex: str  # the row as LaTeX sees it (escapes undone, \label/\tag/\nonumber removed)
    line: int  # 1-based line of the block's opening delimiter in the source
    environment: str | None  # align, equation, ..., or None for a bare block
    syntax: str = "$$"  # how the block was written: "$$", "```math", "\\[", "\\\\[", "environment"
    equation: str | None = None  # "(3)": the numbered display this row is part of (split, multline)
    row_line: int = 0  # 1-based line where the row itself starts
    prose: str = ""  # the last line of prose before the block ("where", "we define"): a hint

    @property
    def label(self) -> str:
        """How a reader names the row: "(3)", "(3a)", "(3), row 2" or "block 8, row 1"."""
        if self.number is not None:
            return f"({self.number})"
        if self.tag is not None:
            return self.tag
        if self.equation is not None:
            return f"{self.equation}, row {self.row}"
        return f"block {self.block}, row {self.row}"


@dataclass(frozen=True)
class DisplayBlock:
    index: int
    line: int
    environment: str | None
    raw: str
    rows: tuple[DisplayRow, ...]
    syntax: str = "$$"


@dataclass
class ReadDocument:
    blocks: list[DisplayBlock]
    conventions: Conventions
    macros: MacroTable = field(default_factory=MacroTable)
    warnings: list[str] = field(default_factory=list)  # what was read despite a fault, one line each

    @property
    def rows(self) -> list[DisplayRow]:
        return [row for block in self.blocks for row in block.rows]


def _find_spans(source, kramdown: bool) -> tuple[list[Span], list[str]]:
    warnings: list[str] = []
    spans: list[Span] = list(fences.find(source))
    view = source.view
    found = dollars.find(view, kramdown)
    spans += found.display
    if found.unterminated is not None:
        warnings.append(f"'$$' on line {source.line_of(found.unterminated)} is never closed; "
                        "the text after it is not read as math")
    view = masked(view, [(s.start, s.end) for s in found.display] + found.inline)
    more, open_at = brackets.find(view, source.kind)
    spans += more
    if open_at is not None:
        warnings.append(f"'\\[' on line {source.line_of(open_at)} is never closed")
    view = masked(view, [(s.start, s.end) for s in more])
    more, open_at = environments.find(view)
    spans += more
    if open_at is not None:
        warnings.append(f"the environment opened on line {source.line_of(open_at)} is never closed")
    return without_overlaps(spans), warnings


def _conventions(source, spans: list[Span], renderer: str | None, kramdown: bool, escaped: bool,
                 ) -> Conventions:
    if source.kind == "latex":
        dialect = "LaTeX"
    elif kramdown:
        dialect = "kramdown (Jekyll)"
    elif any(s.syntax == "```math" for s in spans):
        dialect = "GitHub-flavoured Markdown"
    else:
        dialect = "CommonMark Markdown"
    if renderer is not None:
        if renderer not in RENDERERS:
            raise DocumentError(f"renderer {renderer!r} is not known (expected one of "
                                f"{', '.join(sorted(RENDERERS))})")
        return Conventions(renderer, dialect, escaped, "as asked")
    if source.kind == "latex":
        return Conventions("latex", dialect, False, "a LaTeX document")
    configured = config.numbering_from(source.front_matter, source.scripts)
    if configured is not None:
        return Conventions(configured[0], dialect, escaped, configured[1])
    return Conventions("mathjax-ams", dialect, escaped,
                       "assumed: the document configures no renderer, and blog themes with "
                       "MathJax usually number the AMS way")


def _macros(source, escaped: bool) -> MacroTable:
    table = MacroTable()
    table = table.merged(config.macros_from_yaml(source.front_matter))
    for script in source.scripts:
        table = table.merged(config.macros_from_js(script, "page configuration"))
    text = source.text if source.kind == "latex" else source.view
    if escaped:
        text = unescape_markdown(text)[0]
    return table.merged(table_from(text))


def read_document(text: str, *, renderer: str | None = None) -> ReadDocument:
    """Every display block of a document, with its rows numbered as ``renderer`` shows them
    (one of RENDERERS; by default what the document configures, else MathJax with AMS numbering).
    """
    source = prepare(text)
    kramdown = source.kind == "markdown" and (
        config.jekyll(source.front_matter, source.text) or
        (dollars.find(source.view, False).prose_dollars > 0 and not _single_dollar_math(source.view)))
    spans, warnings = _find_spans(source, kramdown)
    escaped = source.kind == "markdown" and escapes_math(
        [source.dequoted[s.content_start:s.content_end] for s in spans if s.escapable])
    conventions = _conventions(source, spans, renderer, kramdown, escaped)
    macros = _macros(source, escaped)
    r = RENDERERS[conventions.renderer]
    counter = [0]
    blocks: list[DisplayBlock] = []
    previous_end = 0
    for span in spans:
        prose = _prose_before(source.view, previous_end, span.start)
        previous_end = span.end
        raw = source.dequoted[span.content_start:span.content_end]
        if escaped and span.escapable:
            tex, where = unescape_markdown(raw)
        else:
            tex, where = raw, list(range(len(raw)))
        tex = rows.without_definitions(tex)
        pieces = rows.join_continuations(rows.number(tex, r, counter))
        index = len(blocks) + 1
        line = source.line_of(span.start)
        block_env = rows._outer_environment(tex)
        display_rows = []
        for piece in pieces:
            raw_s = where[piece.start] if piece.start < len(where) else len(raw)
            raw_e = where[piece.end - 1] + 1 if piece.start < piece.end <= len(where) else raw_s
            if raw[raw_e - 1:raw_e] == "\\" and tex[piece.end - 1:piece.end] != "\\":
                raw_e += 1  # an escaped character (\_) ends the row: its backslash is the row's
            display_rows.append(DisplayRow(
                block=index, row=len(display_rows) + 1, number=piece.number, tag=piece.tag,
                raw=raw[raw_s:raw_e].strip(), tex=piece.tex, line=line, environment=block_env,
                syntax=span.syntax, equation=piece.equation,
                row_line=source.line_of(span.content_start + raw_s), prose=prose))
        if not display_rows:
            continue  # a block of definitions only displays nothing
        blocks.append(DisplayBlock(index=index, line=line, environment=block_env, raw=raw,
                                   rows=tuple(display_rows), syntax=span.syntax))
    if not blocks:
        raise DocumentError("no display math found: expected at least one display block "
                            "($$...$$, ```math, \\[...\\] or \\begin{equation})"
                            + (f" ({warnings[0]})" if warnings else ""))
    return ReadDocument(blocks, conventions, macros, warnings)


def _prose_before(view: str, start: int, end: int) -> str:
    """The last non-blank line of text between two blocks, without Markdown list or quote marks."""
    for line in reversed(view[start:end].split("\n")):
        line = line.strip().lstrip("-*+>#").strip()
        if line:
            return line[-300:]
    return ""


def _single_dollar_math(view: str) -> bool:
    found = dollars.find(view, False)
    return any(view[a:a + 2] != "$$" for a, _ in found.inline)


def read_blocks(text: str) -> list[DisplayBlock]:
    """Every display block of a document, in order, with its rows numbered."""
    return read_document(text).blocks


def read_rows(text: str) -> list[DisplayRow]:
    return read_document(text).rows


def read_path(path: str | Path) -> str:
    """The text of a document, or DocumentError naming the path."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(f"document not found: {str(p)!r} (expected a Markdown or LaTeX file)") from None
    except IsADirectoryError:
        raise DocumentError(f"document path is a directory: {str(p)!r} (expected a Markdown or LaTeX file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read document {str(p)!r}: {exc} (expected UTF-8 text)") from None
