"""Accents: a mark over a letter makes another symbol (\\bar\\alpha_t is not \\alpha_t).

``\\bar{\\alpha}_t``, ``\\bar\\alpha_t``, ``\\overline{\\alpha}_t`` and ``\\bar{\\alpha_t}`` all read
as ``Var("alpha", Var("t"), marks=("bar",))``. An accent over an expression that is not a symbol
(``\\overline{x+y}``) becomes ``Operator("bar", (x+y,))``. ``\\vec`` and ``\\underline`` mark a
vector, which is typography here like bold.
"""

from __future__ import annotations

from dataclasses import replace

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY

ACCENTS = {"bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde",
           "hat": "hat", "widehat": "hat", "dot": "dot", "ddot": "ddot", "dddot": "dddot",
           "check": "check", "widecheck": "check", "breve": "breve", "acute": "acute",
           "grave": "grave", "mathring": "ring"}


def marked(node: n.Node, mark: str) -> n.Node:
    if isinstance(node, (n.Var, n.FuncApp, n.Density)):
        return replace(node, marks=node.marks + (mark,))
    return n.Operator(mark, (node,))


def _accent(p, name, arg):
    return marked(arg, ACCENTS[name])


def _vector(p, name, arg):
    return arg


REGISTRY.define(COMMAND, tuple(ACCENTS), "an accent: the marked letter is another symbol",
                args=("math",), handler=_accent, family="accents")
REGISTRY.define(COMMAND, ("vec", "overrightarrow", "underline", "underbar"),
                "a vector mark: typography, the same symbol", args=("math",), handler=_vector,
                family="accents")
