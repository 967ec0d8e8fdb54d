r"""Superscripts that are not powers: marks that make another symbol (``\theta^*``, ``x'``,
``A^\dagger``) and the transpose (``x^\top``, ``x^T``, ``x^\intercal``, ``x^{\mathsf{T}}``).

Keys are the superscript as written, braces removed. ``^T`` is read as a transpose when a factor
follows it (``x^T x``, ``(x-\mu)^T \Sigma^{-1} (x-\mu)``), which is what a derivation of Gaussian
densities means by it, and the reading is noted on the row; ``(1-\beta)^T`` at the end of a term is
a power.
"""

from __future__ import annotations

from elbo_suite.identities.notation.registry import REGISTRY, SUPERSCRIPT

REGISTRY.define(SUPERSCRIPT, ("*", "\\ast", "\\star", "\\bigstar"),
                "a starred symbol: the optimum, or the true value (theta^*)", value=("mark", "*", ""),
                family="superscripts")
REGISTRY.define(SUPERSCRIPT, ("'", "\\prime"), "a primed symbol: another symbol (x')",
                value=("mark", "'", ""), family="superscripts")
REGISTRY.define(SUPERSCRIPT, ("''", "\\prime\\prime"), "a doubly primed symbol",
                value=("mark", "''", ""), family="superscripts")
REGISTRY.define(SUPERSCRIPT, ("\\dagger", "+"), "a pseudo-inverse or adjoint (A^\\dagger)",
                value=("mark", "dagger", ""), family="superscripts")
REGISTRY.define(SUPERSCRIPT, ("\\top", "\\intercal", "\\mathsf{T}", "\\mathbf{T}", "\\sfT", "\\rmT",
                              "\\mathsf{\\top}", "\\boldsymbol{T}", "\\tp", "\\transpose"),
                "a transpose", value=("operator", "transpose", ""), family="superscripts")
REGISTRY.define(SUPERSCRIPT, ("T",), "a transpose written as a letter, when a factor follows "
                "(x^T y, (x-mu)^T Sigma^{-1} (x-mu)); a power otherwise ((1-beta)^T)",
                value=("operator", "transpose", "x^T read as a transpose"), family="superscripts")
