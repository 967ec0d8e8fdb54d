"""Relations between the parts of a row, labelled relations, connectives, and the words that open
a side condition, a remark or a row.

``\\overset{(i)}{=}`` and ``\\stackrel{\\text{Jensen}}{\\geq}`` are the relation with its label;
``\\stackrel{\\text{def}}{=}`` and ``\\overset{\\Delta}{=}`` define. ``\\Rightarrow``, ``\\implies``
and ``\\iff`` join statements: they are connectives, recorded as relations "⇒" and "⇔" so that
the row's roles can split the statements.
"""

from __future__ import annotations

from elbo_suite.identities.latex.tokens import closing_brace, words_of
from elbo_suite.identities.notation.registry import (CONDITION, LABELLED, LEAD, REGISTRY, RELATION)

_RELATIONS = [
    (("=",), "=", "equals"),
    (("<",), "<", "less than"),
    ((">",), ">", "greater than"),
    (("leq", "le", "leqslant", "leqq"), "<=", "at most"),
    (("geq", "ge", "geqslant", "geqq"), ">=", "at least"),
    (("neq", "ne"), "≠", "differs from"),
    (("approx", "simeq", "thickapprox", "approxeq", "eqsim"), "≈", "approximately (an estimate)"),
    (("cong",), "≅", "congruent, isomorphic"),
    (("equiv",), "≡", "identically equal, or defined as"),
    (("coloneqq", "coloneq", "triangleq", "doteq", "eqqcolon", "Coloneqq", "defeq", "eqdef",
      "dfn", "mathrel{:=}", "doteqdot", "stackrel{def}{=}"), ":=", "defined as"),
    (("propto", "varpropto"), "∝", "proportional to"),
    (("sim", "thicksim"), "~", "distributed as"),
    (("in",), "∈", "a member of"),
    (("notin",), "∉", "not a member of"),
    (("subset", "subseteq", "subsetneq"), "⊂", "a subset of"),
    (("ll",), "≪", "much less than"),
    (("gg",), "≫", "much greater than"),
    (("lesssim", "lessapprox"), "≲", "at most, up to a constant"),
    (("gtrsim", "gtrapprox"), "≳", "at least, up to a constant"),
    (("to", "rightarrow", "longrightarrow", "mapsto", "longmapsto"), "→", "tends to, maps to"),
    (("leftarrow", "gets", "longleftarrow"), "←", "assigned from"),
    (("Rightarrow", "implies", "Longrightarrow"), "⇒", "implies (a connective between statements)"),
    (("Leftarrow", "impliedby", "Longleftarrow"), "⇐", "is implied by"),
    (("iff", "Leftrightarrow", "Longleftrightarrow"), "⇔", "if and only if"),
    (("therefore",), "∴", "therefore"),
    (("because",), "∵", "because"),
    (("perp", "independent", "bot"), "⊥", "independent of"),
]
for names, symbol, meaning in _RELATIONS:
    REGISTRY.define(RELATION, names, meaning, value=symbol, family="relations")

# Labels that turn '=' into a definition: \stackrel{\text{def}}{=}, \overset{\Delta}{=}.
DEFINING_LABELS = {"def", "def.", "defn", "define", "definition", "\\Delta", "\\triangle", "Δ",
                   ":", "d", "\\text{def}", "\\mathrm{def}", "△"}


def _label(tokens) -> str:
    return words_of(tokens) if tokens else ""


def _group(toks, k):
    """(tokens of the argument at k, index after it)."""
    if k >= len(toks):
        return None
    if not toks[k].is_char("{"):
        return [toks[k]], k + 1
    j = closing_brace(toks, k)
    return None if j is None else (toks[k + 1:j], j + 1)


def _labelled(reader, toks, k):
    """\\overset{label}{rel}, \\stackrel{label}{rel}, \\underset{label}{rel}: (symbol, label, end)."""
    first = _group(toks, k + 1)
    if first is None:
        return None
    second = _group(toks, first[1])
    if second is None:
        return None
    found = reader.relation_symbol(second[0])
    if found is None:
        return None
    symbol, _ = found
    label = _label(first[0])
    if symbol == "=" and (label.strip("() ") in DEFINING_LABELS or label in DEFINING_LABELS):
        symbol = ":="
    return symbol, label, second[1]


def _xequal(reader, toks, k):
    """\\xlongequal{label}: '=' with a label."""
    first = _group(toks, k + 1)
    if first is None:
        return None
    return "=", _label(first[0]), first[1]


_NEGATED = {"=": "≠", "∈": "∉", "<": "≥", ">": "≤", "<=": ">", ">=": "<", "~": "≁", "⊂": "⊄"}


