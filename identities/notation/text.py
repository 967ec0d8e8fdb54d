"""Text inside math: ``\\text{...}``, roman names, and the words that are notation.

A text command's argument becomes one ``text`` token before parsing (see latex/normalise.py).
The parser then reads it as a registered word (``KL``, ``Var``, ``const``: the families that own
them register the handlers), a single letter (``\\mathrm{d}``), a name (``L_\\text{VLB}``,
``\\text{SNR}(t)``, ``\\mathrm{ELBO}``), or, when it is prose, a side condition or remark of the row.
"""

from __future__ import annotations

from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import REGISTRY, TEXT, WORD

# mode "text": the argument is always words; "roman": words when it holds only letters, digits
# and spaces, else typography around math (\mathrm{\Sigma}); "switch": {\rm d} takes the letters
# that follow; "ref": a reference to an equation, read as words.
REGISTRY.define(TEXT, ("text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal",
                       "textup", "textmd", "emph", "mbox", "hbox", "intertext", "shortintertext",
                       "textsc", "textsl"),
                "words inside math", value="text", family="text")
REGISTRY.define(TEXT, ("mathrm", "operatorname", "mathop", "operatornamewithlimits", "mathord",
                       "textnormal*"),
                "a roman name (\\mathrm{KL}, \\operatorname{tr}); around math, typography",
                value="roman", family="text")
REGISTRY.define(TEXT, ("rm", "mathrm*", "textrm*"), "a roman switch ({\\rm d}, \\rm T)",
                value="switch", family="text")
REGISTRY.define(TEXT, ("eqref", "ref", "cref", "Cref", "autoref", "cite", "citep", "citet"),
                "a reference to an equation or a source: words", value="ref", family="text")


def _name(p, word):
    return n.Var(word)


def _constant(p, word):
    return n.Constant(word)


# Names of the field written as letters (\text{ELBO}, or plainly ELBO): one name, never the
# product E·L·B·O. Any other text word of letters is a name too (see Parser.word); these are
# also recognised as runs of plain letters.
NAMES = ("ELBO", "EUBO", "VLB", "NLL", "MSE", "SNR", "IWAE", "VAE", "LB", "UB", "NELBO", "CUBO",
         "RMSE", "MLE", "MAP", "ELL")
REGISTRY.define(WORD, NAMES, "a named quantity of the field (the ELBO, the SNR)", value="run",
                handler=_name, family="text")
REGISTRY.define(WORD, ("const", "constant", "const.", "Const", "cst", "const\\.", "constant."),
                "an unspecified constant ('= ... + const')", value="run", handler=_constant,
                family="text")
