"""Recursive-descent parser from a row's normalised tokens to the AST in ``nodes``.

The core knows the grammar only: sums of terms, terms of factors (juxtaposition multiplies),
factors with sub- and superscripts, applications ``f(...)``, brackets and groups. Every command,
letter with a special reading and word is looked up in the notation registry, whose handlers
build the nodes; conventions of reading (which ``name(...)`` is a function, which a density,
which a product) come from the registry too.

Reading conventions (the usual ones of the field), implemented by the registry's handlers:
- ``\\log`` applies to the next factor: ``\\log p(x)\\int q\\,dz`` is ``log(p(x)) * \\int q\\,dz``;
- ``\\sum``/``\\prod``/``\\nabla``/``\\mathbb{E}`` without brackets apply to the next product of
  factors and stop at ``+``/``-``;
- ``\\int`` extends to its differential ``d z``; ``\\argmax`` to the end of its side.
Anything else is reported as ``cannot parse: ...`` with the offending token.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex.tokens import Token, source_of
from elbo_suite.identities.notation.registry import (COMMAND, INFIX, LETTER, REGISTRY, RELATION,
                                                     SEPARATOR, SUPERSCRIPT, WORD, Registry)

# Nesting a row may have (groups, brackets and operators applied to operators). Real derivations
# stay below 15; the limit turns hostile input into a cannot-parse row long before Python's stack.
MAX_DEPTH = 60

class _NoEntry:
    value = None


_NO_ENTRY = _NoEntry()
_CLOSE_OF = {"(": ")", "[": "]", "{": "}", "<": ">", "|": "|", "‖": "‖", ".": "."}


@dataclass
class ParseState:
    """What all the parsers of one row share: the notes and the nesting depth."""

    notes: list[str] = field(default_factory=list)
    depth: int = 0
    registry: Registry = field(default_factory=lambda: REGISTRY)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Parser:
    def __init__(self, tokens: list[Token], state: ParseState | None = None, script: bool = False):
        self.state = state or ParseState()
        self.script_mode = script  # in a sub- or superscript, a run of letters is a name: L_{prior}
        reg = self.state.registry
        self.toks = [t for t in tokens if not (t.kind == "cmd" and reg.lookup(SEPARATOR, t) is not None)]
        self.i = 0
        # predicates that end the current expression where they hold (an integral's differential)
        self.stops: list[Callable[["Parser"], bool]] = []

    @property
    def registry(self) -> Registry:
        return self.state.registry

    def note(self, text: str) -> None:
        self.state.note(text)

    # -- tokens ----------------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if 0 <= j < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise CannotParse("unexpected end of row")
        self.i += 1
        return tok

    def at_char(self, *values: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.is_char(*values)

    def at(self, kind: str, *values: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind and (not values or tok.value in values)

    def rest(self) -> list[Token]:
        return self.toks[self.i:]

    # -- arguments -------------------------------------------------------------------------------
    def group_tokens(self) -> list[Token]:
        """The tokens of the {...} group that starts here."""
        self.next()  # {
        depth, start = 1, self.i
        while True:
            t = self.next()
            if t.is_char("{"):
                depth += 1
            elif t.is_char("}"):
                depth -= 1
                if depth == 0:
                    return self.toks[start:self.i - 1]

    def argument(self) -> list[Token]:
        """A command's argument: a braced group, or the one next token (``\\frac12``: one digit)."""
        tok = self.peek()
        if tok is None:
            raise CannotParse("a command is missing its argument", "end of row")
        if tok.is_char("{"):
            return self.group_tokens()
        if tok.kind == "num" and len(tok.value) > 1 and tok.value[1] != ".":
            # \frac12: TeX takes one digit as the argument
            first = replace(tok, value=tok.value[0])
            self.toks[self.i:self.i + 1] = [first, replace(tok, value=tok.value[1:], space=False)]
            self.i += 1
            return [first]
        if tok.is_char("}"):
            raise CannotParse("a command is missing its argument", "}")
        self.i += 1
        e = self.registry.lookup(COMMAND, tok) if tok.kind == "cmd" else None
        if e is not None and e.args:
            # x_\mathbf{x}, \sqrt\frac12: the command is taken with its own arguments
            start = self.i - 1
            for kind in e.args:
                if kind == "opt":
                    self.optional()
                else:
                    self.argument()
            return self.toks[start:self.i]
        return [tok]

    def optional(self) -> list[Token] | None:
        """An optional [...] argument, if one starts here."""
        if not self.at("open", "["):
            return None
        end = self.match_close(self.i)
        inner = self.toks[self.i + 1:end]
        self.i = end + 1
        return inner

    def match_close(self, start: int) -> int:
        """Index of the close token matching the open token at ``start``."""
        depth = 0
        for j in range(start, len(self.toks)):
            t = self.toks[j]
            if t.kind == "open" or t.is_char("{"):
                depth += 1
            elif t.kind == "close" or t.is_char("}"):
                depth -= 1
                if depth == 0:
                    return j
        raise CannotParse(f"'{self.toks[start].show()}' is never closed", self.toks[start].show())

    def delimited(self) -> tuple[str, list[Token], str]:
        """(opening bracket, inner tokens, closing bracket) of the bracket that starts here."""
        start = self.i
        end = self.match_close(start)
        self.i = end + 1
        return self.toks[start].value, self.toks[start + 1:end], self.toks[end].value

    def peek_delimited(self) -> list[Token] | None:
        """The tokens inside the bracket that starts here, without consuming them."""
        if not self.at("open"):
            return None
        try:
            end = self.match_close(self.i)
        except CannotParse:
            return None
        return self.toks[self.i + 1:end]

    def matching_bar(self, start: int) -> int | None:
        """Index of the bar closing the one at ``start`` (same bracket depth), if any."""
        value = self.toks[start].value
        depth = 0
        for j in range(start + 1, len(self.toks)):
            t = self.toks[j]
            if t.kind == "open" or t.is_char("{"):
                depth += 1
            elif t.kind == "close" or t.is_char("}"):
                depth -= 1
                if depth < 0:
                    return None
            elif t.kind == "bar" and t.value == value and depth == 0:
                return j
        return None

    def script(self) -> list[Token]:
        self.next()  # _ or ^
        if self.peek() is None:
            raise CannotParse("a sub- or superscript without its argument", "end of row")
        return self.argument()

    def scripts(self) -> tuple[list[Token] | None, list[Token] | None]:
        """Sub- and superscript in either order (``\\sum_{t=1}^T``, ``\\int^b_a``)."""
        sub = sup = None
        while self.at_char("_", "^"):
            if self.peek().value == "_":
                if sub is not None:
                    raise CannotParse("double subscript", "_")
                sub = self.script()
            else:
                if sup is not None:
                    raise CannotParse("double superscript", "^")
                sup = self.script()
        return sub, sup

    # -- sub-parsing -----------------------------------------------------------------------------
    def parse(self, tokens: list[Token], *, what: str = "expression", script: bool = False) -> n.Node:
        """A whole expression from tokens (one nesting level deeper)."""
        if not tokens:
            raise CannotParse(f"empty {what}")
        self.state.depth += 1
        try:
            if self.state.depth > MAX_DEPTH:
                raise CannotParse(f"nested deeper than {MAX_DEPTH} levels")
            over = [k for k, d in zip(range(len(tokens)), self._levels(tokens))
                    if d == 0 and tokens[k].kind == "cmd" and
                    (self.registry.lookup(INFIX, tokens[k]) or _NO_ENTRY).value == "over"] \
                if any(t.kind == "cmd" for t in tokens) else []
            if over:  # {a \over b}: the whole group is the fraction
                k = over[0]
                return n.Div(self.parse(tokens[:k], what="numerator"),
                             self.parse(tokens[k + 1:], what="denominator"))
            p = Parser(tokens, self.state, script or self.script_mode)
            node = p.parse_list()
            if p.peek() is not None:
                raise CannotParse("unexpected token", p.peek().show())
            return node
        finally:
            self.state.depth -= 1

    @staticmethod
    def _levels(toks: list[Token]) -> list[int]:
        out, depth = [], 0
        for t in toks:
            kind = t.kind
            if kind == "close" or (kind == "char" and t.value == "}"):
                depth -= 1
            out.append(depth)
            if kind == "open" or (kind == "char" and t.value == "{"):
                depth += 1
        return out

    def split_top(self, toks: list[Token], test: Callable[[Token], bool]) -> list[tuple[Token | None, list[Token]]]:
        """Split toks where ``test`` holds outside brackets; each piece with the token before it."""
        out: list[tuple[Token | None, list[Token]]] = []
        depth, start, sep = 0, 0, None
        for k, t in enumerate(toks):
            if t.kind == "open" or t.is_char("{") or t.is_cmd("begin"):
                depth += 1
            elif t.kind == "close" or t.is_char("}") or t.is_cmd("end"):
                depth -= 1
            elif depth == 0 and test(t):
                out.append((sep, toks[start:k]))
                sep, start = t, k + 1
        out.append((sep, toks[start:]))
        return out

    @staticmethod
    def is_comma(t: Token) -> bool:
        return t.is_char(",")

    def parse_items(self, tokens: list[Token]) -> list[n.Node]:
        """Comma-separated expressions (arguments of an application)."""
        return [self.parse(piece, what="argument") for _, piece in self.split_top(tokens, self.is_comma)]

    def index_of(self, toks: list[Token]) -> n.Node:
        """A subscript: ``1:T`` is a Slice, ``x_0, z`` a Tuple, ``Y|X`` a Tuple with delimiter "|"
        (mu_{Y|X}), anything else an expression."""
        pieces = self.split_top(toks, lambda t: t.is_char(":"))
        if len(pieces) == 2 and pieces[0][1] and pieces[1][1]:
            return n.Slice(self.parse(pieces[0][1], script=True), self.parse(pieces[1][1], script=True))
        pieces = self.split_top(toks, lambda t: t.kind == "bar" and t.value == "|")
        if len(pieces) == 2 and pieces[0][1] and pieces[1][1]:
            return n.Tuple((self.parse(pieces[0][1], script=True), self.parse(pieces[1][1], script=True)), "|")
        if toks and toks[0].kind in ("char", "cmd") and self.registry.lookup(RELATION, toks[0]) is not None \
                and len(toks) > 1:
            # z_{<t}, z_{>i}: the indices before (after) t, a relation with its left side implied
            rel = self.registry.lookup(RELATION, toks[0]).value
            return n.Compare((n.Var("cdot"), self.parse(toks[1:], what="subscript", script=True)), (rel,))
        return self.parse(toks, what="subscript", script=True)

    def parse_statement(self, tokens: list[Token]) -> n.Node:
        """An expression, or a chain of relations (``t=1``, ``1 \\le t \\le T``, ``x \\in X``)."""
        depth, cuts = 0, []
        for k, t in enumerate(tokens):
            if t.kind == "open" or t.is_char("{") or t.is_cmd("begin"):
                depth += 1
            elif t.kind == "close" or t.is_char("}") or t.is_cmd("end"):
                depth -= 1
            elif depth == 0 and t.kind in ("char", "cmd") and not (k and tokens[k - 1].is_char("_", "^")):
                e = self.registry.lookup(RELATION, t)
                if e is not None:
                    cuts.append((k, e.value))
        if not cuts:
            return self.parse(tokens)
        bounds = [-1] + [k for k, _ in cuts] + [len(tokens)]
        parts = tuple(self.parse(tokens[a + 1:b], what="side of a relation") for a, b in zip(bounds, bounds[1:]))
        return n.Compare(parts, tuple(symbol for _, symbol in cuts))

    # -- grammar ---------------------------------------------------------------------------------
    def parse_list(self) -> n.Node:
        """An expression, or a bare comma-separated list of them (``x_1, \\dots, x_T``)."""
        first = self.parse_expr()
        if not self.at_char(","):
            return first
        items = [first]
        while self.at_char(","):
            self.next()
            items.append(self.parse_expr())
        return n.Tuple(tuple(items))

    def at_stop(self) -> bool:
        return any(stop(self) for stop in self.stops)

    def parse_expr(self) -> n.Node:
        terms: list[n.Node] = []
        sign = 1
        if self.at_char("+", "-"):
            sign = -1 if self.next().value == "-" else 1
        while True:
            term = self.parse_term()
            terms.append(n.Neg(term) if sign < 0 else term)
            if self.at_char("+", "-") and not self.at_stop():
                sign = -1 if self.next().value == "-" else 1
                continue
            break
        return terms[0] if len(terms) == 1 else n.Add(tuple(terms))

    def infix(self) -> str | None:
        tok = self.peek()
        if tok is None or tok.kind not in ("cmd", "char"):
            return None
        e = self.registry.lookup(INFIX, tok)
        if e is not None and e.value == "over":
            raise CannotParse("\\over outside a group of its own", "\\over")
        return e.value if e is not None else None

    def parse_term(self) -> n.Node:
        placeholder = self.registry.lookup(INFIX, self.peek()) if self.peek() is not None and \
            self.peek().kind == "cmd" else None
        if placeholder is not None:  # q(\cdot | x), \|\cdot\|: a dot standing for an argument
            after = self.peek(1)
            if after is None or after.kind in ("close", "bar") or after.is_char(","):
                self.next()
                return n.Var("cdot")
        if not self.starts_factor():
            tok = self.peek()
            raise CannotParse("expected an expression", tok.show() if tok else "end of row")
        factors = [self.parse_factor()]
        elementwise = False
        while True:
            op = self.infix()
            if op is not None and not self.at_stop():
                self.next()
                sign = 1
                if self.at_char("-", "+"):  # a \cdot -b
                    sign = -1 if self.next().value == "-" else 1
                right = self.parse_factor()
                right = n.Neg(right) if sign < 0 else right
                if op == "div":
                    num = factors[0] if len(factors) == 1 else n.Mul(tuple(factors), elementwise)
                    factors = [n.Div(num, right)]
                else:
                    elementwise = elementwise or op == "elementwise"
                    factors.append(right)
            elif self.starts_factor():
                factors.append(self.parse_factor())
            elif self.at_char(".") and self.i > 0 and self.toks[self.i - 1].kind == "close" and \
                    self.peek(1) is not None and (self.peek(1).kind in ("open", "cmd") or
                                                  self.peek(1).value[:1].isalpha()):
                self.next()  # \Big).C: a dot after a bracket, as a multiplication sign
                factors.append(self.parse_factor())
            else:
                break
        return factors[0] if len(factors) == 1 else n.Mul(tuple(factors), elementwise)

    def starts_factor(self) -> bool:
        tok = self.peek()
        if tok is None or self.at_stop():
            return False
        if tok.kind in ("num", "open", "text"):
            return True
        if tok.kind == "bar":
            return self.matching_bar(self.i) is not None
        if tok.kind == "char":
            return tok.value.isalpha() or tok.value == "{"
        if tok.kind == "cmd":
            reg = self.registry
            return reg.lookup(RELATION, tok) is None and reg.lookup(INFIX, tok) is None
        return False

    def parse_factor(self) -> n.Node:
        self.state.depth += 1
        try:
            if self.state.depth > MAX_DEPTH:
                raise CannotParse(f"nested deeper than {MAX_DEPTH} levels")
            return self.postfix(self.atom())
        finally:
            self.state.depth -= 1

    def letter_run(self) -> tuple[str, int]:
        """The run of adjacent letters (no space between) that starts here, and its length."""
        k, word = 0, ""
        while True:
            t = self.peek(k)
            if t is None or t.kind != "char" or not t.value.isalpha() or (k and t.space):
                break
            word += t.value
            k += 1
        return word, k

    def atom(self) -> n.Node:
        tok = self.peek()
        if tok is None:
            raise CannotParse("unexpected end of row")
        reg = self.registry
        if tok.kind == "num":
            self.next()
            return n.Num(tok.value)
        if tok.kind == "char" and tok.value.isalpha():
            word, length = self.letter_run()
            if length > 1:
                e = reg.get(WORD, word)
                if e is not None and e.value == "run":
                    self.i += length
                    node = e.handler(self, word)
                    if node is not None:
                        return node
                    self.i -= length
            if length >= 3 and self.script_mode:
                self.i += length  # L_{prior}, x_{data}: a word in a script is a name
                return n.Var(word)
            e = reg.get(LETTER, tok.value)
            if e is not None:
                self.next()
                node = e.handler(self, tok.value)
                if node is not None:
                    return node
                return n.Var(tok.value)
            self.next()
            return n.Var(tok.value)
        if tok.kind == "open":
            return self.bracketed()
        if tok.is_char("{"):
            return self.parse(self.group_tokens(), what="group")
        if tok.kind == "bar":
            return self.bars()
        if tok.kind == "text":
            self.next()
            return self.word(tok)
        if tok.kind == "cmd":
            self.next()
            e = reg.lookup(COMMAND, tok)
            if e is None:
                raise CannotParse(f"unknown command \\{tok.value}", "\\" + tok.value)
            args = self.read_args(e.args)
            return e.handler(self, tok.value, *args)
        raise CannotParse("unexpected symbol", tok.show())

    def read_args(self, kinds: tuple[str, ...]) -> list:
        args: list = []
        for kind in kinds:
            if kind == "opt":
                args.append(self.optional())
            elif kind == "raw":
                args.append(self.argument())
            elif kind == "math":
                args.append(self.parse(self.argument(), what="argument"))
            elif kind == "text":
                args.append(source_of(self.argument()))
            else:
                raise ValueError(f"unknown argument kind {kind!r}")
        return args

    def word(self, tok: Token) -> n.Node:
        """A text group: a registered word, a single letter, a name, or prose (cannot parse)."""
        word = tok.value
        reg = self.registry
        e = reg.get(WORD, word) or reg.get(WORD, word.replace(" ", ""))
        if e is not None:
            node = e.handler(self, word)
            if node is not None:
                return node
        if len(word) == 1 and word.isalpha():
            e = reg.get(LETTER, word)
            if e is not None:
                node = e.handler(self, word)
                if node is not None:
                    return node
            return n.Var(word)
        if word and all(part.isalnum() for part in word.replace("-", " ").split()) and " " not in word:
            return n.Var(word)  # a named quantity: ELBO, VLB, SNR, data, simple
        raise CannotParse(f"text '{word}' inside an expression", tok.show())

    def bracketed(self) -> n.Node:
        """(...), [...], \\{...\\}, \\langle...\\rangle: an expression, or a tuple when it holds commas."""
        opening, inner, closing = self.delimited()
        if opening == "." and closing not in (".", "|") or closing == "." and opening != ".":
            return self.parse(inner)
        if opening == "." == closing:
            if not inner:
                raise CannotParse("empty \\left. \\right. group")
            return self.parse(inner)
        if opening in ("|", "‖"):  # \left| x \right|, \lVert x \rVert
            return n.Operator("norm" if opening == "‖" else "abs", (self.parse(inner),))
        if opening == "." and closing == "|":  # \left. f \right|_{t=0}: f evaluated there
            return n.Operator("evaluated", (self.parse(inner),))
        pieces = self.split_top(inner, self.is_comma)
        if len(pieces) > 1:
            return n.Tuple(tuple(self.parse(p, what="item") for _, p in pieces), opening)
        if opening == "<":
            return n.Operator("mean", (self.parse(inner),))
        return self.parse(inner, what="bracket")

    def bars(self) -> n.Node:
        """|x| (absolute value or determinant) and \\|x\\| or ||x|| (a norm)."""
        start = self.i
        tok = self.peek()
        if tok.value == "|" and self.peek(1) is not None and self.peek(1).kind == "bar" and \
                self.peek(1).value == "|":
            # ||x||: a norm written with two bars on each side
            for j in range(start + 2, len(self.toks) - 1):
                if self.toks[j].kind == "bar" and self.toks[j + 1].kind == "bar" and \
                        self.toks[j].value == "|" == self.toks[j + 1].value:
                    inner = self.toks[start + 2:j]
                    self.i = j + 2
                    return n.Operator("norm", (self.parse(inner, what="norm"),))
        end = self.matching_bar(start)
        if end is None:
            raise CannotParse("a bar without its closing bar", tok.show())
        inner = self.toks[start + 1:end]
        self.i = end + 1
        name = "norm" if tok.value == "‖" else "abs"
        return n.Operator(name, (self.parse(inner, what=name),))

    # -- postfix ---------------------------------------------------------------------------------
    def superscript_reading(self, toks: list[Token]) -> tuple[str, str] | None:
        key = "".join(t.show() if t.kind != "text" else t.value for t in toks)
        e = self.registry.get(SUPERSCRIPT, key)
        return e.value if e is not None else None

    def postfix(self, atom: n.Node) -> n.Node:
        power: n.Node | None = None
        while True:
            tok = self.peek()
            if tok is None or self.at_stop():
                break
            if tok.is_char("_", "^"):
                sub, sup = self.scripts()  # either order: \sigma^2_t is \sigma_t^2
                if sub is not None:
                    atom = self.subscripted(atom, sub)
                if sup is not None:
                    atom, power = self.superscripted(atom, sup, power)
                continue
            if tok.kind == "open" and tok.value in ("(", "{") and isinstance(atom, n.Var) and \
                    atom.sample is None:
                reading = self.registry.application(self, atom, self.peek_delimited() or [], tok.value)
                if reading is None:
                    break
                atom = reading()
                continue
            if tok.is_char("'"):
                self.next()
                if isinstance(atom, (n.Var, n.FuncApp, n.Density)):
                    atom = replace(atom, marks=atom.marks + ("'",))
                    continue
                raise CannotParse("a prime on an expression", "'")
            if tok.is_char("!"):
                self.next()
                atom = n.Operator("factorial", (atom,))
                continue
            break
        if power is not None:
            atom = n.Pow(atom, power)
        return atom

    def subscripted(self, atom: n.Node, toks: list[Token]) -> n.Node:
        if isinstance(atom, n.Var) and atom.index is None:
            return replace(atom, index=self.index_of(toks))
        if isinstance(atom, n.Sqrt) and isinstance(atom.arg, n.Var) and atom.arg.index is None:
            # \sqrt \beta_{t-1}: the subscript is set after the radical, and means beta_{t-1}
            return n.Sqrt(replace(atom.arg, index=self.index_of(toks)))
        if isinstance(atom, n.Operator) and atom.sub is None:
            return replace(atom, sub=self.index_of(toks))
        raise CannotParse("a subscript on an expression that takes none", "_")

    def superscripted(self, atom: n.Node, toks: list[Token], power: n.Node | None):
        """A superscript: a mark (theta^*), a transpose, a sample label (z^{(l)}) or a power.

        A power on a function's name waits for its application: sigma_phi^2(x) is (sigma_phi(x))^2.
        """
        reading = self.superscript_reading(toks)
        if reading is not None and reading[2] and not self.starts_factor():
            reading = None  # a letter read as a transpose only when a factor follows: else a power
        if reading is not None:
            kind, value, note = reading
            if note:
                self.note(note)
            if kind == "mark" and isinstance(atom, (n.Var, n.FuncApp, n.Density)):
                return replace(atom, marks=atom.marks + (value,)), power
            return n.Operator(value, (atom,)), power
        label = self.script_label(toks)
        if label is not None and isinstance(atom, (n.Var, n.FuncApp, n.Density)):
            return replace(atom, marks=atom.marks + (f"^{{{label}}}",)), power  # L_t^{simple}
        if isinstance(atom, n.Var) and atom.sample is None and len(toks) >= 3 and \
                toks[0].kind == "open" and toks[0].value == "(" and toks[-1].kind == "close" \
                and self._one_bracket(toks) and power is None:
            return replace(atom, sample=self.parse(toks[1:-1], what="sample label")), power
        exponent = self.parse(toks, what="exponent")
        power = exponent if power is None else n.Mul((power, exponent))
        if isinstance(atom, n.Var) and self.at("open", "(") and \
                self.registry.application(self, atom, self.peek_delimited() or []) is not None:
            return atom, power
        return n.Pow(atom, power), None

    def script_label(self, toks: list[Token]) -> str | None:
        """A superscript that is a word (L^{simple}, L^\\text{VLB}): a label, not a power."""
        if len(toks) == 1 and toks[0].kind == "text" and len(toks[0].value) > 1 and \
                not self.registry.has(WORD, toks[0].value):
            return toks[0].value
        if len(toks) >= 3 and all(t.kind == "char" and t.value.isalpha() and (k == 0 or not t.space)
                                  for k, t in enumerate(toks)):
            word = "".join(t.value for t in toks)
            return None if self.registry.has(WORD, word) else word
        return None

    @staticmethod
    def _one_bracket(toks: list[Token]) -> bool:
        depth = 0
        for k, t in enumerate(toks):
            if t.kind == "open":
                depth += 1
            elif t.kind == "close":
                depth -= 1
                if depth == 0 and k != len(toks) - 1:
                    return False
        return True
