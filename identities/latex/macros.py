"""Macros: a document's own definitions, read and expanded before parsing.

Authors shorten their notation (``\\newcommand{\\E}{\\mathbb{E}}``,
``\\DeclareMathOperator*{\\argmax}{arg\\,max}``, MathJax ``macros:`` in a page's front matter).
Expansion is textual, as in TeX: a use is replaced by the body with ``#1``.. substituted, and the
result is expanded again. The parser then sees only notation it knows (or reports the unknown).

Supported definitions: ``\\newcommand``, ``\\renewcommand``, ``\\providecommand`` (with ``[n]``
arguments and an optional first argument's ``[default]``), ``\\def`` with undelimited ``#1#2..``,
``\\let``, ``\\DeclareMathOperator`` (starred too). Expansion is bounded: a definition that
expands forever is a cannot-parse row, never a hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex.tokens import Token, closing_brace, tokenize

MAX_EXPANSIONS = 2000  # macro uses expanded in one row
MAX_TOKENS = 20000  # tokens a row may grow to by expansion


@dataclass(frozen=True)
class Macro:
    name: str  # without the backslash
    nargs: int
    body: tuple[Token, ...]
    default: tuple[Token, ...] | None = None  # the optional first argument's default, if any
    origin: str = "document"  # where it was defined: document, front matter, MathJax config, ...


@dataclass
class MacroTable:
    """Macros by name; later definitions replace earlier ones, as \\renewcommand does."""

    macros: dict[str, Macro] = field(default_factory=dict)

    def define(self, macro: Macro) -> None:
        self.macros[macro.name] = macro

    def get(self, name: str) -> Macro | None:
        return self.macros.get(name)

    def __len__(self) -> int:
        return len(self.macros)

    def __contains__(self, name: str) -> bool:
        return name in self.macros

    def merged(self, other: "MacroTable") -> "MacroTable":
        return MacroTable({**self.macros, **other.macros})

    def define_text(self, name: str, body: str, nargs: int = 0, origin: str = "document",
                    default: str | None = None) -> None:
        """Define from source text, e.g. ('E', '\\\\mathbb{E}') from a MathJax config."""
        name = name.lstrip("\\")
        if not name:
            return
        if nargs == 0:  # KaTeX counts a macro's arguments from the #n its body uses
            nargs = max((int(d) for d in re.findall(r"#(\d)", body)), default=0)
        self.define(Macro(name, max(0, min(nargs, 9)), tuple(tokenize(body)),
                          tuple(tokenize(default)) if default is not None else None, origin))


# -- reading definitions ------------------------------------------------------------------------
_DEFINERS = {"newcommand", "renewcommand", "providecommand", "def", "gdef", "edef", "xdef",
             "let", "DeclareMathOperator", "DeclareRobustCommand"}


def _group(tokens: list[Token], i: int) -> tuple[list[Token], int] | None:
    """The tokens of the braced group at tokens[i], and the index after it."""
    if i >= len(tokens) or not tokens[i].is_char("{"):
        return None
    j = closing_brace(tokens, i)
    return None if j is None else (tokens[i + 1:j], j + 1)


def _bracket(tokens: list[Token], i: int) -> tuple[list[Token], int] | None:
    """The tokens of an optional [...] argument at tokens[i] (brackets inside braces skipped)."""
    if i >= len(tokens) or not tokens[i].is_char("["):
        return None
    depth = 0
    for j in range(i + 1, len(tokens)):
        t = tokens[j]
        if t.is_char("{"):
            depth += 1
        elif t.is_char("}"):
            depth -= 1
        elif t.is_char("]") and depth == 0:
            return tokens[i + 1:j], j + 1
    return None


def _end_pos(tokens: list[Token], j: int, tex: str) -> int:
    return tokens[j].pos if j < len(tokens) else len(tex)


_DEFINER = re.compile(r"\\(?:" + "|".join(sorted(_DEFINERS, key=len, reverse=True)) + r")(?![A-Za-z])")
_WINDOW = 20000  # characters a definition may span


def find_definitions(tex: str, origin: str = "document") -> list[tuple[int, int, Macro | None]]:
    """(start, end, macro) of every definition in ``tex``; macro is None for a definition that is
    recognised (and so removed from the math) but not supported, e.g. delimited \\def parameters."""
    found: list[tuple[int, int, Macro | None]] = []
    pos = 0
    while True:
        m = _DEFINER.search(tex, pos)
        if m is None:
            return found
        window = tex[m.start():m.start() + _WINDOW]
        try:
            tokens = tokenize(window)
        except CannotParse:
            tokens = []
        result = _read_definition(tokens, 0, origin) if tokens else None
        if result is None:
            pos = m.end()
            continue
        macro, j = result
        end = m.start() + _end_pos(tokens, j, window)
        found.append((m.start(), end, macro))
        pos = max(end, m.end())


def _read_definition(tokens: list[Token], i: int, origin: str) -> tuple[Macro | None, int] | None:
    kind = tokens[i].value
    j = i + 1
    if j < len(tokens) and tokens[j].is_char("*"):
        j += 1
        star = True
    else:
        star = False
    # the name: {\name} or \name
    if j < len(tokens) and tokens[j].is_char("{"):
        got = _group(tokens, j)
        if got is None or len(got[0]) != 1 or got[0][0].kind != "cmd":
            return None
        name, j = got[0][0].value, got[1]
    elif j < len(tokens) and tokens[j].kind == "cmd":
        name, j = tokens[j].value, j + 1
    else:
        return None
    if kind == "let":
        if j < len(tokens) and tokens[j].is_char("="):
            j += 1
        if j >= len(tokens):
            return None
        return Macro(name, 0, (tokens[j],), None, origin), j + 1
    if kind == "DeclareMathOperator":
        got = _group(tokens, j)
        if got is None:
            return None
        text = "".join(" " if tok.is_cmd(",", ";", " ") else tok.show() for tok in got[0])
        op = "operatorname*" if star else "operatorname"
        return Macro(name, 0, tuple(tokenize(f"\\{op}{{{text}}}")), None, origin), got[1]
    if kind in ("def", "gdef", "edef", "xdef"):
        nargs = 0
        while j < len(tokens) and tokens[j].kind == "param":
            nargs += 1
            j += 1
        got = _group(tokens, j)
        if got is None:
            # delimited parameters (\def\a#1.{...}): recognised, not supported
            k = j
            while k < len(tokens) and not tokens[k].is_char("{"):
                k += 1
            skipped = _group(tokens, k)
            return (None, skipped[1]) if skipped else None
        return Macro(name, nargs, tuple(got[0]), None, origin), got[1]
    nargs, default = 0, None
    got = _bracket(tokens, j)
    if got is not None:
        digits = "".join(tok.value for tok in got[0])
        if not digits.isdigit():
            return None
        nargs, j = int(digits), got[1]
        opt = _bracket(tokens, j)
        if opt is not None:
            default, j = tuple(opt[0]), opt[1]
    got = _group(tokens, j)
    if got is None:
        return None
    return Macro(name, min(nargs, 9), tuple(got[0]), default, origin), got[1]


def table_from(tex: str, origin: str = "document") -> MacroTable:
    table = MacroTable()
    for _, _, macro in find_definitions(tex, origin):
        if macro is not None:
            table.define(macro)
    return table


def strip_definitions(tex: str) -> str:
    """``tex`` without its definitions (they display nothing)."""
    out, last = [], 0
    for start, end, _ in find_definitions(tex):
        out.append(tex[last:start])
        last = end
    out.append(tex[last:])
    return "".join(out)


# -- expansion ----------------------------------------------------------------------------------
def _argument(tokens: list[Token], i: int, name: str) -> tuple[list[Token], int]:
    if i >= len(tokens):
        raise CannotParse(f"\\{name} is missing an argument", "\\" + name)
    got = _group(tokens, i)
    if got is not None:
        return got
    if tokens[i].is_char("}"):
        raise CannotParse(f"\\{name} is missing an argument", "\\" + name)
    return [tokens[i]], i + 1


def _substitute(body: Iterable[Token], args: list[list[Token]], pos: int, space: bool) -> list[Token]:
    out: list[Token] = []
    first = True
    for tok in body:
        if tok.kind == "param":
            k = int(tok.value) - 1
            arg = args[k] if 0 <= k < len(args) else []
            for a in arg:
                out.append(a.moved(pos))
        else:
            out.append(Token(tok.kind, tok.value, pos, space if first else tok.space, tok.style))
        first = False
    return out


def expand(tokens: list[Token], tables: Iterable[MacroTable],
           fallback: Callable[[str, bool], str | None] | None = None,
           notes: list[str] | None = None) -> list[Token]:
    """Tokens with every macro use replaced by its expansion.

    ``tables`` are searched in order (the document's own first). ``fallback(name, followed)`` may
    offer an expansion for a command no table defines (a shorthand such as ``\\bx``; ``followed``
    says whether a braced group follows the use); each such reading is recorded in ``notes``.
    """
    tables = [t for t in tables if t is not None and len(t)]
    if not tables and fallback is None:
        return tokens
    out: list[Token] = []
    work = list(tokens)
    i = 0
    expansions = 0
    fallen: set[str] = set()
    while i < len(work):
        tok = work[i]
        if tok.kind != "cmd":
            out.append(tok)
            i += 1
            continue
        macro = next((t.get(tok.value) for t in tables if tok.value in t), None)
        if macro is None and fallback is not None:
            followed = i + 1 < len(work) and work[i + 1].is_char("{")
            body = fallback(tok.value, followed)
            if body is not None:
                macro = Macro(tok.value, 0, tuple(tokenize(body)), None, "shorthand")
                if notes is not None and tok.value not in fallen:
                    notes.append(f"\\{tok.value} is not defined by the document; read as {body}")
                fallen.add(tok.value)
        if macro is None or (len(macro.body) == 1 and macro.body[0].is_cmd(tok.value)):
            out.append(tok)
            i += 1
            continue
        expansions += 1
        if expansions > MAX_EXPANSIONS or len(work) + len(out) > MAX_TOKENS:
            raise CannotParse(f"the expansion of \\{tok.value} does not end (more than "
                              f"{MAX_EXPANSIONS} macro uses or {MAX_TOKENS} tokens)", "\\" + tok.value)
        j = i + 1
        args: list[list[Token]] = []
        nargs = macro.nargs
        if macro.default is not None and nargs > 0:
            opt = _bracket(work, j)
            if opt is not None:
                args.append(opt[0])
                j = opt[1]
            else:
                args.append(list(macro.default))
            nargs -= 1
        for _ in range(nargs):
            arg, j = _argument(work, j, tok.value)
            args.append(arg)
        work[i:j] = _substitute(macro.body, args, tok.pos, tok.space)
    return out
