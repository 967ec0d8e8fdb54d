"""One displayed row: its statement, side conditions, remarks and leading word.

A row as people write it is more than a chain of relations::

    \\therefore\\; L_{t-1} \\overset{(i)}{=} \\mathbb{E}_q[\\ldots] + C, \\quad t = 2, \\dots, T
      \\qquad (\\text{Jensen})

Reading it: a leading word or sign (``\\therefore``, ``\\text{where}``) is the row's ``lead``;
the statement is split at the top-level relations (labels over them kept); what follows a
separator (``,``, ``;``, ``\\quad``, ``&&``) or a condition word (``\\text{for}``, ``\\forall``,
``\\text{where}``) is a side condition, a sampling clause or, when it is words only, a remark.
A comma-separated list continues its segment (``t = 1, \\dots, T``). Every failure is a
``CannotParse`` with its reason; nothing else leaves ``parse_row``.
"""

from __future__ import annotations

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex.macros import MacroTable, expand, strip_definitions, table_from
from elbo_suite.identities.latex.normalise import normalise
from elbo_suite.identities.latex.parser import ParseState, Parser
from elbo_suite.identities.latex.tokens import Token, source_of, tokenize, words_of
from elbo_suite.identities.latex.typography import mixed_bold_notes
from elbo_suite.identities.notation import BUILTIN_MACROS
from elbo_suite.identities.notation.relations import DEFINING_LABELS
from elbo_suite.identities.notation.registry import (COMMAND, CONDITION, LABELLED, LEAD, REGISTRY, RELATION,
                                                     SEPARATOR, WORD, Registry)

_SEGMENT_PUNCT = (",", ";")
_TRAILING = (",", ".", ";", ":")


def parse_row(tex: str, macros: MacroTable | None = None) -> n.Row:
    """Parse one displayed row (Markdown escapes already undone), expanding ``macros`` first."""
    state = ParseState(notes=mixed_bold_notes(tex))
    try:
        own = table_from(tex)  # a definition written in the row itself
        if len(own):
            tex = strip_definitions(tex)
        tokens = tokenize(tex)
        _check_balanced(tokens)
        tokens = expand(tokens, [own, macros, BUILTIN_MACROS], REGISTRY.fallback, state.notes)
        tokens = normalise(tokens)
        _check_brackets(tokens)
        return _RowReader(tokens, state).read()
    except CannotParse:
        raise
    except RecursionError:
        raise CannotParse("nested too deeply to read") from None
    except MemoryError:
        raise CannotParse("too large to read") from None
    except Exception as exc:  # a bug in a handler must cost one row, never the document
        raise CannotParse(f"the parser failed ({type(exc).__name__}: {exc})") from None


def _check_balanced(tokens: list[Token]) -> None:
    """Malformed LaTeX, named as such: unbalanced braces, \\left without \\right, \\begin without \\end."""
    depth = 0
    for t in tokens:
        if t.is_char("{"):
            depth += 1
        elif t.is_char("}"):
            depth -= 1
            if depth < 0:
                raise CannotParse("unbalanced braces: '}' without a matching '{'", "}")
    if depth:
        raise CannotParse(f"unbalanced braces: {depth} '{{' never closed", "{")
    lefts = sum(1 for t in tokens if t.is_cmd("left"))
    rights = sum(1 for t in tokens if t.is_cmd("right"))
    if lefts != rights:
        raise CannotParse(f"\\left/\\right mismatch: {lefts} \\left and {rights} \\right",
                          "\\left" if lefts > rights else "\\right")


def _check_brackets(tokens: list[Token]) -> None:
    """Visible brackets that do not pair up ((a+b)) or (a+b): named, not a puzzle later."""
    depth = 0
    for t in tokens:
        if t.kind == "open":
            depth += 1
        elif t.kind == "close":
            depth -= 1
            if depth < 0:
                raise CannotParse(f"unbalanced brackets: '{t.show()}' closes nothing", t.show())
    if depth > 0:
        raise CannotParse(f"unbalanced brackets: {depth} opened and never closed")


