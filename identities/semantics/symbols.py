"""Sympy symbols for the document's own names, with the assumptions their notation implies."""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp

# Scale-like names are positive: a standard deviation, a variance, a sample count.
_POSITIVE = {"sigma", "tau", "s", "v", "lambda", "beta", "alpha"}
_COUNTS = {"L", "T", "N", "K", "M"}


# An accent leaves a scale a scale: bar{alpha}_t, tilde{beta}_t, hat{sigma} keep their sign.
_ACCENTED = re.compile(r"^(?:bar|tilde|hat|check|breve|dot|ddot)\{(.+)\}$")


@lru_cache(maxsize=None)
def doc_symbol(name: str) -> sp.Symbol:
    base = name.split("_")[0].split("(")[0]
    while _ACCENTED.match(base):
        base = _ACCENTED.match(base).group(1)
    base = base.rstrip("*'")
    if base in _COUNTS:
        return sp.Symbol(name, positive=True, integer=True)
    if base in _POSITIVE:
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)
