"""Tokenizer for the LaTeX math of one display row."""

from __future__ import annotations

from dataclasses import dataclass

from elbo_suite.identities.errors import LatexSyntaxError

# Commands whose braced argument is text, kept verbatim as one token.
TEXT_COMMANDS = {"text", "textrm", "mathrm", "operatorname", "mbox", "textit", "textbf"}


@dataclass(frozen=True)
class Token:
    kind: str  # "cmd" (\name or \<symbol>), "text" (\text{...} and friends), "num", "char"
    value: str
    pos: int  # offset in the row's LaTeX

    def is_char(self, *values: str) -> bool:
        return self.kind == "char" and self.value in values

    def is_cmd(self, *values: str) -> bool:
        return self.kind == "cmd" and self.value in values

    def show(self) -> str:
        if self.kind == "cmd":
            return "\\" + self.value
        if self.kind == "text":
            return "\\text{" + self.value + "}"
        return self.value


def _braced(tex: str, i: int) -> tuple[str, int]:
    """Content of the {...} group starting at tex[i] == '{', and the index after it."""
    depth = 0
    for j in range(i, len(tex)):
        if tex[j] == "\\":
            continue
        if tex[j] == "{" and (j == 0 or tex[j - 1] != "\\"):
            depth += 1
        elif tex[j] == "}" and tex[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return tex[i + 1:j], j + 1
    raise LatexSyntaxError(f"unbalanced braces: '{{' at column {i} is never closed")


def tokenize(tex: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(tex)
    while i < n:
        c = tex[i]
        if c.isspace():
            i += 1
            continue
        if c == "\\":
            if i + 1 < n and tex[i + 1].isalpha():
                j = i + 1
                while j < n and tex[j].isalpha():
                    j += 1
                name = tex[i + 1:j]
                if name in TEXT_COMMANDS:
                    k = j
                    while k < n and tex[k].isspace():
                        k += 1
                    if k < n and tex[k] == "{":
                        content, j = _braced(tex, k)
                        tokens.append(Token("text", content, i))
                        i = j
                        continue
                tokens.append(Token("cmd", name, i))
                i = j
                continue
            if i + 1 < n:
                tokens.append(Token("cmd", tex[i + 1], i))
                i += 2
                continue
            raise LatexSyntaxError("a lone backslash ends the row")
        if c.isdigit():
            j = i
            while j < n and tex[j].isdigit():
                j += 1
            if j + 1 < n and tex[j] == "." and tex[j + 1].isdigit():
                j += 1
                while j < n and tex[j].isdigit():
                    j += 1
            tokens.append(Token("num", tex[i:j], i))
            i = j
            continue
        tokens.append(Token("char", c, i))
        i += 1
    return tokens