def _not(reader, toks, k):
    """\\not= and \\not\\in: the negated relation."""
    if k + 1 >= len(toks):
        return None
    found = reader.relation_at(toks, k + 1)
    if found is None:
        return None
    return _NEGATED.get(found[0], "not " + found[0]), found[1], found[2]


REGISTRY.define(LABELLED, ("overset", "stackrel", "underset", "overunderset"),
                "a relation with a label over or under it", handler=_labelled, family="relations")
REGISTRY.define(LABELLED, ("xlongequal", "xeq"), "an equals sign with a label over it",
                handler=_xequal, family="relations")
REGISTRY.define(LABELLED, ("not",), "the negation of the relation that follows",
                handler=_not, family="relations")


def _arrow(reader, toks, k):
    """\\xrightarrow[below]{above}: an arrow relation ("tends to") with its labels."""
    symbol = {"xrightarrow": "→", "xlongrightarrow": "→", "xleftarrow": "←", "xRightarrow": "⇒",
              "xLeftarrow": "⇐", "xleftrightarrow": "⇔", "xLeftrightarrow": "⇔",
              "xmapsto": "→"}[toks[k].value]
    j, labels = k + 1, []
    if j < len(toks) and toks[j].kind == "open" and toks[j].value == "[":
        depth = 0
        for m in range(j, len(toks)):
            depth += 1 if toks[m].kind == "open" else -1 if toks[m].kind == "close" else 0
            if depth == 0:
                labels.append(words_of(toks[j + 1:m]))
                j = m + 1
                break
    got = _group(toks, j)
    if got is not None:
        labels.insert(0, words_of(got[0]))
        j = got[1]
    return symbol, "; ".join(x for x in labels if x), j


REGISTRY.define(LABELLED, ("xrightarrow", "xlongrightarrow", "xleftarrow", "xRightarrow", "xLeftarrow",
                           "xleftrightarrow", "xLeftrightarrow", "xmapsto"),
                "an arrow with labels above and below (\\xrightarrow[T\\to\\infty]{})",
                handler=_arrow, family="relations")

# Words that open what follows a statement: a condition, a quantifier, or a remark.
for words, role, meaning in [
    (("for", "where", "with", "if", "when", "whenever", "given", "s.t.", "st", "s.t", "such that",
      "subject to", "and", "provided", "assuming", "i.e.", "ie", "i.e", "e.g.", "or", "while",
      "as", "at", "on", "under", "in", "here", "whereas", "wherein", "let", "we have",
      "which gives", "so", "thus", "hence", "then", "therefore"),
     "condition", "a side condition follows"),
    (("其中", "其中,", "这里", "此处", "令", "设", "对于", "当", "若", "如果", "且", "即", "满足", "定义",
      "记", "对", "和", "以及", "或"),
     "condition", "a side condition follows (Chinese)"),
    (("由于", "因为", "根据", "由", "利用", "注意", "见", "所以", "因此", "故"), "remark",
     "a remark in words follows (Chinese)"),
    (("for all", "for any", "for each", "for every", "\\forall", "for some"), "quantifier",
     "a quantified side condition follows"),
    (("\\exists",), "condition", "an existential side condition follows"),
    (("by", "since", "because", "using", "from", "via", "see", "cf.", "cf", "due to", "thanks to",
      "recall", "note", "(by", "apply", "applying", "use", "jensen", "jensen's", "bayes",
      "bayes'", "definition", "def.", "eq.", "eqn.", "equation", "//", "#", "(from", "(since",
      "(using", "(jensen", "(jensen's", "(bayes", "(def", "(definition", "(eq."),
     "remark", "a remark in words follows"),
]:
    REGISTRY.define(CONDITION, words, meaning, value=role, family="relations")

for words, meaning in [
    (("where", "let", "define", "then", "so", "thus", "hence", "therefore", "and", "i.e.", "note",
      "now", "finally", "since", "because", "recall", "also", "but", "or", "we", "with", "given",
      "if", "assume", "suppose", "set", "consider", "similarly", "likewise", "moreover", "其中",
      "令", "设", "定义", "记", "则", "所以", "因此", "故", "即", "由于", "因为", "又", "而"),
     "a word that opens the row"),
]:
    REGISTRY.define(LEAD, words, meaning, value=None, family="relations")
for names, word in [(("\\therefore",), "therefore"), (("\\because",), "because"),
                    (("\\Rightarrow", "\\implies", "\\Longrightarrow"), "⇒"),
                    (("\\iff", "\\Leftrightarrow", "\\Longleftrightarrow"), "⇔"),
                    (("\\to",), "→")]:
    REGISTRY.define(LEAD, names, "a sign that opens the row", value=word, family="relations")
