r"""Bare display environments outside any other delimiter: ``\begin{equation}``, ``align``,
``gather``, ``multline``, ``flalign``, ``alignat``, ``eqnarray``, ``displaymath`` (starred or
not). MathJax reads them anywhere in a page; LaTeX documents write little else.
"""

from __future__ import annotations

import re

from elbo_suite.identities.reader.spans import Span

DISPLAY = ("equation", "align", "gather", "multline", "flalign", "alignat", "eqnarray",
           "displaymath", "dmath", "xalignat", "xxalignat", "math*")
# The star may be escaped for Markdown (\begin{align\*}): MathJax sees align* after Markdown.
_BEGIN = re.compile(r"\\begin\{(" + "|".join(DISPLAY) + r")((?:\\?\*)?)\}")


def find(view: str) -> tuple[list[Span], int | None]:
    spans: list[Span] = []
    pos = 0
    while True:
        m = _BEGIN.search(view, pos)
        if m is None:
            return spans, None
        name = m.group(1) + m.group(2)
        pattern = re.compile(r"\\(begin|end)\{" + re.escape(m.group(1)) + (r"\\?\*" if m.group(2) else "")
                             + r"\}")
        depth, k, end = 1, m.end(), None
        while depth:
            e = pattern.search(view, k)
            if e is None:
                break
            depth += 1 if e.group(1) == "begin" else -1
            k = e.end()
            if depth == 0:
                end = e.end()
        if end is None:
            return spans, m.start()
        spans.append(Span(m.start(), end, m.start(), end, "environment"))
        pos = end
