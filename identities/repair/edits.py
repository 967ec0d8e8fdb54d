"""Single edits of a row's LaTeX, one family of slips per function.

Each edit kind yields (what it does, the edited LaTeX) for every place it applies. Edits work on
the text as written, so the corrected row keeps the author's own notation; a kind is registered
once in KINDS, in the order the search tries them (cheapest and most common slips first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

Edit = tuple[str, str]  # (description, edited LaTeX)


@dataclass(frozen=True)
class Lexeme:
    kind: str  # "cmd", "char", "group" ({...} as one unit is not produced; braces are chars)
    value: str
    start: int
    end: int


_CMD = re.compile(r"\\([A-Za-z]+|.)")


def lex(tex: str) -> list[Lexeme]:
    out = []
    i = 0
    while i < len(tex):
        c = tex[i]
        if c.isspace():
            i += 1
            continue
        if c == "\\":
            m = _CMD.match(tex, i)
            if m:
                out.append(Lexeme("cmd", m.group(1), i, m.end()))
                i = m.end()
                continue
        out.append(Lexeme("char", c, i, i + 1))
        i += 1
    return out


def group_end(tex: str, start: int) -> int | None:
    """Index just past the {...} group that opens at tex[start] == '{'."""
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


def _ordinal(k: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}.get(k, f"{k}th")


def _splice(tex: str, start: int, end: int, new: str) -> str:
    return tex[:start] + new + tex[end:]


def _body_start(tex: str) -> int:
    """Where the edited part begins: after the first top-level relation of a continuation row
    ('&=' ...), else 0."""
    m = re.match(r"\s*&\s*(=|\\geq|\\leq|\\ge|\\le|\\propto|\\approx|<|>)", tex)
    return m.end() if m else 0


def _right_side(tex: str) -> int:
    """Where the right side of the row's first relation begins (0 when there is none)."""
    depth = 0
    for m in re.finditer(r"\\[A-Za-z]+|[{}()=<>]|\[|\]", tex):
        tok = m.group(0)
        if tok in "{([":
            depth += 1
        elif tok in "})]":
            depth -= 1
        elif depth == 0 and tok in {"=", "<", ">", "\\geq", "\\leq", "\\ge", "\\le", "\\approx",
                                     "\\propto"}:
            return m.end()
    return 0


# -- edit kinds ------------------------------------------------------------------------------------
def remove_log(tex: str, context: dict) -> Iterator[Edit]:
    logs = [x for x in lex(tex) if x.kind == "cmd" and x.value in {"log", "ln"} and x.start >= _body_start(tex)]
    for k, x in enumerate(logs, start=1):
        where = "inner " if len(logs) == 2 and k == 2 and _nested(tex, logs[0], x) else \
            (f"{_ordinal(k)} " if len(logs) > 1 else "")
        yield f"the {where}\\{x.value} is removed", _splice(tex, x.start, x.end, "")


def _nested(tex: str, outer: Lexeme, inner: Lexeme) -> bool:
    """Whether `inner` sits inside brackets opened after `outer`."""
    depth = 0
    for c in tex[outer.end:inner.start]:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
    return depth > 0


def insert_log(tex: str, context: dict) -> Iterator[Edit]:
    start = _body_start(tex)
    for x in lex(tex):
        if x.start < start or x.kind != "char" or x.value not in "pq":
            continue
        nxt = tex[x.end:x.end + 1]
        prev = tex[:x.start].rstrip()
        if nxt not in {"(", "_"} or prev.endswith("\\log") or prev.endswith("\\"):
            continue
        if prev.endswith("{") and prev[:-1].rstrip().endswith(("\\boldsymbol", "\\mathbf")):
            continue
        yield f"a \\log is inserted before the density at column {x.start}", \
            _splice(tex, x.start, x.start, "\\log ")


def flip_sign(tex: str, context: dict) -> Iterator[Edit]:
    start = _body_start(tex)
    depth_script = _script_mask(tex)
    for i, c in enumerate(tex):
        if i < start or depth_script[i] or c not in "+-":
            continue
        prev = tex[:i].rstrip()
        if c == "-" and (prev.endswith(("(", "{", "[", "=", "&")) or not prev):
            yield "the leading minus sign is dropped", _splice(tex, i, i + 1, "")
            continue
        yield (f"the sign '{c}' at column {i} is flipped to '{'-' if c == '+' else '+'}'",
               _splice(tex, i, i + 1, "-" if c == "+" else "+"))
    if start:
        yield "the right side is negated", _splice(tex, start, start, "-")


