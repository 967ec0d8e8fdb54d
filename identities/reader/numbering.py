"""Equation numbering as each renderer does it, and the conventions a document was read under.

Renderers differ (MathJax documentation, "Automatic Equation Numbering"; KaTeX's AMS
environments; LaTeX's amsmath):
- MathJax with ``tags: 'ams'``: every row of align/gather/eqnarray/flalign/alignat takes the next
  number of one page-wide counter, equation and multline take one; starred environments,
  ``$$...$$`` and ``\\[...\\]`` take none; ``\\nonumber``/``\\notag`` suppress a row's number;
  ``\\tag{x}`` shows x instead and does not step the counter;
- MathJax with ``tags: 'all'``: as 'ams', and every other display takes one number too;
- MathJax with ``tags: 'none'`` (its default): nothing is numbered; ``\\tag`` still shows;
- KaTeX: as 'ams' for equation, align, gather and alignat (CSS counter across the page); it has no
  eqnarray, multline or flalign;
- LaTeX: as MathJax 'ams'.
"""

from __future__ import annotations

from dataclasses import dataclass

ROW_CONTAINERS = {"align", "aligned", "split", "gather", "gathered", "eqnarray", "multline",
                  "flalign", "alignat", "alignedat", "xalignat", "xxalignat", "equation",
                  "displaymath", "math", "dmath", "darray"}


@dataclass(frozen=True)
class Renderer:
    key: str
    name: str
    numbered_rows: frozenset[str]  # environments that number each row
    numbered_once: frozenset[str]  # environments that number the whole display once
    number_every_display: bool = False  # 'all': a bare display takes a number too
    rule: str = ""

    def numbering(self, environment: str | None) -> str:
        """'rows', 'once' or 'none' for a display whose outermost environment is ``environment``."""
        if environment is None:
            return "once" if self.number_every_display else "none"
        starred = environment.endswith("*")
        base = environment.rstrip("*")
        if starred:
            return "none"
        if base in self.numbered_rows:
            return "rows"
        if base in self.numbered_once:
            return "once"
        return "once" if self.number_every_display and base in ROW_CONTAINERS else "none"


_AMS_ROWS = frozenset({"align", "gather", "eqnarray", "flalign", "alignat", "xalignat", "xxalignat"})
_AMS_ONCE = frozenset({"equation", "multline", "dmath"})
_AMS_RULE = ("align/gather/eqnarray rows and equation/multline displays numbered on one counter; "
             "starred environments, $$, \\[ and \\nonumber rows unnumbered; \\tag shows its own label")

RENDERERS = {
    "mathjax-ams": Renderer("mathjax-ams", "MathJax with AMS numbering", _AMS_ROWS, _AMS_ONCE,
                            rule=_AMS_RULE),
    "mathjax-all": Renderer("mathjax-all", "MathJax numbering every display", _AMS_ROWS, _AMS_ONCE,
                            True, rule="as AMS, and every other display numbered once"),
    "mathjax-none": Renderer("mathjax-none", "MathJax without automatic numbering", frozenset(),
                             frozenset(), rule="nothing numbered; \\tag shows its own label"),
    "katex": Renderer("katex", "KaTeX", frozenset({"align", "gather", "alignat"}),
                      frozenset({"equation"}),
                      rule="align/gather/alignat rows and equation numbered; no eqnarray, multline "
                           "or flalign; starred, $$ and \\nonumber rows unnumbered; \\tag shows its label"),
    "latex": Renderer("latex", "LaTeX (amsmath)", _AMS_ROWS, _AMS_ONCE, rule=_AMS_RULE),
}


@dataclass(frozen=True)
class Conventions:
    """How a document was read: its renderer's numbering, its Markdown dialect, its escaping."""

    renderer: str  # a key of RENDERERS
    dialect: str  # "CommonMark", "kramdown (Jekyll)", "GitHub", "LaTeX"
    escaped: bool  # math escaped for Markdown (\_ for _, \\\\ for a row break)
    basis: str  # why this renderer: "configured in the document (...)" or "assumed: ..."

    def describe(self) -> str:
        r = RENDERERS[self.renderer]
        parts = [f"numbering: {r.name} ({r.rule}) [{self.basis}]", f"syntax: {self.dialect}"]
        if self.dialect.startswith("kramdown"):
            parts[-1] += " ($$ inside a line of prose is inline math)"
        if self.escaped:
            parts.append("math escaped for Markdown (\\_ read as _, \\\\\\\\ as a row break)")
        return "; ".join(parts)
