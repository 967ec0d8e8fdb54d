"""Probability: expectations, variances, the KL divergence, Gaussian densities, indicators.

- ``\\mathbb{E}`` (also ``E``, ``\\mathrm{E}``, ``\\operatorname{\\mathbb{E}}``) with its subscript
  read as the law (``_{q(z|x)}``, ``_{z \\sim q}``, ``_{x_0, \\epsilon}``, ``_q``) and a body in
  brackets, or, without brackets, the next product of factors (``\\mathbb{E}_q \\log f``);
  ``\\mathbb{E}[x \\mid y]`` is conditional.
- ``\\mathbb{V}`` / ``\\mathrm{Var}`` / ``\\operatorname{Cov}``: ``Operator("Var"|"Cov", ...)``.
- ``D_{KL}(q \\| p)``, ``D_\\mathrm{KL}[q||p]``, ``\\mathrm{KL}(q \\,\\|\\, p)``, ``KL(q\\Vert p)``.
- ``\\mathcal{N}(x; \\mu, \\Sigma)``, also ``(x | \\mu, \\Sigma)``, ``(x, \\mu, \\Sigma)`` and ``(\\mu, \\Sigma)``.
- ``\\mathbb{1}[\\ldots]``, ``\\mathbb{1}_{\\ldots}``: an indicator; ``\\mathbb{P}``, ``\\Pr``: a probability.
"""

from __future__ import annotations

from dataclasses import replace

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.applications import density
from elbo_suite.identities.notation.registry import COMMAND, LETTER, REGISTRY, STYLED, WORD


def _is_sim(t) -> bool:
    return t.is_cmd("sim") or t.is_cmd("thicksim")


def law(p, toks) -> n.Node:
    """The subscript of an expectation: the law, the sampled variables, or both."""
    pieces = [piece for _, piece in p.split_top(toks, p.is_comma)]
    laws: list[n.Node] = []
    for piece in pieces:
        if not piece:
            raise CannotParse("an empty item in the subscript of an expectation", ",")
        sims = [k for k, t in enumerate(piece) if _is_sim(t)]
        if not sims:
            laws.append(p.parse(piece, what="subscript of an expectation"))
            continue
        k = sims[0]
        if k == 0 or k == len(piece) - 1:
            raise CannotParse("'~' without both sides in the subscript of an expectation", "\\sim")
        variable = p.parse(piece[:k], what="sampled variable")
        dist = p.parse(piece[k + 1:], what="law of a sampled variable")
        laws.append(_sampling(variable, dist))
    return laws[0] if len(laws) == 1 else n.Tuple(tuple(laws))


def _sampling(variable: n.Node, dist: n.Node) -> n.Node:
    """'z ~ q(z|x)' is the law q(z|x); 'eps ~ N(0, I)' is N(eps; 0, I); others stay a Sampling."""
    if isinstance(dist, n.Density) and dist.variables and dist.variables[0] == variable:
        return dist
    if isinstance(dist, n.Density) and dist.variables and _names_the_variable(dist.variables[0], variable):
        # z ~ P(Z), z ~ Q(Z|x): the law of the random variable Z, taken at its value z
        return replace(dist, variables=(variable,) + dist.variables[1:])
    if isinstance(dist, n.Normal) and dist.variable is None:
        return n.Normal(variable, dist.mean, dist.cov, ";")
    if isinstance(dist, n.Normal) and dist.variable == variable:
        return dist
    return n.Sampling(variable, dist)


def _names_the_variable(random: n.Node, value: n.Node) -> bool:
    """Z written for the random variable whose value is z (same letter, capital)."""
    return (isinstance(random, n.Var) and isinstance(value, n.Var) and random.index is None
            and value.index is None and len(value.name) == 1 and random.name == value.name.upper() != value.name)


def _body(p, what: str, required: bool):
    """The bracketed body of E/Var/Cov; without brackets the next product (or None)."""
    if p.at("open", "[", "(", "{"):
        _, inner, _ = p.delimited()
        if not inner:
            raise CannotParse(f"empty brackets after {what}")
        return inner, True
    if required and p.starts_factor():
        return None, False
    return None, None