def _script_mask(tex: str) -> list[bool]:
    """True for characters inside a subscript or superscript group."""
    mask = [False] * len(tex)
    i = 0
    while i < len(tex):
        if tex[i] in "_^" and i + 1 < len(tex) and tex[i + 1] == "{":
            end = group_end(tex, i + 1)
            if end:
                for j in range(i, end):
                    mask[j] = True
                i = end
                continue
        i += 1
    return mask


_REVERSE = {"\\geq": "\\leq", "\\leq": "\\geq", "\\ge": "\\le", "\\le": "\\ge", ">": "<", "<": ">"}


def reverse_relation(tex: str, context: dict) -> Iterator[Edit]:
    for x in lex(tex):
        key = ("\\" + x.value) if x.kind == "cmd" else x.value
        if key in _REVERSE and (x.kind == "cmd" or not _script_mask(tex)[x.start]):
            yield f"the relation {key} is reversed to {_REVERSE[key]}", _splice(tex, x.start, x.end, _REVERSE[key])


_INDEX = re.compile(r"^(?P<base>[a-zA-Z])(?P<off>[+-]\d+)?$")


def _shifted(index: str, delta: int) -> str | None:
    s = index.replace(" ", "")
    if s.isdigit():
        v = int(s) + delta
        return str(v) if v >= 0 else None
    m = _INDEX.match(s)
    if not m:
        return None
    off = int(m.group("off") or 0) + delta
    return m.group("base") + (f"{off:+d}" if off else "")


def shift_index(tex: str, context: dict) -> Iterator[Edit]:
    """x_{t-1} -> x_t or x_{t-2}, one subscript at a time; sum and product bounds by one."""
    start = _body_start(tex)
    i = 0
    while i < len(tex):
        if tex[i] in "_^" and i >= start:
            script = tex[i]
            if i + 1 < len(tex) and tex[i + 1] == "{":
                end = group_end(tex, i + 1)
                inner = tex[i + 2:end - 1] if end else ""
            else:
                end = i + 2
                inner = tex[i + 1:end]
            if end is None:
                break
            before = re.sub(r"_(\{[^{}]*\}|\w)$", "", tex[:i].rstrip()).rstrip() if script == "^" \
                else tex[:i].rstrip()
            bound = before.endswith(("\\sum", "\\prod"))
            if bound and script == "_" and "=" in inner:
                var, low = inner.split("=", 1)
                for delta in (-1, 1):
                    new = _shifted(low, delta)
                    if new is not None:
                        yield (f"the lower bound {var}={low.strip()} becomes {var}={new}",
                               _splice(tex, i, end, f"_{{{var}={new}}}"))
            elif (bound and script == "^") or (script == "_" and not bound):
                for delta in (-1, 1):
                    new = _shifted(inner, delta)
                    if new is not None and new != inner:
                        what = "upper bound" if bound else "subscript"
                        yield (f"the {what} {inner.strip()} at column {i} becomes {new}",
                               _splice(tex, i, end, f"{script}{{{new}}}"))
            i = end
            continue
        i += 1


_GREEK_SCALES = {"sigma", "alpha", "beta", "tau", "lambda"}


def square_or_unsquare(tex: str, context: dict) -> Iterator[Edit]:
    start = _body_start(tex)
    for m in re.finditer(r"\^\{?2\}?", tex):
        if m.start() >= start:
            yield f"the square at column {m.start()} is removed", _splice(tex, m.start(), m.end(), "")
    for x in lex(tex):
        if x.start < start:
            continue
        if x.kind == "cmd" and x.value == "sqrt" and tex[x.end:x.end + 1] == "{":
            end = group_end(tex, x.end)
            if end:
                yield (f"the square root at column {x.start} is removed",
                       _splice(tex, x.start, end, tex[x.end:end]))
        if x.kind == "cmd" and x.value in _GREEK_SCALES:
            end = x.end
            if tex[end:end + 1] == "_":
                end = group_end(tex, end + 1) if tex[end + 1:end + 2] == "{" else end + 2
            if end is None or tex[end:end + 1] == "^":
                continue
            prev = tex[:x.start].rstrip()
            if prev.endswith("\\sqrt{") or prev.endswith("\\bar") or prev.endswith("\\sqrt"):
                # \sqrt{\alpha_t}: the root is the factor; \bar\alpha_t: the accent belongs to it
                continue
            yield f"\\{x.value} at column {x.start} is squared", _splice(tex, end, end, "^2")
            yield (f"\\{x.value} at column {x.start} is put under a square root",
                   _splice(tex, x.start, end, "\\sqrt{" + tex[x.start:end] + "}"))


def drop_factor(tex: str, context: dict) -> Iterator[Edit]:
    start = _body_start(tex)
    for m in re.finditer(r"\\frac\{1\}", tex):
        if m.start() < start:
            continue
        end = group_end(tex, m.end())
        if end:
            yield f"the factor {tex[m.start():end]} is dropped", _splice(tex, m.start(), end, "")


