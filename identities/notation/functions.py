"""Named functions and optimisation operators: log, exp, det, tr, trigonometry, lim, min/max,
argmin/argmax. ``\\log`` applies to the next factor; ``\\log_b x`` is ``log x / log b`` and
``\\log^2 x`` is ``(log x)^2``; ``e^{x}`` is ``exp(x)``. ``\\arg\\max_\\theta``,
``\\operatorname*{arg\\,max}_\\theta`` and ``\\underset{\\theta}{\\arg\\max}`` extend to the end of
their side.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, LETTER, REGISTRY, WORD


def _scripted(p, node, sup):
    return n.Pow(node, p.parse(sup, what="exponent")) if sup else node


def _operand(p, name):
    if not p.starts_factor():
        raise CannotParse(f"\\{name} without an argument", "\\" + name)
    return p.parse_factor()


def log(p, name):
    sub, sup = p.scripts()
    node = n.Log(_operand(p, name))
    if sub:
        node = n.Div(node, n.Log(p.parse(sub, what="base of a logarithm")))
    return _scripted(p, node, sup)


def exp(p, name):
    sub, sup = p.scripts()
    if sub:
        raise CannotParse("\\exp with a subscript", "_")
    if p.at_char("-", "+"):  # \exp -\frac12 x^2: the signed product that follows
        negative = p.next().value == "-"
        term = p.parse_term()
        return _scripted(p, n.Exp(n.Neg(term) if negative else term), sup)
    return _scripted(p, n.Exp(_operand(p, name)), sup)


def named(p, name):
    """det, tr, diag, sin, cos, tanh, sigmoid, ...: an operator on the next factor."""
    sub, sup = p.scripts()
    canonical = CANONICAL.get(name, name)
    node = n.Operator(canonical, (_operand(p, name),), p.parse(sub) if sub else None)
    return _scripted(p, node, sup)


CANONICAL = {"Tr": "tr", "trace": "tr", "Trace": "tr", "Diag": "diag", "sgn": "sign",
             "relu": "ReLU", "Softmax": "softmax", "Sigmoid": "sigmoid"}


def _word_named(p, word):
    if not p.starts_factor() and not p.at_char("_", "^"):
        return None
    return named(p, word)


def names_in(node) -> tuple[str, ...]:
    """The variable names an optimisation runs over: \\max_{\\phi,\\theta} -> (phi, theta)."""
    if isinstance(node, n.Var):
        return (node.name,)
    if isinstance(node, n.Tuple):
        return tuple(x for item in node.items for x in names_in(item))
    if isinstance(node, n.Compare):
        return names_in(node.parts[0])
    if isinstance(node, n.Mul):  # \max_{\phi\theta}: two letters juxtaposed
        return tuple(x for f in node.factors for x in names_in(f))
    if isinstance(node, (n.FuncApp, n.Density)):
        return ()
    return ()


def optimise(p, op):
    """max, min, sup, inf, argmax, argmin with their subscript; max(a, b) of a list."""
    sub, sup = p.scripts()
    if sub is None and p.at("open", "("):
        inner = p.peek_delimited() or []
        if any(t.is_char(",") for t in inner):
            p.delimited()
            return n.Operator(op, tuple(p.parse_items(inner)))
    over = names_in(p.parse_statement(sub)) if sub else ()
    if not p.starts_factor() and not p.at_char("-", "+"):
        if p.peek() is None and not sub:  # \beta_{\max}: a name, not an optimisation
            return n.Var(op)
        raise CannotParse(f"{op} without an objective", op)
    return n.Argmax(op, over, p.parse_expr())


def _optimise_command(p, name):
    return optimise(p, name)


def _arg(p, name):
    if p.at("cmd", "max", "min", "sup", "inf"):
        return optimise(p, "arg" + p.next().value)
    if p.peek() is not None and p.peek().kind == "text" and p.peek().value in ("max", "min"):
        return optimise(p, "arg" + p.next().value)
    raise CannotParse("\\arg without max or min", "\\arg")


def _optimise_word(p, word):
    op = word.replace(" ", "").replace("\\,", "").lower()
    return optimise(p, op)


def _lim(p, name):
    sub, _ = p.scripts()
    cond = p.parse_statement(sub) if sub else None
    return n.Operator(name, (p.parse_term(),), cond)


def _euler(p, letter):
    """e^{x}: the exponential."""
    if letter == "e" and p.at_char("^"):
        _, sup = p.scripts()
        p.note("e^{...} read as the exponential function")
        return n.Exp(p.parse(sup, what="exponent"))
    return None


REGISTRY.define(COMMAND, ("log", "ln", "lg"), "the natural logarithm of the next factor",
                handler=log, family="functions")
REGISTRY.define(COMMAND, ("exp",), "the exponential of the next factor", handler=exp,
                family="functions")
REGISTRY.define(COMMAND, ("det", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arcsin", "arccos",
                          "arctan", "cot", "sec", "csc", "coth", "erf"),
                "a named function of the next factor", handler=named, family="functions")
REGISTRY.define(WORD, ("det", "tr", "Tr", "trace", "Trace", "diag", "Diag", "rank", "vec"),
                "a named operator on the next factor (\\mathrm{tr}, \\operatorname{diag})",
                value="run", handler=_word_named, family="functions")


def _word_function(p, word):
    """sigmoid(u), \\text{softmax}(z): a known function, applied like a document's own."""
    if not p.starts_factor():
        return None
    if p.at("open", "("):
        _, inner, _ = p.delimited()
        args = tuple(p.parse_items(inner)) if inner else ()
    else:
        args = (p.parse_factor(),)
    return n.FuncApp(word, None, args)


