"""Fonts. Bold, italic, sans-serif and typewriter are typography: ``\\mathbf{x}`` is ``x``.
Calligraphic, script, fraktur and blackboard letters are other symbols: ``\\mathcal{L}`` is
``Var("L", marks=("cal",))``, not the sample count ``L``; some of them are notation of their
own (``\\mathbb{E}``, ``\\mathcal{N}``), registered as STYLED entries by their families.
"""

from __future__ import annotations

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.accents import marked
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY, STYLED, WORD

TYPOGRAPHY = ("mathbf", "boldsymbol", "bm", "pmb", "mathbfit", "mathit", "mathnormal", "mathsf",
              "mathtt", "mathsfit", "bold", "symbf", "symbfit", "symit", "symsf", "mathbold",
              "boldmath", "textup")
SWITCHES = ("bf", "it", "sf", "tt", "mit", "bfseries", "itshape")
STYLES = {"mathcal": "cal", "cal": "cal", "mathscr": "scr", "scr": "scr", "mathfrak": "frak",
          "frak": "frak", "mathbb": "bb", "Bbb": "bb", "mathbbm": "bb", "mathds": "bb",
          "symcal": "cal", "symscr": "scr", "symbb": "bb", "mathbbb": "bb"}


def _typography(p, name, toks):
    return p.parse(toks, what=f"argument of \\{name}")


def _switch(p, name):
    return p.atom()  # {\bf x}: the next symbol, in bold


def _styled(p, name, toks):
    style = STYLES[name]
    letters = [t for t in toks]
    if len(letters) == 1 and letters[0].kind in ("char", "num", "text"):
        letter = letters[0].value
        e = REGISTRY.get(STYLED, f"{style} {letter}")
        if e is not None:
            return e.handler(p, letter)
        return n.Var(letter, marks=(style,))
    word = "".join(t.value for t in letters if t.kind == "char")
    if len(word) == len(letters) and REGISTRY.has(WORD, word):
        node = REGISTRY.get(WORD, word).handler(p, word)
        if node is not None:
            return node
    return marked(p.parse(toks, what=f"argument of \\{name}"), style)


REGISTRY.define(COMMAND, TYPOGRAPHY, "a bold, italic or sans-serif font: typography, the same symbol",
                args=("raw",), handler=_typography, value="typography", family="fonts")
REGISTRY.define(COMMAND, SWITCHES, "a font switch ({\\bf x}): typography", handler=_switch,
                family="fonts")
REGISTRY.define(COMMAND, tuple(STYLES), "a calligraphic, script, fraktur or blackboard letter: "
                "another symbol", args=("raw",), handler=_styled, family="fonts")
