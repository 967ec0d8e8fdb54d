r"""Markdown escapes inside math, undone only where the document escapes its math.

Hugo, Hexo and similar pipelines pass math through Markdown, so authors write ``\_`` for ``_``
and four backslashes for a row break. Documents whose renderer protects math (GitHub, pandoc,
kramdown's own ``$$``) write plain LaTeX, where two backslashes are a row break and must be kept.
One sign of escaping anywhere in the document's display math decides.
"""

from __future__ import annotations

# Markdown escapes that reach the math: `\\` renders `\`, `\_` renders `_`, `\*` renders `*`.
# Other `\<punctuation>` pairs are kept: in math they are LaTeX (`\,`, `\{`, `\|`).
MARKDOWN_ESCAPED = "\\_*"


def unescape_markdown(raw: str) -> tuple[str, list[int]]:
    """Undo Markdown backslash escapes; return the text and, per output char, its raw index."""
    out: list[str] = []
    where: list[int] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in MARKDOWN_ESCAPED:
            out.append(raw[i + 1])
            where.append(i)
            i += 2
        else:
            out.append(raw[i])
            where.append(i)
            i += 1
    return "".join(out), where


def escapes_math(raws: list[str]) -> bool:
    r"""Whether the document escapes its math for Markdown: four backslashes, ``\_`` or ``\*``."""
    return any("\\\\\\\\" in raw or "\\_" in raw or "\\*" in raw for raw in raws)
