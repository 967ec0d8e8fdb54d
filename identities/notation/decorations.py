"""Decorations around an expression: braces with notes, boxes, strike-outs, labels over symbols.

``\\underbrace{x}_{\\text{note}}`` keeps its note (an annotation of the reader's); ``\\boxed``,
``\\cancel`` and their kin leave the expression as it is; ``\\underset{\\theta}{\\arg\\max}`` puts
its label as the subscript of what it decorates, which is how an optimisation's variable is
written under it.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex.tokens import words_of
from elbo_suite.identities.latex.tokens import Token
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY


def _brace(p, name, body):
    note, label = "", None
    if p.at_char("_", "^"):
        sub, sup = p.scripts()
        toks = sub or sup or []
        note = words_of(toks)
        if toks and not all(t.kind == "text" for t in toks):
            try:
                label = p.parse_statement(toks)
            except CannotParse:
                label = None  # a note that is neither words nor math stays words
    return n.Annotated(body, note, label)


def _same(p, name, body):
    return body


def _cancelto(p, name, target, body):
    return body


def _under(p, name, label, base):
    """\\underset{\\theta}{\\arg\\max} f: the label becomes the base's subscript."""
    script = "_" if name in ("underset", "underbrace*") else "^"
    p.toks[p.i:p.i] = base + [Token("char", script), Token("char", "{")] + label + [Token("char", "}")]
    if name != "underset":
        # \overset{a}{b}, \stackrel{a}{b} off a relation: the base, its label a note
        p.toks[p.i + len(base):p.i + len(base) + len(label) + 3] = []
    return p.parse_factor()


REGISTRY.define(COMMAND, ("underbrace", "overbrace", "underbracket", "overbracket",
                          "underparen", "overparen"),
                "a brace over or under an expression, with a note", args=("math",), handler=_brace,
                family="decorations")
REGISTRY.define(COMMAND, ("boxed", "fbox", "framebox", "cancel", "bcancel", "xcancel", "sout",
                          "bbox", "enclose", "mathbf*", "colorbox*", "highlight", "red", "blue",
                          "green", "gray", "orange", "purple", "ensuremath*"),
                "a box, strike-out or highlight around an expression: the expression",
                args=("math",), handler=_same, family="decorations")
REGISTRY.define(COMMAND, ("cancelto",), "an expression struck out towards a value: the expression",
                args=("raw", "math"), handler=_cancelto, family="decorations")
REGISTRY.define(COMMAND, ("underset", "overset", "stackrel"),
                "a label under or over a symbol (\\underset{\\theta}{\\arg\\max})",
                args=("raw", "raw"), handler=_under, family="decorations")
