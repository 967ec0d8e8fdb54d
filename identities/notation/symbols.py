"""Letters and symbols that stand for themselves: Greek letters, infinity, ellipses."""

from __future__ import annotations

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY

GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
         "Omega", "omicron")
# A variant glyph is the same symbol: \varepsilon is the epsilon of the text that writes it.
VARIANTS = {"varepsilon": "epsilon", "varphi": "phi", "vartheta": "theta", "varsigma": "sigma",
            "varrho": "rho", "varpi": "pi", "varkappa": "kappa", "varGamma": "Gamma",
            "varDelta": "Delta", "varTheta": "Theta", "varLambda": "Lambda", "varSigma": "Sigma",
            "varPhi": "Phi", "varPsi": "Psi", "varOmega": "Omega", "digamma": "digamma"}
OTHER = {"infty": "infty", "ell": "ell", "hbar": "hbar", "imath": "i", "jmath": "j",
         "emptyset": "emptyset", "varnothing": "emptyset", "aleph": "aleph", "wp": "wp",
         "Re": "Re", "Im": "Im"}


def _symbol(p, name):
    return n.Var(VARIANTS.get(name, OTHER.get(name, name)))


def _dots(p, name):
    return n.Dots()


REGISTRY.define(COMMAND, GREEK, "a Greek letter: a variable of that name", handler=_symbol,
                family="symbols")
REGISTRY.define(COMMAND, tuple(VARIANTS), "a variant glyph of a Greek letter: the same variable",
                handler=_symbol, family="symbols")
REGISTRY.define(COMMAND, tuple(OTHER), "a named symbol (infinity, ell, the empty set)",
                handler=_symbol, family="symbols")
REGISTRY.define(COMMAND, ("dots", "cdots", "ldots", "dotsc", "dotsb", "dotsm", "dotsi", "dotso",
                          "vdots", "ddots", "mathellipsis"),
                "an ellipsis: the terms of a pattern left out", handler=_dots, family="symbols")