REGISTRY.define(WORD, ("sigmoid", "Sigmoid", "softmax", "Softmax", "softplus", "ReLU", "relu",
                       "sign", "sgn", "erf", "logit", "logsumexp", "LSE", "tanh_"),
                "a known function of its argument (sigmoid, softmax, softplus)", value="run",
                handler=_word_function, family="functions")
REGISTRY.define(COMMAND, ("max", "min", "sup", "inf", "argmax", "argmin", "argsup", "arginf"),
                "an optimisation over its subscript, to the end of its side",
                handler=_optimise_command, family="functions")
REGISTRY.define(COMMAND, ("arg",), "arg max / arg min written as two words", handler=_arg,
                family="functions")


def _arg_word(p, word):
    """\\operatorname{arg}\\operatorname{max}: arg max written as two roman words."""
    nxt = p.peek()
    if nxt is not None and (nxt.is_cmd("max", "min", "sup", "inf") or
                            (nxt.kind == "text" and nxt.value in ("max", "min", "sup", "inf"))):
        return _arg(p, word)
    return None


REGISTRY.define(WORD, ("arg",), "arg followed by max or min, as two roman words", handler=_arg_word,
                family="functions")
REGISTRY.define(WORD, ("argmax", "argmin", "arg max", "arg min", "arg sup", "arg inf", "max",
                       "min", "sup", "inf", "Argmax", "Argmin"),
                "an optimisation written as a word (\\operatorname*{arg\\,max})", value="run",
                handler=_optimise_word, family="functions")
REGISTRY.define(COMMAND, ("lim", "liminf", "limsup", "varliminf", "varlimsup"),
                "a limit over its subscript, of the next term", handler=_lim, family="functions")
REGISTRY.define(LETTER, ("e",), "e^{x}: the exponential", handler=_euler, family="functions")


def _word_log(p, word):
    if not p.starts_factor() and not p.at_char("_", "^"):
        return None
    return exp(p, word) if word.lower() == "exp" else log(p, word)


REGISTRY.define(WORD, ("log", "ln", "exp", "Log", "Exp"), "log and exp written as plain letters or as "
                "text (log p(x), \\operatorname{log})", value="run", handler=_word_log,
                family="functions")
