"""GitHub-Markdown pieces every report section uses: tables, captions and figures."""

from __future__ import annotations

from collections.abc import Sequence

from elbo_suite.numbers import number


def cell(value: object, digits: int = 4) -> str:
    """A table cell: numbers through `elbo_suite.numbers.number`, pipes escaped, one line."""
    return number(value, digits).replace("|", "\\|").replace("\n", " ")


def caption(text: str) -> str:
    """The line under a table or figure that says what to look at."""
    return f"*{text.strip()}*\n"


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], caption_text: str = "", *,
          digits: int = 4) -> str:
    lines = ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v, digits) for v in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    return text + ("\n" + caption(caption_text) if caption_text else "")


def figure(path: str, alt: str, caption_text: str) -> str:
    return f"![{alt}]({path})\n\n" + caption(caption_text)
