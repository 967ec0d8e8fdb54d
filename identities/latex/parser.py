"""Recursive-descent parser from a row's LaTeX to the AST in ``nodes``.

Reading conventions (the usual ones of the field):
- ``\\log`` applies to the next factor: ``\\log p(x)\\int q\\,dz`` is ``log(p(x)) * \\int q\\,dz``;
- ``\\sum``/``\\prod`` apply to the next product of factors and stop at ``+``/``-``;
- ``\\int`` extends to its differential ``d z``; ``\\argmax`` to the end of its side;
- ``p(...)``/``q(...)`` are densities; a subscripted or Greek name followed by ``(`` is a
  function (``\\mu_\\phi(x)``), other letters followed by ``(`` multiply.
Anything else is reported as ``cannot parse: ...`` with the offending token.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex.tokens import Token, tokenize
from elbo_suite.identities.latex.typography import mixed_bold_notes

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
GREEK_VARIANTS = {"varepsilon": "epsilon", "varphi": "phi", "vartheta": "theta",
                  "varsigma": "sigma", "varrho": "rho"}
BOLD = {"boldsymbol", "mathbf", "bm", "mathbfit", "pmb", "vec", "mathit"}
IGNORED = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
           "Biggl", "Biggr", "displaystyle", "textstyle", "limits", "nolimits", "quad", "qquad",
           ",", ";", ":", "!", " ", "middle"}
RELATIONS = {"=": "=", "<": "<", ">": ">"}
RELATION_CMDS = {"geq": ">=", "ge": ">=", "geqslant": ">=", "leq": "<=", "le": "<=",
                 "leqslant": "<=", "approx": "≈", "simeq": "≈", "neq": "≠", "ne": "≠",
                 "equiv": "≡", "coloneqq": ":=", "triangleq": ":=", "eqqcolon": ":="}
OPEN = {"(": ")", "[": "]", "{": "}"}
CLAUSE_WORDS = ("with", "where", "for")


def relation_of(tok: Token) -> str | None:
    if tok.kind == "char" and tok.value in RELATIONS:
        return RELATIONS[tok.value]
    if tok.kind == "cmd" and tok.value in RELATION_CMDS:
        return RELATION_CMDS[tok.value]
    return None


class Parser:
    def __init__(self, tokens: list[Token], notes: list[str] | None = None):
        self.toks = [t for t in tokens if not (t.kind == "cmd" and t.value in IGNORED)]
        self.i = 0
        self.integral_vars = 0  # > 0 while inside \int ... d(var): a "d" then ends the body
        self.notes = notes if notes is not None else []

    # -- token helpers -------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise CannotParse("unexpected end of row")
        self.i += 1
        return tok

    def expect_char(self, c: str) -> Token:
        tok = self.peek()
        if tok is None or not tok.is_char(c):
            raise CannotParse(f"expected '{c}'", tok.show() if tok else "end of row")
        return self.next()

    def group(self) -> list[Token]:
        """Tokens of a {...} group, or the single next token when unbraced."""
        tok = self.next()
        if tok.is_char("{"):
            depth, start = 1, self.i
            while True:
                t = self.next()
                if t.is_char("{"):
                    depth += 1
                elif t.is_char("}"):
                    depth -= 1
                    if depth == 0:
                        return self.toks[start:self.i - 1]
        if tok.kind == "cmd" and tok.value in BOLD:
            return self.group()
        return [tok]

    def sub_parse(self, tokens: list[Token]) -> n.Node:
        p = Parser(tokens, self.notes)
        node = p.parse_expr()
        if p.peek() is not None:
            raise CannotParse("unexpected token", p.peek().show())
        return node

    def at_differential(self) -> bool:
        tok, nxt = self.peek(), self.peek(1)
        if self.integral_vars <= 0 or tok is None or nxt is None:
            return False
        if tok.is_char("d") or (tok.kind == "text" and tok.value.strip() == "d"):
            return (nxt.kind == "char" and nxt.value.isalpha()) or (
                nxt.kind == "cmd" and (nxt.value in BOLD or nxt.value in GREEK
                                       or nxt.value in GREEK_VARIANTS))
        return False

    def starts_factor(self) -> bool:
        tok = self.peek()
        if tok is None or self.at_differential():
            return False
        if tok.kind == "num":
            return True
        if tok.kind == "char":
            return tok.value.isalpha() or tok.value in "([{"
        if tok.kind == "text":
            return True
        if tok.kind == "cmd":
            return not (relation_of(tok) or tok.value in {"right", "cdot", "times", "odot", "|",
                                                          "sim", "to", "mid"})
        return False

    # -- grammar ---------------------------------------------------------------------------
    def parse_expr(self) -> n.Node:
        tok = self.peek()
        if tok is not None and tok.kind == "cmd" and tok.value in {"argmax", "argmin"}:
            self.next()
            return self.argmax(tok.value)
        if tok is not None and tok.is_cmd("arg") and self.peek(1) is not None and \
                self.peek(1).is_cmd("max", "min"):
            self.next()
            return self.argmax("arg" + self.next().value)
        if tok is not None and tok.kind == "text" and tok.value.strip() in {"argmax", "argmin"}:
            self.next()
            return self.argmax(tok.value.strip())
        terms: list[n.Node] = []
        sign = 1
        if tok is not None and tok.is_char("+", "-"):
            sign = -1 if self.next().value == "-" else 1
        while True:
            term = self.parse_term()
            terms.append(n.Neg(term) if sign < 0 else term)
            tok = self.peek()
            if tok is not None and tok.is_char("+", "-"):
                sign = -1 if self.next().value == "-" else 1
                continue
            break
        return terms[0] if len(terms) == 1 else n.Add(tuple(terms))

    def argmax(self, op: str) -> n.Node:
        over: list[str] = []
        if self.peek() is not None and self.peek().is_char("_"):
            self.next()
            for t in self.group():
                if t.kind == "cmd" and t.value in BOLD or t.is_char("{", "}", ","):
                    continue
                if t.kind == "cmd" and (t.value in GREEK or t.value in GREEK_VARIANTS):
                    over.append(GREEK_VARIANTS.get(t.value, t.value))
                elif t.kind == "char" and t.value.isalpha():
                    over.append(t.value)
                else:
                    raise CannotParse("unexpected token in the argmax subscript", t.show())
        return n.Argmax(op, tuple(over), self.parse_expr())

    def parse_term(self) -> n.Node:
        if not self.starts_factor():
            tok = self.peek()
            raise CannotParse("expected an expression", tok.show() if tok else "end of row")
        factors = [self.parse_factor()]
        elementwise = False
        while True:
            tok = self.peek()
            if tok is not None and tok.is_cmd("cdot", "times", "odot"):
                elementwise = elementwise or tok.value == "odot"
                self.next()
                factors.append(self.parse_factor())
            elif tok is not None and tok.is_char("*"):
                self.next()
                factors.append(self.parse_factor())
            elif tok is not None and tok.is_char("/"):
                self.next()
                num = factors[0] if len(factors) == 1 else n.Mul(tuple(factors), elementwise)
                factors = [n.Div(num, self.parse_factor())]
            elif self.starts_factor():
                factors.append(self.parse_factor())
            else:
                break
        return factors[0] if len(factors) == 1 else n.Mul(tuple(factors), elementwise)

    def parse_factor(self) -> n.Node:
        atom = self.atom()
        return self.postfix(atom)

    def script(self) -> list[Token]:
        self.next()  # _ or ^
        return self.group()

    def postfix(self, atom: n.Node) -> n.Node:
        power: n.Node | None = None
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.is_char("_") and isinstance(atom, n.Var) and atom.index is None:
                toks = self.script()
                if atom.name == "D" and len(toks) == 1 and toks[0].kind in {"text", "char"} \
                        and toks[0].value.strip() in {"KL", "{KL}"}:
                    return self.kl()
                if len(toks) == 1 and toks[0].kind == "text" and toks[0].value.strip() == "KL":
                    return self.kl()
                atom = n.Var(atom.name, self.index(toks), atom.sample)
                continue
            if tok.is_char("^"):
                toks = self.script()
                if isinstance(atom, n.Var) and toks and toks[0].is_char("(") and toks[-1].is_char(")"):
                    atom = n.Var(atom.name, atom.index, self.sub_parse(toks[1:-1]))
                    continue
                power = self.sub_parse(toks) if power is None else n.Mul((power, self.sub_parse(toks)))
                if not (isinstance(atom, n.Var) and self.peek() is not None and self.peek().is_char("(")
                        and self.is_function(atom)):
                    atom, power = n.Pow(atom, power), None
                continue
            if tok.is_char("(") and isinstance(atom, n.Var) and atom.sample is None:
                if atom.name in {"p", "q"}:
                    atom = self.density(atom)
                    continue
                if self.is_function(atom):
                    args = self.paren_args()
                    atom = n.FuncApp(atom.name, atom.index, tuple(args))
                    continue
            if tok.is_char("'"):
                raise CannotParse("prime notation", "'")
            if tok.is_char("!"):
                raise CannotParse("factorial", "!")
            break
        if power is not None:
            atom = n.Pow(atom, power)
        return atom

    @staticmethod
    def is_function(var: n.Var) -> bool:
        return var.index is not None or var.name in GREEK or var.name in {"f", "g", "h"}

    def index(self, toks: list[Token]) -> n.Node:
        depth = 0
        for k, t in enumerate(toks):
            if t.is_char("(", "[", "{"):
                depth += 1
            elif t.is_char(")", "]", "}"):
                depth -= 1
            elif t.is_char(":") and depth == 0:
                return n.Slice(self.sub_parse(toks[:k]), self.sub_parse(toks[k + 1:]))
        return self.sub_parse(toks)

    def split_top(self, toks: list[Token], seps: set[str]) -> list[tuple[str | None, list[Token]]]:
        """Split toks on separator chars outside brackets; each piece with the separator before it."""
        out: list[tuple[str | None, list[Token]]] = []
        depth, start, sep = 0, 0, None
        for k, t in enumerate(toks):
            if t.is_char("(", "[", "{") or t.is_cmd("left"):
                depth += 1
            elif t.is_char(")", "]", "}") or t.is_cmd("right"):
                depth -= 1
            elif depth == 0 and t.kind == "char" and t.value in seps:
                out.append((sep, toks[start:k]))
                sep, start = t.value, k + 1
        out.append((sep, toks[start:]))
        return out

    def paren_tokens(self) -> list[Token]:
        """Tokens inside the (...) that starts here, brackets balanced."""
        self.expect_char("(")
        depth, start = 1, self.i
        while True:
            t = self.next()
            if t.is_char("(") or t.is_cmd("left"):
                depth += 1
            elif t.is_char(")") or t.is_cmd("right"):
                depth -= 1
                if depth == 0 and t.is_char(")"):
                    return self.toks[start:self.i - 1]

    def paren_args(self) -> list[n.Node]:
        return [self.sub_parse(piece) for _, piece in self.split_top(self.paren_tokens(), {","})]

    def density(self, var: n.Var) -> n.Node:
        inner = self.paren_tokens()
        pieces = self.split_top(inner, {"|"})
        if len(pieces) > 2 or any(not p for _, p in pieces):
            raise CannotParse(f"density {var.name}(...) with an unexpected '|'", "|")
        vars_ = tuple(self.sub_parse(t) for _, t in self.split_top(pieces[0][1], {",", ";"}))
        given = tuple(self.sub_parse(t) for _, t in self.split_top(pieces[1][1], {",", ";"})) \
            if len(pieces) == 2 else ()
        return n.Density(var.name, var.index, vars_, given)

    def kl(self) -> n.Node:
        inner = self.paren_tokens()
        # "||" is two '|' chars or \| ; split at the first top-level one.
        depth = 0
        for k, t in enumerate(inner):
            if t.is_char("(", "[", "{") or t.is_cmd("left"):
                depth += 1
            elif t.is_char(")", "]", "}") or t.is_cmd("right"):
                depth -= 1
            elif depth == 0 and (t.is_cmd("|", "Vert", "parallel") or
                                 (t.is_char("|") and k + 1 < len(inner) and inner[k + 1].is_char("|"))):
                width = 1 if t.kind == "cmd" else 2
                return n.KL(self.sub_parse(inner[:k]), self.sub_parse(inner[k + width:]))
        raise CannotParse("KL divergence without '||' between its arguments", "D_KL")

    def bracket_body(self) -> n.Node:
        """A body in [...] or \\left[...\\right] (or parentheses)."""
        tok = self.peek()
        if tok is not None and tok.is_cmd("left"):
            return self.left_group()
        if tok is not None and tok.is_char("[", "("):
            close = "]" if tok.value == "[" else ")"
            self.next()
            depth, start = 1, self.i
            while True:
                t = self.next()
                if t.is_char(tok.value) or t.is_cmd("left"):
                    depth += 1
                elif t.is_char(close) or t.is_cmd("right"):
                    depth -= 1
                    if depth == 0 and t.is_char(close):
                        return self.sub_parse(self.toks[start:self.i - 1])
        raise CannotParse("expected [...] after the expectation", tok.show() if tok else "end of row")

    def left_group(self) -> n.Node:
        self.next()  # \left
        self.next()  # its delimiter
        depth, start = 1, self.i
        while True:
            t = self.next()
            if t.is_cmd("left"):
                depth += 1
            elif t.is_cmd("right"):
                depth -= 1
                if depth == 0:
                    inner = self.toks[start:self.i - 1]
                    self.next()  # the closing delimiter
                    return self.sub_parse(inner)

    def atom(self) -> n.Node:
        tok = self.next()
        if tok.kind == "num":
            return n.Num(tok.value)
        if tok.kind == "char":
            c = tok.value
            if c.isalpha():
                return n.Var(c)
            if c == "(":
                self.i -= 1
                return self.bracket_body()
            if c == "[":
                self.i -= 1
                return self.bracket_body()
            if c == "{":
                self.i -= 1
                return self.sub_parse(self.group())
            raise CannotParse("unexpected symbol", c)
        if tok.kind == "text":
            word = tok.value.strip()
            if word in {"KL", "D_{KL}"} and self.peek() is not None and self.peek().is_char("("):
                return self.kl()
            if word in {"argmax", "argmin"}:
                return self.argmax(word)
            raise CannotParse(f"text '{word}' inside an expression", tok.show())
        name = tok.value
        if name in GREEK or name in GREEK_VARIANTS:
            return n.Var(GREEK_VARIANTS.get(name, name))
        if name in BOLD:
            inner = self.group()
            node = self.sub_parse(inner)
            return node
        if name in {"frac", "dfrac", "tfrac"}:
            num = self.sub_parse(self.group())
            den = self.sub_parse(self.group())
            return n.Div(num, den)
        if name in {"log", "ln"}:
            if self.peek() is not None and self.peek().is_char("_", "^"):
                raise CannotParse("logarithm with a base or power", self.peek().show())
            if not self.starts_factor():
                raise CannotParse("\\log without an argument", "\\log")
            return n.Log(self.parse_factor())
        if name == "exp":
            return n.Exp(self.parse_factor())
        if name == "sqrt":
            if self.peek() is not None and self.peek().is_char("["):
                raise CannotParse("root with an index", "\\sqrt[")
            return n.Sqrt(self.sub_parse(self.group()))
        if name == "int":
            return self.integral()
        if name in {"sum", "prod"}:
            return self.bigop(name)
        if name == "mathbb":
            letter = "".join(t.value for t in self.group())
            if letter == "E":
                return self.expectation()
            raise CannotParse(f"\\mathbb{{{letter}}}", "\\mathbb{" + letter + "}")
        if name == "mathcal":
            letter = "".join(t.value for t in self.group())
            if letter == "N":
                return self.normal()
            raise CannotParse(f"\\mathcal{{{letter}}}", "\\mathcal{" + letter + "}")
        if name in {"underbrace", "overbrace"}:
            body = self.sub_parse(self.group())
            note = ""
            if self.peek() is not None and self.peek().is_char("_", "^"):
                note = " ".join(t.value for t in self.script())
            return n.Annotated(body, note.strip())
        if name == "left":
            self.i -= 1
            return self.left_group()
        if name in {"argmax", "argmin"}:
            return self.argmax(name)
        if name in {"infty"}:
            return n.Var("infty")
        raise CannotParse(f"unknown command \\{name}", "\\" + name)

    def integral(self) -> n.Node:
        lower = upper = None
        while self.peek() is not None and self.peek().is_char("_", "^"):
            which = self.peek().value
            bound = self.sub_parse(self.script())
            if which == "_":
                lower = bound
            else:
                upper = bound
        self.integral_vars += 1
        body = self.parse_expr()
        self.integral_vars -= 1
        if not self.at_differential_any():
            tok = self.peek()
            raise CannotParse("integral without its differential d(variable)",
                              tok.show() if tok else "end of row")
        self.next()  # d
        var = self.parse_factor_plain()
        return n.Integral(body, var, lower, upper)

    def at_differential_any(self) -> bool:
        self.integral_vars += 1
        try:
            return self.at_differential()
        finally:
            self.integral_vars -= 1

    def parse_factor_plain(self) -> n.Node:
        tok = self.next()
        if tok.kind == "cmd" and tok.value in BOLD:
            return self.sub_parse(self.group())
        if tok.kind == "cmd" and (tok.value in GREEK or tok.value in GREEK_VARIANTS):
            var = n.Var(GREEK_VARIANTS.get(tok.value, tok.value))
        elif tok.kind == "char" and tok.value.isalpha():
            var = n.Var(tok.value)
        else:
            raise CannotParse("expected the integration variable", tok.show())
        if self.peek() is not None and self.peek().is_char("_"):
            var = n.Var(var.name, self.index(self.script()))
        return var

    def bigop(self, op: str) -> n.Node:
        index = lower = upper = None
        while self.peek() is not None and self.peek().is_char("_", "^"):
            which = self.peek().value
            toks = self.script()
            if which == "^":
                upper = self.sub_parse(toks)
                continue
            eq = [k for k, t in enumerate(toks) if t.is_char("=")]
            if eq:
                index = self.sub_parse(toks[:eq[0]])
                lower = self.sub_parse(toks[eq[0] + 1:])
            else:
                index = self.sub_parse(toks)
        body = self.parse_term()
        return n.BigOp(op, index, lower, upper, body)

    def expectation(self) -> n.Node:
        dist = None
        if self.peek() is not None and self.peek().is_char("_"):
            toks = self.script()
            # E_{z ~ q(z|x)} is the same as E_{q(z|x)}
            sims = [k for k, t in enumerate(toks) if t.is_cmd("sim")]
            dist = self.sub_parse(toks[sims[0] + 1:] if sims else toks)
        return n.Expectation(dist, self.bracket_body())

    def normal(self) -> n.Node:
        pieces = self.split_top(self.paren_tokens(), {";", ","})
        seps = [s for s, _ in pieces[1:]]
        args = [self.sub_parse(t) for _, t in pieces]
        if len(args) == 3 and seps == [";", ","]:
            return n.Normal(args[0], args[1], args[2], ";")
        if len(args) == 3 and seps == [",", ","]:
            self.notes.append("N(·,·,·) written with ',' where ';' separates the variable: "
                              "read as N(variable; mean, covariance)")
            return n.Normal(args[0], args[1], args[2], ",")
        if len(args) == 2:
            return n.Normal(None, args[0], args[1], ",")
        raise CannotParse("\\mathcal{N} with arguments other than (variable; mean, covariance)",
                          "\\mathcal{N}")


def _top_level(tokens: list[Token]) -> list[int]:
    """Depth (brackets, braces, \\left/\\right) before each token."""
    depths, depth = [], 0
    for t in tokens:
        if t.is_char(")", "]", "}") or t.is_cmd("right"):
            depth -= 1
        depths.append(depth)
        if t.is_char("(", "[", "{") or t.is_cmd("left"):
            depth += 1
    return depths


def _clause(tokens: list[Token], notes: list[str]) -> tuple[n.Sampling, ...]:
    out = []
    parser = Parser([], notes)
    for _, piece in parser.split_top(tokens, {","}):
        sims = [k for k, t in enumerate(piece) if t.is_cmd("sim")]
        if len(sims) != 1:
            raise CannotParse("clause other than 'variable \\sim distribution'",
                              " ".join(t.show() for t in piece[:4]))
        var = parser.sub_parse(piece[:sims[0]])
        dist = parser.sub_parse(piece[sims[0] + 1:])
        out.append(n.Sampling(var, dist))
    return tuple(out)


def parse_row(tex: str) -> n.Row:
    """Parse one displayed row (Markdown escapes already undone)."""
    tokens = tokenize(tex)
    notes: list[str] = mixed_bold_notes(tex)
    clauses: tuple[n.Sampling, ...] = ()
    depths = _top_level(tokens)
    for k, t in enumerate(tokens):
        if t.kind == "text" and depths[k] == 0 and t.value.strip().split(" ")[0] in CLAUSE_WORDS:
            word = t.value.strip()
            rest = word.split(" ", 1)[1:] if " " in word else []
            if rest:
                raise CannotParse("text after the clause word", t.show())
            clauses = _clause(tokens[k + 1:], notes)
            tokens, depths = tokens[:k], depths[:k]
            break
    while tokens and tokens[-1].is_char(",", ".", ";"):
        tokens, depths = tokens[:-1], depths[:-1]
    keep = [(t, d) for t, d in zip(tokens, depths) if not t.is_char("&")
            and not (t.kind == "cmd" and t.value in IGNORED)]
    tokens = [t for t, _ in keep]
    depths = [d for _, d in keep]
    cut = [k for k, t in enumerate(tokens) if depths[k] == 0 and relation_of(t)]
    # ":=" is two chars
    cut = [k for k in cut if not (tokens[k].is_char("=") and k > 0 and tokens[k - 1].is_char(":"))]
    parts: list[n.Node | None] = []
    relations: list[str] = []
    aside = False
    if not cut:
        # a parenthesised aside at the end: "expr (\leq rhs)"
        last = len(tokens) - 1
        if last > 0 and tokens[last].is_char(")") and depths[last] == 0:
            open_k = max(k for k in range(last) if depths[k] == 0 and tokens[k].is_char("("))
            inner = tokens[open_k + 1:last]
            if inner and relation_of(inner[0]) and open_k > 0:
                parser = Parser(tokens[:open_k], notes)
                return n.Row((parser.sub_parse(tokens[:open_k]),
                              parser.sub_parse(inner[1:])), (relation_of(inner[0]),), True,
                             clauses, tuple(notes))
        if not tokens:
            raise CannotParse("empty row")
        return n.Row((Parser(tokens, notes).sub_parse(tokens),), (), False, clauses, tuple(notes))
    bounds = [-1] + cut + [len(tokens)]
    parser = Parser([], notes)
    for a, b in zip(bounds, bounds[1:]):
        piece = tokens[a + 1:b]
        if piece and piece[-1].is_char(":") and b < len(tokens) and tokens[b].is_char("="):
            piece = piece[:-1]
        parts.append(parser.sub_parse(piece) if piece else None)
    for k in cut:
        rel = relation_of(tokens[k])
        if tokens[k].is_char("=") and k > 0 and tokens[k - 1].is_char(":"):
            rel = ":="
        relations.append(rel)
    if any(p is None for p in parts[1:]):
        raise CannotParse("relation without a right-hand side", tokens[cut[-1]].show())
    return n.Row(tuple(parts), tuple(relations), aside, clauses, tuple(notes))
