"""Token normalisation before parsing, driven by the registry.

- characters written in Unicode (``α``, ``≤``, ``−``) become their commands;
- ignored commands (spacing, sizes, ``\\label{..}``, ``\\color{..}``) disappear with their arguments;
- brackets become ``open``/``close`` tokens and bars ``bar`` tokens, whatever their spelling
  (``\\left(``, ``\\bigl[``, ``\\{``, ``\\langle``, ``\\vert``, ``\\mid``, ``\\|``, ``\\lVert``);
- text groups become one ``text`` token holding their words (``\\text{ for }``, ``\\mathrm{KL}``,
  ``{\\rm d}``); a roman group that holds math (``\\mathrm{\\Sigma}``) is only typography.
"""

from __future__ import annotations

from dataclasses import replace

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex.tokens import TEXT_SPACES, Token, closing_brace, tokenize, words_of
from elbo_suite.identities.notation.registry import (COMMAND, DELIMITER, IGNORED, REGISTRY, TEXT, UNICODE,
                                                     Registry)

def _group_end(tokens: list[Token], i: int) -> int:
    """Index after the braced group that starts at tokens[i] (or after the one token there)."""
    if i >= len(tokens):
        return i
    if not tokens[i].is_char("{"):
        return i + 1
    j = closing_brace(tokens, i)
    if j is None:
        raise CannotParse("unbalanced braces: a '{' is never closed", "{")
    return j + 1


def _unicode(tokens: list[Token], registry: Registry) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        e = registry.get(UNICODE, t.value) if t.kind == "char" and ord(t.value[0]) > 127 else None
        if e is None:
            out.append(t)
            continue
        for k, u in enumerate(tokenize(e.value)):
            out.append(Token(u.kind, u.value, t.pos, t.space if k == 0 else u.space))
    return out


def _texty(tokens: list[Token]) -> bool:
    """Whether a roman group holds words rather than math (letters, digits, spaces, punctuation)."""
    for t in tokens:
        if t.kind == "char" and (t.value.isalnum() or t.value in ".'-*"):
            continue
        if t.kind == "num" or (t.kind == "cmd" and t.value in TEXT_SPACES):
            continue
        return False
    return bool(tokens)


def _is_cjk(t: Token) -> bool:
    return t.kind == "char" and len(t.value) == 1 and ord(t.value) >= 0x2E80 and t.value.isalpha()


def _cjk_words(tokens: list[Token]) -> list[Token]:
    """Chinese or Japanese written in the math (其中, 令): words, as if in \\text{}."""
    out: list[Token] = []
    for t in tokens:
        if _is_cjk(t):
            if out and out[-1].kind == "text" and out[-1].style == "cjk":
                out[-1] = Token("text", out[-1].value + t.value, out[-1].pos, out[-1].space, "cjk")
                continue
            out.append(Token("text", t.value, t.pos, t.space, "cjk"))
            continue
        out.append(t)
    return out


