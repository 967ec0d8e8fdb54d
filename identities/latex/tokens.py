"""TeX lexer for the math of one display row: control sequences, characters and numbers.

Tokens are the TeX ones, plus two conveniences: a run of digits (with one decimal point) is one
``num`` token, and every token records whether whitespace preceded it (``space``), which text
groups such as ``\\text{ for }`` need and which math ignores. A ``%`` starts a comment to the end
of the line, as in TeX and in MathJax. Nothing here knows a command's meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from elbo_suite.identities.errors import CannotParse

# A derivation never writes a 100-digit number; a longer run is hostile input, refused here so
# that no later stage converts it (Python's int-from-string limit is 4300 digits).
MAX_DIGITS = 100


@dataclass(slots=True)
class Token:
    # "cmd"   \name or \<symbol>: value is the name without the backslash ("alpha", ",", "{")
    # "char"  one character: letters, digits are "num", punctuation, braces, "&", "^", "_"
    # "num"   a run of digits, possibly with one decimal point
    # "param" #1 .. #9 inside a macro body
    # "text"  a text group read as words (\text{...}, \mathrm{KL}): value is the words; made by
    #         the parser's normalisation, never by the lexer
    # "open" / "close" / "bar"  visible delimiters after normalisation: value "(", "[", "\\{",
    #         "<", "|", "‖", "." (an invisible \left. or \right.)
    kind: str
    value: str
    pos: int = 0  # offset in the row's LaTeX (of the macro use, for expanded tokens)
    space: bool = False  # whitespace before it in the source
    style: str = ""  # for "text": the command that made it ("text", "mathrm", "operatorname", ...)

    def is_char(self, *values: str) -> bool:
        return self.kind == "char" and self.value in values

    def is_cmd(self, *values: str) -> bool:
        return self.kind == "cmd" and self.value in values

    def show(self) -> str:
        if self.kind == "cmd":
            return "\\" + self.value
        if self.kind == "text":
            return f"\\{self.style or 'text'}{{{self.value}}}"
        if self.kind == "param":
            return "#" + self.value
        if self.kind in ("open", "close", "bar") and self.value == ".":
            return ("\\left." if self.kind == "open" else "\\right.")
        return self.value

    def moved(self, pos: int) -> "Token":
        return replace(self, pos=pos)


_LEXEME = re.compile(r"(?P<space>\s+)|(?P<comment>%[^\n]*)|(?P<cmd>\\[A-Za-z]+|\\[\s\S]?)"
                     r"|(?P<param>#\d)|(?P<num>\d+(?:\.\d+)?)|(?P<char>[\s\S])")


def tokenize(tex: str) -> list[Token]:
    """The tokens of ``tex``; CannotParse for a number longer than MAX_DIGITS."""
    tokens: list[Token] = []
    space = False
    append = tokens.append
    for m in _LEXEME.finditer(tex):
        kind = m.lastgroup
        if kind == "space" or kind == "comment":  # a comment runs to the end of the line
            space = True
            continue
        text = m.group()
        if kind == "cmd":
            if len(text) == 1:
                continue  # a lone trailing backslash is nothing
            append(Token("cmd", text[1:], m.start(), space))
        elif kind == "param":
            append(Token("param", text[1], m.start(), space))
        elif kind == "num":
            digits = len(text.split(".")[0])
            if digits > MAX_DIGITS or len(text) > MAX_DIGITS + 1:
                raise CannotParse(f"a number of {len(text.replace('.', ''))} digits (more than {MAX_DIGITS})",
                                  text[:12] + "...")
            append(Token("num", text, m.start(), space))
        else:
            append(Token("char", text, m.start(), space))
        space = False
    return tokens


# Spacing commands that are spaces between words in a text group.
TEXT_SPACES = {",", ";", ":", " ", "quad", "qquad", "enspace", "thinspace", "medspace", "thickspace"}


def words_of(tokens: list[Token]) -> str:
    """The words of a text group: spacing commands are spaces, everything else as written."""
    parts: list[str] = []
    for t in tokens:
        if t.space:
            parts.append(" ")
        if t.kind == "cmd" and t.value in TEXT_SPACES:
            parts.append(" ")
        elif t.kind == "cmd" and not t.value.isalpha():
            parts.append(t.value)  # \_ \% \$ \& \{ in text
        elif t.kind in ("char", "num", "text"):
            parts.append(t.value)
        elif t.kind == "cmd":
            parts.append("\\" + t.value)
        else:
            parts.append(t.show())
    return " ".join("".join(parts).split())


def source_of(tokens: list[Token]) -> str:
    """A LaTeX rendering of tokens (for evidence and for text arguments)."""
    out: list[str] = []
    for k, t in enumerate(tokens):
        if t.space and out:
            out.append(" ")
        s = t.show()
        if t.kind == "cmd" and s[1:].isalpha() and k + 1 < len(tokens) and \
                tokens[k + 1].kind in ("char", "num", "cmd") and not tokens[k + 1].space and \
                (tokens[k + 1].value[:1].isalpha() or tokens[k + 1].kind == "num"):
            s += " "
        out.append(s)
    return "".join(out)


def closing_brace(tokens: list[Token], i: int) -> int | None:
    """Index of the '}' that closes the '{' at tokens[i] (nested groups skipped), or None if it
    is never closed."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].is_char("{"):
            depth += 1
        elif tokens[j].is_char("}"):
            depth -= 1
            if depth == 0:
                return j
    return None
