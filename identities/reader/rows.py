r"""A display block split into the rows a reader sees, with their equation numbers.

Rows break at ``\\`` where the innermost environment holds rows (align, aligned, split, gather,
eqnarray, multline, or the bare display), never inside ``cases``, a matrix, an array or a brace
group. ``\begin``/``\end`` of row environments, ``\label``, ``\tag``, ``\nonumber``/``\notag``
and a row break's ``[2pt]`` are removed from the row's text.

A row that only continues the previous one is joined to it, so that a statement broken over two
lines is read as one: the previous row leaves a bracket open, ends with an operator or a relation,
or the row starts with ``+``, ``-``, ``\cdot`` or ``\times`` and has no relation of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex.macros import find_definitions
from elbo_suite.identities.reader.numbering import ROW_CONTAINERS, Renderer

_TAG = re.compile(r"\\tag(\*?)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_LABEL = re.compile(r"\\label\s*\{[^}]*\}")
_NONUMBER = re.compile(r"\\(?:nonumber|notag)(?![a-zA-Z])")
_ROW_ENV = re.compile(r"\\(begin|end)\{(" + "|".join(sorted(ROW_CONTAINERS, key=len, reverse=True))
                      + r")\*?\}(\{\d+\})?")
# \\[2pt], \\*[.7em]: extra space after a row break (a dimension, so that "\\ [x]" stays math)
_SPACING_ARG = re.compile(r"\s*\*?\s*\[\s*-?[\d.]+\s*(?:em|ex|pt|mm|cm|in|mu|bp|pc|dd|cc|sp)\s*\]")


@dataclass(frozen=True)
class Piece:
    start: int  # span in the block's tex
    end: int
    tex: str  # cleaned row text
    number: int | None = None
    tag: str | None = None  # \tag{x}: x; \tag*{x}: x shown without parentheses
    equation: str | None = None  # "(3)" when the row is part of a numbered display it shares


def _blank(tex: str, spans) -> str:
    chars = list(tex)
    for a, b in spans:
        for k in range(a, b):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def without_definitions(tex: str) -> str:
    """The block's tex with its \\newcommand-style definitions blanked (offsets kept)."""
    return _blank(tex, [(a, b) for a, b, _ in find_definitions(tex)])


def _outer_environment(tex: str) -> str | None:
    """The environment wrapping the whole block, if one does."""
    m = re.match(r"\s*\\begin\{([a-zA-Z]+\*?)\}", tex)
    if not m:
        return None
    name = m.group(1)
    end = tex.rfind("\\end{" + name + "}")
    if end < 0 or tex[end + len(name) + 6:].strip():
        return None
    return name


def split(tex: str) -> list[tuple[int, int]]:
    r"""Spans of rows: split at \\ where the innermost environment holds rows."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (environment, brace depth at its start)
    depth = 0
    row_start = 0
    i = 0
    n = len(tex)
    while i < n:
        c = tex[i]
        if c == "%" and (i == 0 or tex[i - 1] != "\\"):
            nl = tex.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if c == "\\":
            if tex.startswith("\\\\", i):
                container = not stack or stack[-1][0].rstrip("*") in ROW_CONTAINERS
                base = stack[-1][1] if stack else 0
                if container and depth == base:
                    spans.append((row_start, i))
                    i += 2
                    m = _SPACING_ARG.match(tex, i)
                    if m:
                        i = m.end()
                    row_start = i
                    continue
                i += 2
                continue
            m = re.compile(r"\\(begin|end)\s*\{([a-zA-Z]+\*?)\}").match(tex, i)
            if m:
                if m.group(1) == "begin":
                    stack.append((m.group(2), depth))
                elif stack and stack[-1][0] == m.group(2):
                    stack.pop()
                i = m.end()
                continue
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    spans.append((row_start, n))
    return spans


def clean(row: str) -> tuple[str, str | None, bool]:
    """(row text without numbering commands, its \\tag, whether it is suppressed)."""
    tag_m = _TAG.search(row)
    tag = None
    if tag_m:
        tag = tag_m.group(2).strip() if tag_m.group(1) else f"({tag_m.group(2).strip()})"
    suppressed = bool(_NONUMBER.search(row))
    text = _TAG.sub(" ", row)
    text = _LABEL.sub(" ", text)
    text = _NONUMBER.sub(" ", text)
    text = _ROW_ENV.sub(" ", text)
    return text.strip(), tag, suppressed


def number(tex: str, renderer: Renderer, counter: list[int]) -> list[Piece]:
    """Rows of one block, numbered as ``renderer`` shows them; ``counter`` is the page's."""
    environment = _outer_environment(tex)
    mode = renderer.numbering(environment)
    spans = split(tex)
    rows = [(s, e) + clean(tex[s:e]) for s, e in spans]
    while len(rows) > 1 and not rows[-1][2]:
        if rows[-1][3] is not None and rows[-2][3] is None:  # a \tag on the empty last row
            rows[-2] = rows[-2][:3] + (rows[-1][3],) + rows[-2][4:]
        rows.pop()  # an empty last row (a trailing \\) is not numbered, and holds nothing
    pieces: list[Piece] = []
    if mode == "rows":
        for s, e, text, tag, suppressed in rows:
            num = None
            if tag is None and not suppressed:
                counter[0] += 1
                num = counter[0]
            if text:  # an empty middle row takes its number but holds nothing
                pieces.append(Piece(s, e, text, num, tag))
        return pieces
    tags = [tag for *_, tag, _ in rows if tag is not None]
    suppressed = any(sup for *_, sup in rows)
    nonempty = [(s, e, text) for s, e, text, _, _ in rows if text]
    if not nonempty:
        return []
    label_number = label_tag = None
    if tags:
        label_tag = tags[0]
    elif mode == "once" and not suppressed:
        counter[0] += 1
        label_number = counter[0]
    if label_number is None and label_tag is None:
        return [Piece(s, e, text) for s, e, text in nonempty]
    # the number is shown once: on the last row of a multline, else on the first row
    at = len(nonempty) - 1 if environment and environment.rstrip("*") == "multline" else 0
    shown = f"({label_number})" if label_number is not None else label_tag
    out = []
    for k, (s, e, text) in enumerate(nonempty):
        if k == at:
            out.append(Piece(s, e, text, label_number, label_tag if label_number is None else None))
        else:
            out.append(Piece(s, e, text, equation=shown))
    return out


