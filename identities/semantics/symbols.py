"""Sympy symbols for the document's own names, with the assumptions their notation implies."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

# Scale-like names are positive: a standard deviation, a variance, a sample count.
_POSITIVE = {"sigma", "tau", "s", "v", "lambda", "beta", "alpha"}
_COUNTS = {"L", "T", "N", "K", "M"}


@lru_cache(maxsize=None)
def doc_symbol(name: str) -> sp.Symbol:
    base = name.split("_")[0].split("(")[0]
    if base in _COUNTS:
        return sp.Symbol(name, positive=True, integer=True)
    if base in _POSITIVE:
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)