def insert_factor(tex: str, context: dict) -> Iterator[Edit]:
    """A factor 1/2, 1/L, or one the neighbouring rows use, in front of the right side or of a sum."""
    start = _body_start(tex)
    factors = ["\\frac{1}{2}"]
    if re.search(r"\bL\b|\^\{?L\}?", tex):
        factors.append("\\frac{1}{L}")
    factors += [f for f in context.get("factors", []) if f not in factors and f not in tex]
    spots = [(_right_side(tex), "in front of the right side")]
    if not start:
        spots.append((len(tex) - len(tex.lstrip()), "in front of the left side"))
    for x in lex(tex):
        if x.kind == "cmd" and x.value in {"sum", "prod"} and x.start >= start:
            spots.append((x.start, f"in front of the \\{x.value} at column {x.start}"))
    for factor in factors:
        for spot, where in spots:
            yield f"the factor {factor} is inserted {where}", _splice(tex, spot, spot, factor)


def divide_argument(tex: str, context: dict) -> Iterator[Edit]:
    """One argument of N(.;.,.) divided by a denominator the row or its neighbours use."""
    denominators = context.get("denominators", [])
    if not denominators:
        return
    for m in re.finditer(r"\\mathcal\{N\}\s*(\\left)?\(", tex):
        open_at = m.end() - 1
        depth, pieces, last = 0, [], open_at + 1
        for i in range(open_at, len(tex)):
            c = tex[i]
            if c in "({[":
                depth += 1
            elif c in ")}]":
                depth -= 1
                if depth == 0:
                    pieces.append((last, i))
                    break
            elif c in ",;" and depth == 1:
                pieces.append((last, i))
                last = i + 1
        for a, b in pieces[1:]:
            arg = tex[a:b].strip()
            arg = re.sub(r"\\right$", "", arg).strip()
            if not arg:
                continue
            for den in denominators:
                new = f"\\frac{{{arg}}}{{{den}}}"
                lead = tex[a:b].index(arg[0]) + a if arg else a
                yield (f"the argument {arg} of the Gaussian is divided by {den}",
                       _splice(tex, lead, lead + len(arg), new))


def swap_kl(tex: str, context: dict) -> Iterator[Edit]:
    for m in re.finditer(r"D_\{?\\(?:text|mathrm)\{KL\}\}?\s*(\\left)?\(|\\text\{KL\}\s*\(", tex):
        open_at = m.end() - 1
        depth = 0
        sep = close = None
        i = open_at
        while i < len(tex):
            c = tex[i]
            if c in "({[":
                depth += 1
            elif c in ")}]":
                depth -= 1
                if depth == 0:
                    close = i
                    break
            elif depth == 1 and sep is None:
                if tex.startswith("\\|", i) or tex.startswith("||", i) or tex.startswith("\\Vert", i):
                    width = 2 if not tex.startswith("\\Vert", i) else 5
                    sep = (i, i + width)
            i += 1
        if sep is None or close is None:
            continue
        a = tex[open_at + 1:sep[0]].strip()
        b = tex[sep[1]:close].strip()
        b = re.sub(r"\\right$", "", b).strip()
        if a and b:
            yield "the arguments of the KL divergence are swapped", \
                _splice(tex, open_at + 1, close, f"{b} {tex[sep[0]:sep[1]]} {a}")


_VARIABLE = re.compile(r"(\\boldsymbol\{|\\mathbf\{)?([a-z])\}?_(\{[^{}]*\}|[0-9a-zA-Z])")


def swap_variables(tex: str, context: dict) -> Iterator[Edit]:
    """Two indexed variables of the same letter exchanged throughout the right side."""
    start = _body_start(tex) or _right_side(tex)
    found: dict[str, str] = {}
    for m in _VARIABLE.finditer(tex, start):
        found.setdefault(m.group(0), m.group(2))
    names = sorted(found)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if found[a] != found[b]:
                continue
            body = tex[start:].replace(a, "\0").replace(b, a).replace("\0", b)
            yield f"{a} and {b} are exchanged", tex[:start] + body


# The order the search tries them in.
KINDS: tuple[tuple[str, Callable[[str, dict], Iterator[Edit]]], ...] = (
    ("remove a log", remove_log),
    ("reverse the relation", reverse_relation),
    ("insert a factor", insert_factor),
    ("drop a factor", drop_factor),
    ("swap the KL arguments", swap_kl),
    ("flip a sign", flip_sign),
    ("square or un-square", square_or_unsquare),
    ("shift an index by one", shift_index),
    ("divide a Gaussian's argument", divide_argument),
    ("exchange two variables", swap_variables),
    ("insert a log", insert_log),
)