# -- continuation rows ---------------------------------------------------------------------------
def _shape(tex: str):
    """(first token, last token, visible bracket depth, has a top-level relation), or None."""
    from elbo_suite.identities.latex.normalise import normalise
    from elbo_suite.identities.latex.tokens import tokenize
    from elbo_suite.identities.notation import REGISTRY
    from elbo_suite.identities.notation.registry import INFIX, RELATION, SEPARATOR

    try:
        toks = normalise(tokenize(tex))
    except CannotParse:
        return None
    toks = [t for t in toks if not t.is_char("&") and
            not (t.kind == "cmd" and REGISTRY.lookup(SEPARATOR, t) is not None)]
    if not toks:
        return None
    depth = level = 0
    has_relation = False
    for t in toks:
        if t.kind == "open" and t.value != ".":
            depth += 1
        elif t.kind == "close" and t.value != ".":
            depth -= 1
        if t.kind == "open" or t.is_char("{"):
            level += 1
        elif t.kind == "close" or t.is_char("}"):
            level -= 1
        elif level == 0 and t.kind in ("char", "cmd") and REGISTRY.lookup(RELATION, t) is not None:
            has_relation = True

    def kind(t):
        if t.is_char("+", "-") or (t.kind in ("cmd", "char") and REGISTRY.lookup(INFIX, t) is not None):
            return "operator"
        if t.kind in ("char", "cmd") and REGISTRY.lookup(RELATION, t) is not None:
            return "relation"
        return "other"

    return kind(toks[0]), kind(toks[-1]), depth, has_relation


def join_continuations(pieces: list[Piece]) -> list[Piece]:
    if len(pieces) < 2:
        return pieces
    out: list[Piece] = []
    carry = 0  # brackets left open by the rows joined so far
    prev_shape = None
    for piece in pieces:
        shape = _shape(piece.tex)
        if out and shape is not None:
            first, _, _, has_relation = shape
            joins = carry > 0 or (prev_shape is not None and prev_shape[1] in ("operator", "relation")) \
                or (first == "operator" and not has_relation)
            if joins:
                prev = out[-1]
                left = re.sub(r"\\right\s*\.\s*$", "", prev.tex)
                right = re.sub(r"^\s*&?\s*\\left\s*\.", "", piece.tex)
                joined = replace(prev, end=piece.end, tex=left + " " + right,
                                 number=piece.number if piece.number is not None else prev.number,
                                 tag=piece.tag if piece.tag is not None else prev.tag,
                                 equation=prev.equation or piece.equation)
                out[-1] = joined
                carry += shape[2]
                prev_shape = (prev_shape[0] if prev_shape else None, shape[1], carry, True)
                continue
        out.append(piece)
        carry = shape[2] if shape is not None else 0
        prev_shape = shape
    return out
