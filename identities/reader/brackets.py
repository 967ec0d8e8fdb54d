r"""``\[...\]`` display math. In a Markdown document the renderer sees ``\[`` only when the
source writes ``\\[`` (Markdown turns ``\\`` into ``\``), unless it protects math as pandoc and
Jupyter do; both spellings are read, each closed by its own kind. A bracketed citation such as
``\[1\]`` is not math: the content must look like math (a command, a script or a relation) or
span lines.
"""

from __future__ import annotations

import re

from elbo_suite.identities.reader.spans import Span

_OPEN = re.compile(r"(?<!\\)(\\{1,2})\[")


def find(view: str, kind: str) -> tuple[list[Span], int | None]:
    spans: list[Span] = []
    pos = 0
    while True:
        m = _OPEN.search(view, pos)
        if m is None:
            return spans, None
        slashes = m.group(1)
        if kind == "latex" and len(slashes) != 1:
            pos = m.end()
            continue
        close = re.compile(r"(?<!\\)" + re.escape(slashes) + r"\]").search(view, m.end())
        if close is None:
            return spans, m.start()
        content = view[m.end():close.start()]
        if "\n" not in content and not re.search(r"[\\^_=<>]", content):
            pos = close.end()  # \[1\]: a citation in brackets
            continue
        syntax = "\\[" if len(slashes) == 1 else "\\\\["
        spans.append(Span(m.start(), close.end(), m.end(), close.start(), syntax))
        pos = close.end()