def _depths(tokens: list[Token]) -> list[int]:
    """Bracket depth before each token (braces and visible brackets)."""
    out, depth = [], 0
    for t in tokens:
        kind, value = t.kind, t.value
        if kind == "close" or (kind == "char" and value == "}") or (kind == "cmd" and value == "end"):
            depth -= 1
        out.append(depth)
        if kind == "open" or (kind == "char" and value == "{") or (kind == "cmd" and value == "begin"):
            depth += 1
    return out


class _RowReader:
    def __init__(self, tokens: list[Token], state: ParseState):
        self.tokens = tokens
        self.state = state
        self.reg: Registry = state.registry

    # -- classification helpers ----------------------------------------------------------------
    def relation_at(self, toks: list[Token], k: int) -> tuple[str, str, int] | None:
        """(symbol, label, index after) when a relation starts at toks[k]."""
        t = toks[k]
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if t.is_char(":") and nxt is not None and nxt.is_char("="):
            return ":=", "", k + 2
        if t.is_char("=") and nxt is not None and nxt.is_char(":") and (k + 2 >= len(toks) or not toks[k + 2].is_char("=")):
            return ":=", "", k + 2
        if t.kind in ("char", "cmd"):
            e = self.reg.lookup(RELATION, t)
            if e is not None:
                return self.scripted_label(toks, e.value, k + 1)
            e = self.reg.lookup(LABELLED, t) if t.kind == "cmd" else None
            if e is not None:
                return e.handler(self, toks, k)
        return None

    def scripted_label(self, toks: list[Token], symbol: str, k: int) -> tuple[str, str, int]:
        """``=_{\\text{Jensen}}``, ``\\geq^{(a)}``: a relation with its label as a script."""
        label = ""
        while k + 1 < len(toks) and toks[k].is_char("_", "^"):
            if toks[k + 1].is_char("{"):
                depth, j = 0, k + 1
                while j < len(toks):
                    depth += 1 if toks[j].is_char("{") else -1 if toks[j].is_char("}") else 0
                    if depth == 0:
                        break
                    j += 1
                label = (label + " " + words_of(toks[k + 2:j])).strip()
                k = j + 1
            else:
                label = (label + " " + words_of([toks[k + 1]])).strip()
                k += 2
        if symbol == "=" and label.strip("() ") in DEFINING_LABELS:
            symbol = ":="
        return symbol, label, k

    def relation_symbol(self, toks: list[Token]) -> tuple[str, str] | None:
        """The relation spelled by toks alone (the second argument of \\overset), if any."""
        toks = [t for t in toks if not self.is_separator(t)]
        if not toks:
            return None
        found = self.relation_at(toks, 0)
        if found is None or found[2] != len(toks):
            return None
        return found[0], found[1]

    def relations(self, toks: list[Token]) -> list[tuple[int, int, str, str]]:
        """(start, end, symbol, label) of each top-level relation."""
        out = []
        depths = _depths(toks)
        k = 0
        while k < len(toks):
            if depths[k] == 0 and not (k > 0 and toks[k - 1].is_char("_", "^")):
                found = self.relation_at(toks, k)
                if found is not None:
                    symbol, label, end = found
                    out.append((k, end, symbol, label))
                    k = end
                    continue
            k += 1
        return out

    def condition_word(self, t: Token) -> tuple[str, str, str] | None:
        """(phrase, role, rest of the words) when a text token opens a side condition or remark."""
        if t.kind == "cmd":
            e = self.reg.get(CONDITION, "\\" + t.value)
            return ("\\" + t.value, e.value, "") if e is not None else None
        if t.kind != "text":
            return None
        words = t.value.strip().lower().lstrip(";,:.").split()
        for size in (3, 2, 1):
            phrase = " ".join(words[:size])
            e = self.reg.get(CONDITION, phrase) or self.reg.get(CONDITION, phrase.rstrip(",:"))
            if e is not None and len(words) >= size:
                return phrase, e.value, " ".join(words[size:])
        return None

    def is_words(self, toks: list[Token]) -> bool:
        """Whether toks are words only: text, references and punctuation, maybe in brackets."""
        inner = [t for t in toks if t.kind not in ("open", "close") and not t.is_char(",", ".", ":")]
        if not inner:
            return False
        if not all(t.kind == "text" or t.kind == "num" for t in inner):
            return False
        if len(inner) == 1 and inner[0].kind == "text" and not any(t.kind == "open" for t in toks):
            word = inner[0].value
            # one name (ELBO, const) is notation; prose has spaces or punctuation
            return not self.is_name(word)
        return any(t.kind == "text" for t in inner)

    @staticmethod
    def is_plain_words(toks: list[Token]) -> bool:
        """(part.1), (Jensen): letters typed without \\text, read as a label, not a product."""
        if not toks or not all(t.kind in ("char", "num") and (t.value.isalnum() or t.value in ".'-")
                               for t in toks):
            return False
        run = longest = 0
        for k, t in enumerate(toks):
            run = run + 1 if t.kind == "char" and t.value.isalpha() and (k == 0 or not t.space) else \
                (1 if t.kind == "char" and t.value.isalpha() else 0)
            longest = max(longest, run)
        return any(t.is_char(".") for t in toks) or longest >= 4

    def is_separator(self, t: Token) -> bool:
        return t.kind == "cmd" and self.reg.lookup(SEPARATOR, t) is not None

    def is_name(self, word: str) -> bool:
        return self.reg.has(WORD, word) or self.reg.has(WORD, word.replace(" ", "")) or \
            (word.replace("-", "").isalnum() and " " not in word)

    # -- the row ---------------------------------------------------------------------------------
    def read(self) -> n.Row:
        toks = self.unboxed(self.without_alignment(list(self.tokens)))
        toks = self.trim(toks)
        lead, toks = self.lead(toks)
        clauses: list[n.Sampling] = []
        conditions: list[n.Side] = []
        toks = self.quantifier_prefix(toks, conditions)
        segments = self.segments(toks)
        remarks: list[str] = []
        main: list[Token] = []
        for k, (intro, seg) in enumerate(segments):
            if k == 0:
                main = seg
                continue
            self.side(intro, seg, clauses, conditions, remarks)
        main, labels_in_words = self.worded_labels(main)
        main, tail_remarks = self.trailing_remarks(main)
        remarks = labels_in_words + tail_remarks + remarks
        parts, relations, labels, aside = self.statement(main, remarks)
        return n.Row(tuple(parts), tuple(relations), aside, tuple(clauses), tuple(self.state.notes),
                     tuple(labels), tuple(conditions), tuple(remarks), lead)

    @staticmethod
    def without_alignment(toks: list[Token]) -> list[Token]:
        """Alignment marks of the row dropped (``&=``); a doubled ``&&`` kept as a separator;
        marks inside an environment (a matrix's cells) kept."""
        out, level = [], 0
        for k, t in enumerate(toks):
            if t.is_cmd("begin"):
                level += 1
            elif t.is_cmd("end"):
                level -= 1
            if t.is_char("&") and level == 0:
                doubled = (k + 1 < len(toks) and toks[k + 1].is_char("&")) or \
                    (k > 0 and toks[k - 1].is_char("&"))
                if not doubled:
                    continue
            out.append(t)
        return out

    def unboxed(self, toks: list[Token]) -> list[Token]:
        """``\\boxed{a = b}``, ``\\color{red}{a \\le b}``: a statement inside a decoration or a group
        is the row's statement; the braces (and the decoration) go."""
        depths = _depths(toks)
        for k, t in enumerate(toks):
            if not (t.is_char("{") and depths[k] == 0):
                continue
            end = next((j for j in range(k + 1, len(toks)) if toks[j].is_char("}") and depths[j] == 0), None)
            if end is None or not self.relations(toks[k + 1:end]):
                continue
            before = toks[k - 1] if k > 0 else None
            decoration = before is not None and before.kind == "cmd" and \
                getattr(self.reg.lookup(COMMAND, before), "family", "") == "decorations"
            if before is not None and not decoration and (before.kind == "cmd" or before.is_char("_", "^", "}")):
                continue  # an argument or a script, not a statement in braces
            start = k - 1 if decoration else k
            return self.unboxed(toks[:start] + toks[k + 1:end] + toks[end + 1:])
        return toks

    def trim(self, toks: list[Token]) -> list[Token]:
        while toks and (toks[-1].is_char(*_TRAILING) or toks[-1].is_char("&") or
                        self.is_separator(toks[-1])):
            toks = toks[:-1]
        while toks and (toks[0].is_char("&") or self.is_separator(toks[0])):
            toks = toks[1:]
        return toks

    def lead(self, toks: list[Token]) -> tuple[str, list[Token]]:
        """A leading word or sign: \\therefore, \\Rightarrow, \\text{where}, \\text{Let}."""
        k = 0
        while k < len(toks) and toks[k].is_char("&"):
            k += 1
        if k >= len(toks):
            return "", toks
        t = toks[k]
        if t.kind == "cmd":
            e = self.reg.get(LEAD, "\\" + t.value)
            if e is not None and k + 1 < len(toks):
                return e.value, self.trim(toks[k + 1:])
        if t.kind == "text":
            words = t.value.strip().lower().rstrip(",:").split()
            if words and self.reg.has(LEAD, words[0]) and k + 1 < len(toks):
                return " ".join(words), self.trim(toks[k + 1:])
        return "", toks

    def quantifier_prefix(self, toks: list[Token], conditions: list) -> list[Token]:
        """``\\forall t \\in \\{1..T\\}: q(x_t|x_{t-1}) = ...``: the quantifier, then the statement."""
        if not toks or not (toks[0].is_cmd("forall") or
                            (toks[0].kind == "text" and self.condition_word(toks[0]) is not None and
                             self.condition_word(toks[0])[1] == "quantifier")):
            return toks
        depths = _depths(toks)
        for k in range(1, len(toks)):
            t = toks[k]
            if depths[k] == 0 and (t.is_char(":", ",") or self.is_separator(t)):
                rest = self.trim(toks[k + 1:])
                if not rest or not self.has_relation(rest):
                    return toks
                head = toks[1:k]
                if head:
                    try:
                        conditions.append(n.Side("forall", self.quantified(head)))
                    except CannotParse as exc:
                        conditions.append(n.Side("forall", n.Text(source_of(head))))
                        self.state.note(f"quantifier '{source_of(head)}' not read: {exc}")
                return rest
        return toks

    def segments(self, toks: list[Token]) -> list[tuple[str, list[Token]]]:
        """The statement and what follows it, split at top-level separators and condition words."""
        depths = _depths(toks)
        cuts: list[tuple[int, int, str]] = []  # (start of separator, start of next segment, intro)
        k = 0
        while k < len(toks):
            t = toks[k]
            if depths[k] != 0 or (k > 0 and toks[k - 1].is_char("_", "^")):
                k += 1
                continue
            if t.is_char(*_SEGMENT_PUNCT):
                cuts.append((k, k + 1, t.value))
            elif self.is_separator(t):
                cuts.append((k, k + 1, "quad"))
            elif t.is_char("&") and k + 1 < len(toks) and toks[k + 1].is_char("&"):
                cuts.append((k, k + 2, "quad"))
                k += 2
                continue
            elif k > 0 and self.condition_word(t) is not None:
                cuts.append((k, k, self.condition_word(t)[0]))
            k += 1
        segments: list[tuple[str, list[Token]]] = []
        start, intro = 0, ""
        for a, b, word in cuts:
            piece = toks[start:a]
            if any(not x.is_char("&") for x in piece) or not segments:
                segments.append((intro, piece))
                intro = word
            elif word not in ("quad", ",", ";"):
                intro = word
            start = b
        segments.append((intro, toks[start:]))
        segments = [(i, s) for i, s in segments if s or i == ""]
        if not segments:
            raise CannotParse("empty row")
        return self.merge_lists(segments)

    def has_relation(self, toks: list[Token]) -> bool:
        return bool(self.relations(toks))

    def merge_lists(self, segments: list[tuple[str, list[Token]]]) -> list[tuple[str, list[Token]]]:
        """Put comma lists back together: ``x_1, \\dots, x_T \\sim p`` and ``t = 1, \\dots, T``."""
        comma = Token("char", ",")
        # a listing before the statement's relation: x_1, ..., x_N ~ p(x)
        if not self.has_relation(segments[0][1]) and not self.is_words(segments[0][1]):
            k = 1
            while k < len(segments) and segments[k][0] == "," and not self.has_relation(segments[k][1]):
                k += 1
            if k < len(segments) and segments[k][0] == "," and k >= 1:
                merged: list[Token] = list(segments[0][1])
                for _, seg in segments[1:k + 1]:
                    merged += [comma] + seg
                segments = [("", merged)] + segments[k + 1:]
        out = [segments[0]]
        for intro, seg in segments[1:]:
            if intro == "," and not self.has_relation(seg) and not self.is_words(seg) and \
                    not (seg and self.condition_word(seg[0])) and out[-1][1]:
                out[-1] = (out[-1][0], out[-1][1] + [comma] + seg)
            else:
                out.append((intro, seg))
        return out

    def trailing_remarks(self, toks: list[Token]) -> tuple[list[Token], list[str]]:
        """A statement's trailing (\\text{Jensen}) or \\text{ by Bayes' rule}: remarks, not math."""
        remarks: list[str] = []
        depths = _depths(toks)
        while toks:
            last = toks[-1]
            if last.kind == "close" and len(toks) > 1:
                k = len(toks) - 2
                while k >= 0 and not (toks[k].kind == "open" and depths[k] == 0):
                    k -= 1
                if k > 0 and (self.is_words(toks[k:]) or self.is_plain_words(toks[k + 1:-1])):
                    remarks.insert(0, words_of(toks[k + 1:-1]))
                    toks, depths = self.trim(toks[:k]), depths[:k]
                    continue
            if last.kind == "text" and depths[-1] == 0 and len(toks) > 1 and not self.is_name(last.value) \
                    and not toks[-2].is_char("_", "^"):
                remarks.insert(0, last.value)
                toks, depths = self.trim(toks[:-1]), depths[:-1]
                continue
            break
        return toks, remarks

    def worded_labels(self, toks: list[Token]) -> tuple[list[Token], list[str]]:
        """``... )(part.1) + ...``: a label in words between terms, not a factor."""
        depths = _depths(toks)
        out: list[Token] = []
        found: list[str] = []
        k = 0
        while k < len(toks):
            t = toks[k]
            if t.kind == "open" and t.value == "(" and depths[k] == 0:
                end = next((j for j in range(k + 1, len(toks)) if toks[j].kind == "close" and depths[j] == 0), None)
                inner = toks[k + 1:end] if end is not None else []
                if inner and any(x.is_char(".") for x in inner) and self.is_plain_words(inner):
                    found.append(words_of(inner))
                    k = end + 1
                    continue
            out.append(t)
            k += 1
        return out, found

    def side(self, intro: str, seg: list[Token], clauses: list, conditions: list, remarks: list) -> None:
        if not seg:
            return
        word = intro
        rest = seg
        head = self.condition_word(seg[0])
        if head is not None:
            phrase, role, leftover = head
            if role == "remark":
                remarks.append(source_of(seg) if len(seg) > 1 else seg[0].value)
                return
            word = phrase.lstrip("\\")
            rest = seg[1:]
            if leftover:
                if not rest:
                    conditions.append(n.Side(word, n.Text(leftover)))
                    return
                conditions.append(n.Side(word, n.Text(leftover + " " + source_of(rest))))
                return
            if role == "quantifier":
                conditions.append(n.Side("forall", self.quantified(rest)))
                return
        if self.is_words(rest) or not rest:
            if rest:
                remarks.append(" ".join(t.value for t in rest if t.kind in ("text", "num")))
            return
        try:
            statement = self.side_statement(rest)
        except CannotParse as exc:
            conditions.append(n.Side(word or ",", n.Text(source_of(rest))))
            self.state.note(f"side condition '{source_of(rest)}' not read: {exc}")
            return
        if isinstance(statement, n.Sampling):
            clauses.append(statement)
        else:
            conditions.append(n.Side(word or ",", statement))

    def side_statement(self, toks: list[Token]) -> n.Node:
        rels = self.relations(toks)
        if not rels:
            return Parser(toks, self.state).parse(toks, what="side condition")
        parts, relations = self.split(toks, rels)
        if any(p is None for p in parts):
            raise CannotParse("a relation without both sides in a side condition")
        if relations == ["~"] and len(parts) == 2:
            return n.Sampling(parts[0], parts[1])
        return n.Compare(tuple(parts), tuple(relations))

    def quantified(self, toks: list[Token]) -> n.Node:
        if not toks:
            raise CannotParse("\\forall without a variable")
        statement = self.side_statement(toks)
        if isinstance(statement, n.Compare):
            names = tuple(p for p in statement.parts if isinstance(p, (n.Var, n.Tuple)))
            return n.Quantified("forall", names[:1], statement)
        if isinstance(statement, n.Tuple):
            return n.Quantified("forall", statement.items)
        return n.Quantified("forall", (statement,))

    def split(self, toks: list[Token], rels) -> tuple[list[n.Node | None], list[str]]:
        parts: list[n.Node | None] = []
        bounds = [(0, 0)] + [(a, b) for a, b, _, _ in rels] + [(len(toks), len(toks))]
        for (_, start), (end, _) in zip(bounds, bounds[1:]):
            piece = toks[start:end]
            parts.append(Parser(piece, self.state).parse(piece, what="side of a relation") if piece else None)
        return parts, [symbol for _, _, symbol, _ in rels]

    def statement(self, toks: list[Token], remarks: list[str]):
        if not toks:
            if remarks:
                return [n.Text("; ".join(remarks))], [], [], False
            raise CannotParse("empty row")
        if self.is_words(toks):
            return [n.Text(" ".join(t.value for t in toks if t.kind == "text"))], [], [], False
        rels = self.relations(toks)
        if not rels:
            aside = self.aside(toks)
            if aside is not None:
                return aside
            return [Parser(toks, self.state).parse(toks)], [], [], False
        parts, relations = self.split(toks, rels)
        if any(p is None for p in parts[1:]):
            raise CannotParse("relation without a right-hand side", relations[-1])
        return parts, relations, [label for _, _, _, label in rels], False

    def aside(self, toks: list[Token]):
        """``expr (\\leq rhs)``: a claim written as a parenthesised aside after an expression."""
        if len(toks) < 3 or toks[-1].kind != "close":
            return None
        depths = _depths(toks)
        opens = [k for k in range(len(toks) - 1) if depths[k] == 0 and toks[k].kind == "open"]
        if not opens:
            return None
        open_k = opens[-1]
        inner = toks[open_k + 1:-1]
        if open_k == 0 or not inner:
            return None
        found = self.relation_at(inner, 0)
        if found is None or found[2] >= len(inner):
            return None
        symbol, label, end = found
        left = Parser(toks[:open_k], self.state).parse(toks[:open_k])
        right = Parser(inner[end:], self.state).parse(inner[end:])
        return [left, right], [symbol], [label], True


__all__ = ["parse_row", "tokenize"]