def expectation(p, name: str, forced: bool = True):
    start = p.i
    sub, sup = p.scripts()
    if sup:
        raise CannotParse("an expectation with a superscript", "^")
    inner, bracketed = _body(p, "an expectation", forced)
    if bracketed is None:
        if forced and (p.peek() is None or p.peek().kind in ("close", "bar")):
            # E_q alone, as in 'E_q = E_{x_0 ~ p, x_{1:T} ~ q}': the operator itself
            return n.Operator("expectation", (), law(p, sub) if sub else None)
        if forced:
            raise CannotParse("an expectation without its argument", "E")
        p.i = start
        return None
    dist = law(p, sub) if sub else None
    if not bracketed:
        return n.Expectation(dist, p.parse_term())
    pieces = p.split_top(inner, lambda t: t.kind == "bar" and t.value == "|")
    if len(pieces) == 2 and pieces[0][1] and pieces[1][1]:
        given = tuple(p.parse_items(pieces[1][1]))
        return n.Expectation(dist, p.parse(pieces[0][1], what="expectation"), given)
    return n.Expectation(dist, p.parse(inner, what="expectation"))


def _moment(p, name: str, forced: bool = True):
    """Var / Cov: like an expectation, with a required bracket."""
    start = p.i
    sub, _ = p.scripts()
    if not p.at("open"):
        p.i = start
        if forced:
            raise CannotParse(f"{name} without its argument", name)
        return None
    _, inner, _ = p.delimited()
    dist = law(p, sub) if sub else None
    canonical = "Cov" if name.lower().startswith("cov") else "Var"
    return n.Operator(canonical, tuple(p.parse_items(inner)), dist)


def kl(p, name: str, forced: bool = True):
    if p.at_char("{"):  # \KL{q}{p}: the two-argument macro papers define
        left, right = p.argument(), p.argument() if p.at_char("{") else None
        if right is None:
            raise CannotParse("KL{q}{p} without its second argument", name)
        return n.KL(p.parse(left, what="KL argument"), p.parse(right, what="KL argument"))
    if not p.at("open"):
        if forced:
            raise CannotParse("KL divergence without its arguments", name)
        return None
    _, inner, _ = p.delimited()
    depth = 0
    for k, t in enumerate(inner):
        if t.kind == "open" or t.is_char("{"):
            depth += 1
        elif t.kind == "close" or t.is_char("}"):
            depth -= 1
        elif depth == 0 and t.kind == "bar":
            double = t.value == "‖" or (k + 1 < len(inner) and inner[k + 1].kind == "bar")
            if double:
                width = 1 if t.value == "‖" else 2
                left, right = inner[:k], inner[k + width:]
                if not left or not right:
                    raise CannotParse("KL divergence with an empty argument", "||")
                return n.KL(p.parse(left, what="KL argument"), p.parse(right, what="KL argument"))
    pieces = p.split_top(inner, p.is_comma)
    if len(pieces) == 2 and pieces[0][1] and pieces[1][1]:
        p.note("KL(q, p) written with ',' read as KL(q || p)")
        return n.KL(p.parse(pieces[0][1]), p.parse(pieces[1][1]))
    raise CannotParse("KL divergence without '||' between its arguments", "KL")


def normal(p, letter: str):
    if not p.at("open", "("):
        return n.Var("N", marks=("cal",))
    _, inner, _ = p.delimited()
    pieces = p.split_top(inner, lambda t: t.is_char(";", ",") or (t.kind == "bar" and t.value == "|"))
    seps = [sep.value for sep, _ in pieces[1:]]
    args = [p.parse(t, what="argument of N") for _, t in pieces]
    if len(args) == 3 and seps in ([";", ","], ["|", ","]):
        return n.Normal(args[0], args[1], args[2], seps[0])
    if len(args) == 3 and seps == [",", ","]:
        p.note("N(·,·,·) written with ',' where ';' separates the variable: "
               "read as N(variable; mean, covariance)")
        return n.Normal(args[0], args[1], args[2], ",")
    if len(args) == 2 and seps == [","]:
        return n.Normal(None, args[0], args[1], ",")
    raise CannotParse("\\mathcal{N} with arguments other than (variable; mean, covariance)",
                      "\\mathcal{N}")


