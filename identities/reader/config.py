"""What a document says about its own rendering: macros and equation numbering from YAML front
matter (``macros:``, ``katex: true``), from a MathJax or KaTeX configuration script in the page
(``tex: {macros: {...}, tags: 'ams'}``, ``TeX: {Macros: ..., equationNumbers: {autoNumber:
"AMS"}}``, ``renderMathInElement(..., {macros: {...}})``), and the signs of a Jekyll (kramdown)
post.
"""

from __future__ import annotations

import re

from elbo_suite.identities.latex.macros import MacroTable

_JS_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\''


def _js_unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _yaml_unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return _js_unquote(s)
    if len(s) >= 2 and s[0] == s[-1] == "'":
        return s[1:-1].replace("''", "'")
    return s


def _object_after(text: str, start: int) -> str | None:
    """The {...} object starting at text[start] == '{' (strings and nesting respected)."""
    depth = 0
    k = start
    while k < len(text):
        c = text[k]
        if c in "\"'":
            m = re.compile(_JS_STRING).match(text, k)
            k = m.end() if m else k + 1
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return text[start + 1:k]
        k += 1
    return None


_JS_ENTRY = re.compile(r"""\s*(?:(?P<key>[A-Za-z_$][\w$]*)|(?P<qkey>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))\s*:\s*"""
                       r"""(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\[\s*(?P<lstr>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*,\s*(?P<n>\d+)(?:\s*,\s*(?P<dflt>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))?\s*\])\s*,?""")


def macros_from_js(text: str, origin: str) -> MacroTable:
    """``macros: { E: "\\\\mathbb{E}", KL: ["...", 2] }`` objects anywhere in a script."""
    table = MacroTable()
    for m in re.finditer(r"\b[Mm]acros\s*:\s*\{", text):
        body = _object_after(text, m.end() - 1)
        if body is None:
            continue
        for e in _JS_ENTRY.finditer(body):
            key = e.group("key") or _js_unquote(e.group("qkey"))
            if e.group("str") is not None:
                table.define_text(key, _js_unquote(e.group("str")), 0, origin)
            else:
                default = _js_unquote(e.group("dflt")) if e.group("dflt") else None
                table.define_text(key, _js_unquote(e.group("lstr")), int(e.group("n")), origin, default)
    return table


def macros_from_yaml(front: str) -> MacroTable:
    """``macros:`` in front matter: a block mapping, or an inline {...} object."""
    table = macros_from_js(front, "front matter")
    lines = front.split("\n")
    for k, line in enumerate(lines):
        m = re.match(r"^(\s*)[Mm]acros\s*:\s*$", line)
        if not m:
            continue
        indent = len(m.group(1))
        for entry in lines[k + 1:]:
            if not entry.strip():
                continue
            if len(entry) - len(entry.lstrip()) <= indent:
                break
            e = re.match(r"^\s*([\"']?)\\?\\?([A-Za-z]+)\1\s*:\s*(.+?)\s*$", entry)
            if not e:
                continue
            name, value = e.group(2), e.group(3)
            lst = re.match(r"^\[\s*(" + _JS_STRING + r")\s*,\s*(\d+)\s*\]$", value)
            if lst:
                table.define_text(name, _yaml_unquote(lst.group(1)), int(lst.group(2)), "front matter")
            else:
                table.define_text(name, _yaml_unquote(value), 0, "front matter")
    return table


def numbering_from(front: str, scripts: list[str]) -> tuple[str, str] | None:
    """(renderer key, basis) when the document configures its renderer."""
    for script in scripts:
        m = re.search(r"\btags\s*:\s*['\"](ams|all|none)['\"]", script)
        if m:
            return f"mathjax-{m.group(1)}", f"configured in the document (MathJax tags: '{m.group(1)}')"
        m = re.search(r"autoNumber\s*:\s*['\"](AMS|ams|all|none)['\"]", script)
        if m:
            key = m.group(1).lower()
            return f"mathjax-{key}", f"configured in the document (MathJax autoNumber: \"{m.group(1)}\")"
    if any(re.search(r"katex|renderMathInElement", s, re.I) for s in scripts):
        return "katex", "configured in the document (a KaTeX script)"
    if re.search(r"^\s*(katex\s*:\s*true|math\s*:\s*['\"]?katex|markdown\s*:\s*katex|"
                 r"math_engine\s*:\s*['\"]?katex)", front, re.I | re.M):
        return "katex", "configured in the front matter (KaTeX)"
    return None


def jekyll(front: str, text: str) -> bool:
    """Signs of a Jekyll post, whose Markdown is kramdown."""
    if re.search(r"^\s*(layout|permalink)\s*:", front, re.M):
        return True
    return bool(re.search(r"\{%\s*(raw|include|highlight|endraw|assign|if|for|link|post_url)\b", text)
                or re.search(r"^\{:\s*[.#]", text, re.M))