def normalise(tokens: list[Token], registry: Registry = REGISTRY) -> list[Token]:
    tokens = _cjk_words(_unicode(tokens, registry))
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.is_char(".") and i + 2 < len(tokens) and tokens[i + 1].is_char(".") and \
                tokens[i + 2].is_char("."):  # x_1, ..., x_n: an ellipsis typed as three dots
            out.append(Token("cmd", "dots", t.pos, t.space))
            i += 3
            continue
        typography = t.kind == "cmd" and getattr(registry.lookup(COMMAND, t), "value", None) == "typography"
        if typography and i + 1 < len(tokens) and tokens[i + 1].kind == "char" and \
                tokens[i + 1].value in "+-=<>()[]|,;.*/":
            i += 1  # \mathbf( or \boldsymbol+: a bold sign is the sign
            continue
        if typography and i + 1 < len(tokens) and tokens[i + 1].is_char("{"):
            end = _group_end(tokens, i + 1)
            inner = tokens[i + 2:end - 1]
            if len(inner) >= 2 and all(x.kind == "char" and x.value.isalpha() for x in inner):
                # \mathsf{diag}, \mathbf{KL}: a name in a font, read as words like \mathrm{diag}
                out.append(Token("text", words_of(inner), t.pos, t.space, t.value))
                i = end
                continue
        if t.kind == "char" and registry.lookup(DELIMITER, t) is not None:
            role, bracket = registry.lookup(DELIMITER, t).value
            out.append(Token(role, bracket, t.pos, t.space))
            i += 1
            continue
        if t.kind == "char" and registry.lookup(IGNORED, t) is not None:
            i += 1
            continue
        if t.kind != "cmd":
            out.append(t)
            i += 1
            continue
        ignored = registry.lookup(IGNORED, t)
        if ignored is not None:
            j = i + 1
            for _ in range(int(ignored.value or 0)):
                while j < len(tokens) and tokens[j].is_char("*"):
                    j += 1
                j = _group_end(tokens, j)
            i = j
            continue
        delim = registry.lookup(DELIMITER, t)
        if delim is not None:
            role, bracket = delim.value
            if role in ("left", "right", "sized"):
                # \left( \right] \bigl| \big\{ : the role comes from the command (left/right) or
                # from the bracket itself (a plain size command)
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                inner = None
                if nxt is not None and nxt.is_char("."):
                    inner = (None, ".")
                elif nxt is not None and registry.lookup(DELIMITER, nxt) is not None:
                    inner = registry.lookup(DELIMITER, nxt).value
                if inner is None or inner[0] in ("left", "right", "sized"):
                    if role == "sized":  # \big alone: a size with nothing to size
                        i += 1
                        continue
                    raise CannotParse(f"\\{t.value} without a delimiter", t.show())
                kind = {"left": "open", "right": "close"}.get(role, inner[0])
                if role == "sized" and inner[1] == ".":
                    i += 2
                    continue
                out.append(Token(kind, inner[1], t.pos, t.space))
                i += 2
                continue
            out.append(Token(role, bracket, t.pos, t.space))
            i += 1
            continue
        text = registry.lookup(TEXT, t)
        if text is not None:
            style = t.value
            j = i + 1
            if j < len(tokens) and tokens[j].is_char("*"):
                style += "*"
                j += 1
            mode = text.value  # "text": always words; "roman": words if texty; "switch": {\rm ..}
            if mode == "switch":
                # {\rm d} or \rm T: the letters that follow, up to the group's end
                k = j
                while k < len(tokens) and tokens[k].kind in ("char", "num") and \
                        (tokens[k].value.isalnum()) and (k == j or not tokens[k].space):
                    k += 1
                if k == j:
                    i = j
                    continue
                out.append(Token("text", words_of(tokens[j:k]), t.pos, t.space, style))
                i = k
                continue
            if mode == "ref":  # \eqref{eq:x}: a reference, read as words
                end = _group_end(tokens, j)
                out.append(Token("text", "(" + words_of(tokens[j + 1:end - 1]) + ")", t.pos, t.space, style))
                i = end
                continue
            if j < len(tokens) and tokens[j].is_char("{"):
                end = _group_end(tokens, j)
                inner = tokens[j + 1:end - 1]
                if mode == "text" or _texty(inner):
                    out.append(Token("text", words_of(inner), t.pos, t.space, style))
                    i = end
                    continue
            # typography around math (\mathrm{\Sigma}, \mathop{\mathbb{E}}): drop the command and
            # its braces, so that what follows (scripts, brackets) applies to the content
            if j < len(tokens) and tokens[j].is_char("{"):
                end = _group_end(tokens, j)
                tokens = tokens[:j] + tokens[j + 1:end - 1] + tokens[end:]
            i = j
            continue
        out.append(t)
        i += 1
    return _unwrap_single(out)


def _unwrap_single(tokens: list[Token]) -> list[Token]:
    """``{x}`` is ``x`` (``{\\rm d}z`` is ``dz``, ``x^{2}`` is ``x^2``): a group of one token."""
    out: list[Token] = []
    k = 0
    while k < len(tokens):
        argument = k > 0 and (tokens[k - 1].kind == "cmd" or tokens[k - 1].is_char("}"))
        if tokens[k].is_char("{") and k + 2 < len(tokens) and tokens[k + 2].is_char("}") and not argument \
                and tokens[k + 1].kind in ("text", "char", "num") and not tokens[k + 1].is_char("{", "}", "&") \
                and not (tokens[k + 1].kind == "num" and len(tokens[k + 1].value) > 1):  # x^{64} is not x^6 4
            out.append(replace(tokens[k + 1], space=tokens[k].space))
            k += 3
            continue
        out.append(tokens[k])
        k += 1
    return out