def indicator(p, letter: str):
    sub, _ = p.scripts()
    if sub:
        return n.Operator("indicator", (p.parse_statement(sub),))
    if p.at("open"):
        _, inner, _ = p.delimited()
        return n.Operator("indicator", (p.parse_statement(inner),))
    return n.Var(letter, marks=("bb",))  # \mathbb{I} alone: an identity matrix


def probability(p, name: str):
    var = n.Var("P")
    if p.at("open", "(", "["):
        return density(p, var)
    return var


def _letter_e(p, letter):
    """E[...], E_{q}[...]; E_{z ~ q} or E_{q(z|x)} with any argument (a law in the subscript makes
    it an expectation: E_{p(x)}E_{q(z|x)} log p(x|z))."""
    forced = False
    if p.at_char("_"):
        start = p.i
        p.next()
        sub = p.argument()
        forced = any(_is_sim(t) for t in sub) or _names_a_law(p, sub)
        p.i = start
    return expectation(p, letter, forced=forced)


def _names_a_law(p, toks) -> bool:
    """Whether a subscript is a density written with its arguments (q(z|x), p-hat(x))."""
    try:
        node = law(p, toks)
    except CannotParse:
        return False
    items = node.items if isinstance(node, n.Tuple) else (node,)
    return all(isinstance(item, n.Density) for item in items)


def _is_kl_subscript(toks) -> bool:
    letters = "".join(t.value for t in toks if t.kind in ("char", "text"))
    return letters.replace(" ", "") in ("KL", "kl", "{KL}") and \
        all(t.kind in ("char", "text") for t in toks)


def _letter_d(p, letter):
    """D_{KL}(q || p) in all its spellings."""
    if not p.at_char("_"):
        return None
    start = p.i
    p.next()
    toks = p.argument()
    if _is_kl_subscript(toks) and p.at("open"):
        return kl(p, "D_KL")
    p.i = start
    return None


REGISTRY.define(STYLED, ("bb E",), "\\mathbb{E}: an expectation", handler=lambda p, l: expectation(p, "E"),
                family="probability")
REGISTRY.define(LETTER, ("E",), "E[...] or E_{q}[...]: an expectation (a plain E otherwise)",
                handler=_letter_e, family="probability")
REGISTRY.define(STYLED, ("bb V",), "\\mathbb{V}: a variance", handler=lambda p, l: _moment(p, "Var"),
                family="probability")
REGISTRY.define(WORD, ("Var", "var", "Variance", "Cov", "cov", "Covariance", "V"),
                "a variance or covariance (\\mathrm{Var}[x], \\operatorname{Cov}(x, y))",
                value="run", handler=lambda p, w: _moment(p, w, forced=False), family="probability")
REGISTRY.define(WORD, ("KL", "kl", "D_KL", "DKL", "KLD"), "a KL divergence: KL(q || p)", value="run",
                handler=lambda p, w: kl(p, w, forced=False), family="probability")
REGISTRY.define(LETTER, ("D",), "D_{KL}(q || p): a KL divergence (a plain D otherwise)",
                handler=_letter_d, family="probability")
for _style in ("bb", "cal", "scr"):
    REGISTRY.define(STYLED, (f"{_style} D",), "\\mathbb{D}_{KL}, \\mathcal{D}_{KL}: a KL divergence "
                    "(the letter alone otherwise)",
                    handler=lambda p, l, style=_style: _letter_d(p, "D") or n.Var("D", marks=(style,)),
                    family="probability")
REGISTRY.define(STYLED, ("cal N",), "\\mathcal{N}(x; mu, Sigma): a Gaussian density", handler=normal,
                family="probability")
REGISTRY.define(STYLED, ("bb 1", "bb I"), "\\mathbb{1}[...]: an indicator", handler=indicator,
                family="probability")
REGISTRY.define(STYLED, ("bb P",), "\\mathbb{P}(...): a probability", handler=probability,
                family="probability")
REGISTRY.define(COMMAND, ("Pr", "Prob"), "\\Pr(...): a probability", handler=probability,
                family="probability")
