"""Environments inside a row. Row containers (align, aligned, split, ...) are split into rows by
the reader before parsing; what reaches the parser is an environment inside an expression:
a case distinction (``Operator("cases", (Tuple(value, condition), ...))``) or a matrix
(``Operator("matrix", (Tuple(cells of row 1), ...))``). Others are not read."""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.notation.registry import COMMAND, REGISTRY

_MATRICES = {"matrix", "pmatrix", "bmatrix", "vmatrix", "Vmatrix", "Bmatrix", "smallmatrix", "array",
             "psmallmatrix", "bsmallmatrix"}
_CASES = {"cases", "dcases", "rcases", "cases*"}


def _body(p, env: str):
    """The tokens up to the matching \\end{env}, consumed."""
    depth, start = 1, p.i
    while p.peek() is not None:
        t = p.next()
        if t.is_cmd("begin"):
            depth += 1
        elif t.is_cmd("end"):
            depth -= 1
            if depth == 0:
                inner = p.toks[start:p.i - 1]
                p.argument()  # {env}
                return inner
    raise CannotParse(f"\\begin{{{env}}} without its \\end", f"\\begin{{{env}}}")


def _split_outside_environments(toks, is_separator):
    """toks split at each separator that sits outside any nested \\begin ... \\end."""
    parts, part, level = [], [], 0
    for t in toks:
        if t.is_cmd("begin"):
            level += 1
        elif t.is_cmd("end"):
            level -= 1
        if level == 0 and is_separator(t):
            parts.append(part)
            part = []
            continue
        part.append(t)
    parts.append(part)
    return parts


def _rows(p, toks):
    """The environment's rows (split at \\\\), each a list of cells (split at &); empty rows dropped."""
    out = []
    for row in _split_outside_environments(toks, lambda t: t.is_cmd("\\")):
        cells = _split_outside_environments(row, lambda t: t.is_char("&"))
        if any(cells):
            out.append(cells)
    return out


def _condition(p, toks):
    """A case's condition: 'if x > 0', '\\text{otherwise}', 't = 1'."""
    if toks and toks[0].kind == "text":
        words = toks[0].value.split()
        if len(words) > 1 or not toks[1:]:
            return n.Text(toks[0].value)
        toks = toks[1:]
    return p.parse_statement(toks) if toks else n.Text("")


def _begin(p, name, env):
    env = env.strip()
    if env.rstrip("*") in _MATRICES or env in _MATRICES:
        if env.startswith("array") and p.at_char("{"):
            p.argument()  # the column specification
        inner = _body(p, env)
        rows = _rows(p, inner)
        return n.Operator("matrix", tuple(n.Tuple(tuple(p.parse(c, what="matrix cell") for c in row))
                                          for row in rows))
    if env in _CASES:
        inner = _body(p, env)
        cases = []
        for cells in _rows(p, inner):
            value = p.parse(cells[0], what="case")
            cond = _condition(p, cells[1]) if len(cells) > 1 else n.Text("")
            cases.append(n.Tuple((value, cond)))
        return n.Operator("cases", tuple(cases))
    raise CannotParse(f"the {env} environment inside an expression", f"\\begin{{{env}}}")


def _end(p, name, env):
    raise CannotParse(f"\\end{{{env}}} without its \\begin", f"\\end{{{env}}}")


REGISTRY.define(COMMAND, ("begin",), "an environment inside an expression: a matrix or a case "
                "distinction", args=("text",), handler=_begin, family="environments")
REGISTRY.define(COMMAND, ("end",), "the end of an environment", args=("text",), handler=_end,
                family="environments")
