"""Brackets and bars, however they are spelt, and their size commands.

After normalisation a bracket is an ``open`` or ``close`` token and a bar a ``bar`` token:
``\\left(``, ``\\bigl(`` and ``(`` are the same; ``\\vert``, ``\\mid`` and ``|`` are one bar
(the conditional bar in a density, an absolute value elsewhere); ``\\|``, ``\\Vert`` and
``\\parallel`` are the double bar of a norm or a KL divergence.
"""

from __future__ import annotations

from elbo_suite.identities.notation.registry import DELIMITER, REGISTRY

_D = [
    (("(",), ("open", "("), "an opening parenthesis"),
    ((")",), ("close", ")"), "a closing parenthesis"),
    (("[", "lbrack"), ("open", "["), "an opening square bracket"),
    (("]", "rbrack"), ("close", "]"), "a closing square bracket"),
    (("\\{", "lbrace", "lcurly"), ("open", "{"), "an opening brace (visible)"),
    (("\\}", "rbrace", "rcurly"), ("close", "}"), "a closing brace (visible)"),
    (("langle", "lang", "lAngle"), ("open", "<"), "an opening angle bracket"),
    (("rangle", "rang", "rAngle"), ("close", ">"), "a closing angle bracket"),
    (("lfloor",), ("open", "⌊"), "an opening floor bracket"),
    (("rfloor",), ("close", "⌋"), "a closing floor bracket"),
    (("lceil",), ("open", "⌈"), "an opening ceiling bracket"),
    (("rceil",), ("close", "⌉"), "a closing ceiling bracket"),
    (("lvert",), ("open", "|"), "an opening bar"),
    (("rvert",), ("close", "|"), "a closing bar"),
    (("lVert",), ("open", "‖"), "an opening double bar"),
    (("rVert",), ("close", "‖"), "a closing double bar"),
    (("vert", "mid", "divides"), ("bar", "|"), "a bar: conditional or absolute value"),
    (("\\|", "Vert", "parallel", "Arrowvert"), ("bar", "‖"), "a double bar: a norm, or between KL arguments"),
    (("left", "bigl", "Bigl", "biggl", "Biggl"), ("left", None), "a sized opening delimiter"),
    (("right", "bigr", "Bigr", "biggr", "Biggr"), ("right", None), "a sized closing delimiter"),
    (("big", "Big", "bigg", "Bigg", "middle", "bigm", "Bigm", "biggm", "Biggm"), ("sized", None),
     "a size for the delimiter that follows"),
]
for names, value, meaning in _D:
    REGISTRY.define(DELIMITER, names, meaning, value=value, family="delimiters")
REGISTRY.define(DELIMITER, ("|",), "a bar: the conditional bar, or an absolute value",
                value=("bar", "|"), family="delimiters")
