"""Spacing, sizes, colours and labels: no meaning, dropped before parsing.

Wide spaces (``\\quad``, ``\\qquad``) are kept until the row is split: between a statement and
a side condition they separate the two (``x_t = \\ldots \\quad t = 1, \\dots, T``).
"""

from __future__ import annotations

from elbo_suite.identities.notation.registry import IGNORED, REGISTRY, SEPARATOR

REGISTRY.define(IGNORED, ("\\,", "\\;", "\\:", "\\!", "\\ ", "\\>", "enspace", "thinspace", "medspace",
                          "thickspace", "negthinspace", "negmedspace", "negthickspace", "hfill",
                          "quad*"),
                "a small space", value=0, family="spacing")
REGISTRY.define(IGNORED, ("~",), "a non-breaking space", value=0, family="spacing")
REGISTRY.define(IGNORED, ("hspace", "vspace", "hskip", "mspace", "phantom", "hphantom",
                          "vphantom", "label", "tag", "color", "textcolor", "colorbox", "raisebox",
                          "hypertarget", "htmlId", "htmlClass", "htmlStyle", "class", "cssId",
                          "style"),
                "spacing, an invisible box, a label or a colour, with its one argument",
                value=1, family="spacing")
REGISTRY.define(IGNORED, ("fcolorbox", "href", "texttip", "mathtip"),
                "a frame colour or a link, with its two arguments", value=2, family="spacing")
REGISTRY.define(IGNORED, ("displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "limits",
                          "nolimits", "nonumber", "notag", "mathstrut", "strut", "allowbreak",
                          "nobreak", "displaybreak", "relax", "protect", "ensuremath", "mathrel",
                          "mathbin", "mathpunct", "mathinner", "mathopen", "mathclose", "mathclap",
                          "mathllap", "mathrlap", "clap", "llap", "rlap", "smash", "tiny",
                          "scriptsize", "footnotesize", "small", "normalsize", "large", "Large",
                          "LARGE", "huge", "Huge", "hline", "noindent", "centering", "left.",
                          "newline", "cr", "crcr", "iffalse", "fi", "unicode", "mathchoice",
                          "vcenter", "hbox*", "nolinebreak", "displaylimits"),
                "a style, size or break: no meaning", value=0, family="spacing")
REGISTRY.define(SEPARATOR, ("quad", "qquad", "hquad", "qqquad"),
                "a wide space: separates a side condition from the statement", family="spacing")
