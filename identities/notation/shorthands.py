"""Built-in macros, as in KaTeX's macros.js: shorthands many documents use without defining them
(their theme or MathJax configuration defines them, out of the document's sight). A document's own
definition always wins. Pattern shorthands (``\\bx`` for a bold x) are read only for a command
nothing else defines, and each such reading is noted on the row.
"""

from __future__ import annotations

import re

from elbo_suite.identities.notation.registry import MACRO, REGISTRY
from elbo_suite.identities.notation.symbols import GREEK

_MACROS = {
    "argmax": (0, r"\operatorname*{arg\,max}"), "argmin": (0, r"\operatorname*{arg\,min}"),
    "Argmax": (0, r"\operatorname*{arg\,max}"), "Argmin": (0, r"\operatorname*{arg\,min}"),
    "E": (0, r"\mathbb{E}"), "EE": (0, r"\mathbb{E}"), "Ex": (0, r"\mathbb{E}"),
    "Exp": (0, r"\mathbb{E}"), "expect": (0, r"\mathbb{E}"), "Expect": (0, r"\mathbb{E}"),
    "KL": (0, r"\mathrm{KL}"), "DKL": (0, r"D_{\mathrm{KL}}"), "Dkl": (0, r"D_{\mathrm{KL}}"),
    "kl": (0, r"\mathrm{KL}"),
    "Var": (0, r"\mathrm{Var}"), "Cov": (0, r"\mathrm{Cov}"), "var": (0, r"\mathrm{Var}"),
    "cov": (0, r"\mathrm{Cov}"),
    "tr": (0, r"\operatorname{tr}"), "Tr": (0, r"\operatorname{tr}"), "trace": (0, r"\operatorname{tr}"),
    "diag": (0, r"\operatorname{diag}"), "Diag": (0, r"\operatorname{diag}"),
    "R": (0, r"\mathbb{R}"), "RR": (0, r"\mathbb{R}"), "Real": (0, r"\mathbb{R}"),
    "reals": (0, r"\mathbb{R}"), "Reals": (0, r"\mathbb{R}"),
    "ELBO": (0, r"\mathrm{ELBO}"), "elbo": (0, r"\mathrm{ELBO}"),
    "Normal": (0, r"\mathcal{N}"), "normal": (0, r"\mathcal{N}"), "Norm": (0, r"\mathcal{N}"),
    "Gauss": (0, r"\mathcal{N}"), "gauss": (0, r"\mathcal{N}"), "N": (0, r"\mathcal{N}"),
    "given": (0, r"\mid"), "cond": (0, r"\mid"),
    "iid": (0, r"\overset{\text{iid}}{\sim}"),
    "dd": (0, r"\mathrm{d}"), "diff": (0, r"\mathrm{d}"), "mathd": (0, r"\mathrm{d}"),
    "T": (0, r"\top"), "transpose": (0, r"\top"),
    "defeq": (0, r"\coloneqq"), "eqdef": (0, r"\coloneqq"), "define": (0, r"\coloneqq"),
    "vv": (1, r"\mathbf{#1}"), "v": (1, r"\mathbf{#1}"), "bs": (1, r"\boldsymbol{#1}"),
    "vect": (1, r"\mathbf{#1}"), "bvec": (1, r"\mathbf{#1}"),
    "abs": (1, r"\left|#1\right|"), "norm": (1, r"\left\|#1\right\|"),
    "set": (1, r"\left\{#1\right\}"), "paren": (1, r"\left(#1\right)"),
    "brackets": (1, r"\left[#1\right]"),
    "Ber": (0, r"\mathrm{Bernoulli}"), "Bern": (0, r"\mathrm{Bernoulli}"),
    "Unif": (0, r"\mathcal{U}"), "Uniform": (0, r"\mathcal{U}"),
    "eps": (0, r"\epsilon"), "veps": (0, r"\varepsilon"),
    "bigchi": (0, r"\chi"), "one": (0, r"\mathbb{1}"), "ind": (0, r"\mathbb{1}"),
    "indicator": (0, r"\mathbb{1}"),
    "Pp": (0, r"\mathbb{P}"), "PP": (0, r"\mathbb{P}"), "prob": (0, r"\mathbb{P}"),
    "iff": (0, r"\Leftrightarrow"), "st": (0, r"\text{s.t.}"), "dv": (2, r"\frac{d #1}{d #2}"),
    "pdv": (2, r"\frac{\partial #1}{\partial #2}"), "grad": (0, r"\nabla"),
    "lrb": (1, r"\left(#1\right)"), "lrp": (1, r"\left(#1\right)"),
    "L": (0, r"\mathcal{L}"), "LL": (0, r"\mathcal{L}"), "Loss": (0, r"\mathcal{L}"),
    "what": (1, r"\widehat{#1}"), "wtilde": (1, r"\widetilde{#1}"), "wbar": (1, r"\overline{#1}"),
}
for name, (nargs, body) in _MACROS.items():
    REGISTRY.define(MACRO, (name,), f"shorthand for {body}", value=(nargs, body), family="shorthands")

_GREEK = set(GREEK) | {"varepsilon", "varphi", "vartheta"}


# A prefix and one letter, as papers abbreviate a styled letter: the pattern, then the command
# the letter is written with. Tried in order; the first that matches names the style.
_LETTER_SHORTHANDS = (
    (r"(?:b|v|bm|mb|bf|vec|bb)([A-Za-z])", "mathbf"),
    (r"(?:c|cal|mc|mcal)([A-Z])", "mathcal"),
    (r"(?:bb|mbb|BB)([A-Z])", "mathbb"),
    (r"hat([A-Za-z])", "hat"),
    (r"tilde([A-Za-z])", "tilde"),
)


def _bold(name: str, followed: bool = False) -> str | None:
    r"""\bx, \vx, \bmx, \mbx, \bfx, \bz: a bold letter; \bmu, \btheta, \bSigma: a bold Greek
    letter; \x, \z used as symbols (not followed by an argument): a bold letter, as papers define."""
    if followed:
        return None  # a macro with arguments: its meaning cannot be guessed
    if re.fullmatch(r"[a-zA-Z]", name) and name not in "dsL":
        return rf"\mathbf{{{name}}}"
    m = re.fullmatch(r"(?:b|v|bm|bs|bf)([A-Za-z]+)", name)
    if m and m.group(1) in _GREEK:
        return rf"\boldsymbol{{\{m.group(1)}}}"
    for pattern, command in _LETTER_SHORTHANDS:
        m = re.fullmatch(pattern, name)
        if m:
            return rf"\{command}{{{m.group(1)}}}"
    m = re.fullmatch(r"(?:bar)([A-Za-z]+)", name)
    if m and (len(m.group(1)) == 1 or m.group(1) in _GREEK):
        letter = m.group(1)
        return rf"\bar{{\{letter}}}" if len(letter) > 1 else rf"\bar{{{letter}}}"
    return None


REGISTRY.fallbacks.append(_bold)
