"""The notation registry: every command, symbol and word the parser understands, defined once.

Modelled on KaTeX's ``src/functions/*.js``: each family of commands lives in its own module of
this package and registers its entries here with their names, arity and meaning. The parser core
(``latex/parser.py``) knows no command name; it asks the registry what a token is.

Kinds of entry (``Entry.kind``):

=============  ==================================================================================
COMMAND        ``\\name`` where an operand starts: reads ``args`` and returns an AST node
LETTER         a plain letter with a reading of its own when followed by something (``E[...]``)
WORD           a word of a text group (``\\mathrm{KL}``, ``\\text{Var}``) or a run of letters
STYLED         a letter in an identity-changing style: ``\\mathbb{E}``, ``\\mathcal{N}``
RELATION       ``=``, ``\\leq``, ``:=``, ``\\propto``, ``\\sim``, ``\\Rightarrow`` ...: value = symbol
LABELLED       a relation with a label over or under it: ``\\overset{(i)}{=}``
INFIX          a multiplication sign between factors: ``\\cdot``, ``\\times``, ``\\odot``
DELIMITER      a visible bracket or bar: value = (role, bracket); role is open, close, bar, sized
IGNORED        spacing, sizes and decoration with no meaning (``\\,``, ``\\big``, ``\\label{..}``)
SEPARATOR      wide spacing that separates a side condition from the statement (``\\quad``)
TEXT           a command whose argument is words (``\\text``, ``\\mathrm``, ``\\operatorname``)
SUPERSCRIPT    a superscript that is a mark (``^*``, ``^\\prime``) or a transpose (``^\\top``)
CONDITION      a word that opens a side condition (``for``, ``where``) or a remark (``by``)
LEAD           a word or sign that opens a row (``where``, ``\\therefore``)
MACRO          a built-in shorthand, expanded before parsing (``\\argmax``)
UNICODE        a character written instead of its command (``α``, ``≤``, ``−``)
=============  ==================================================================================
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

COMMAND = "command"
LETTER = "letter"
WORD = "word"
STYLED = "styled"
RELATION = "relation"
LABELLED = "labelled"
INFIX = "infix"
DELIMITER = "delimiter"
IGNORED = "ignored"
SEPARATOR = "separator"
TEXT = "text"
SUPERSCRIPT = "superscript"
CONDITION = "condition"
LEAD = "lead"
MACRO = "macro"
UNICODE = "unicode"

KINDS = (COMMAND, LETTER, WORD, STYLED, RELATION, LABELLED, INFIX, DELIMITER, IGNORED, SEPARATOR,
         TEXT, SUPERSCRIPT, CONDITION, LEAD, MACRO, UNICODE)


@dataclass(frozen=True)
class Entry:
    kind: str
    names: tuple[str, ...]  # command names without the backslash, characters, words
    meaning: str  # one line: what the notation means (the registry's documentation)
    args: tuple[str, ...] = ()  # COMMAND: "math" (a parsed node), "raw" (tokens), "text" (str),
    #   "opt" (an optional [..] argument as tokens, or None); IGNORED: how many arguments to drop
    handler: Callable[..., Any] | None = None
    value: Any = None  # RELATION: the symbol; DELIMITER: (role, bracket); others: kind-specific
    family: str = ""  # the module that defined it


@dataclass
class Registry:
    entries: dict[str, dict[str, Entry]] = field(default_factory=lambda: defaultdict(dict))
    fallbacks: list[Callable[[str, bool], str | None]] = field(default_factory=list)
    # How ``name(...)`` reads: set by notation/applications.py; (parser, var, inner tokens) ->
    # a callable that consumes the brackets and returns the node, or None for a product.
    application_rule: Callable[..., Callable[[], Any] | None] | None = None

    def define(self, kind: str, names, meaning: str, *, args=(), handler=None, value=None,
               family: str = "") -> Entry:
        if kind not in KINDS:
            raise ValueError(f"unknown registry kind {kind!r} (expected one of {', '.join(KINDS)})")
        names = (names,) if isinstance(names, str) else tuple(names)
        entry = Entry(kind, names, meaning, tuple(args), handler, value, family)
        table = self.entries[kind]
        for name in names:
            if name in table:
                raise ValueError(f"{kind} {name!r} is defined twice: by {table[name].family} "
                                 f"and by {family}")
            table[name] = entry
        return entry

    def lookup(self, kind: str, token) -> Entry | None:
        """The entry a token names: a command by its name, a character by itself."""
        return self.entries[kind].get(key_of(token))

    def get(self, kind: str, name: str) -> Entry | None:
        return self.entries[kind].get(name)

    def has(self, kind: str, name: str) -> bool:
        return name in self.entries[kind]

    def names(self, kind: str) -> set[str]:
        return set(self.entries[kind])

    def knows_command(self, name: str) -> bool:
        """Whether ``\\name`` means something without macro expansion."""
        return any(name in self.entries[k] for k in (COMMAND, RELATION, LABELLED, INFIX, DELIMITER,
                                                     IGNORED, SEPARATOR, TEXT))

    def fallback(self, name: str, followed: bool = False) -> str | None:
        """An expansion for an undefined shorthand (``\\bx`` for ``\\mathbf{x}``), if one reads it;
        ``followed``: a braced group follows the use (then it is a macro with arguments)."""
        if self.knows_command(name) or name in self.entries[MACRO]:
            return None
        for rule in self.fallbacks:
            body = rule(name, followed)
            if body is not None:
                return body
        return None

    def application(self, parser, var, inner, bracket: str = "("):
        if self.application_rule is None:
            return None
        return self.application_rule(parser, var, inner, bracket)

    def size(self) -> dict[str, int]:
        """Names per kind; the registry's coverage at a glance."""
        return {kind: len(self.entries[kind]) for kind in KINDS}


def key_of(token) -> str:
    """Registry key of a token: ``\\alpha`` is "alpha", ``\\|`` is "\\|", the character ``|`` is "|".

    Commands named by one non-letter (``\\,``, ``\\{``, ``\\|``) keep their backslash in the key,
    so they never collide with the character of the same name.
    """
    if token.kind == "cmd" and not token.value[:1].isalpha():
        return "\\" + token.value
    return token.value


REGISTRY = Registry()


def define(kind: str, names, meaning: str, *, args=(), value=None, family: str = ""):
    """Decorator form: ``@define(COMMAND, ("frac", "dfrac"), "a fraction", args=("math", "math"))``."""
    def wrap(handler):
        REGISTRY.define(kind, names, meaning, args=args, handler=handler, value=value,
                        family=family or handler.__module__.rsplit(".", 1)[-1])
        return handler
    return wrap


def entry(kind: str, names, meaning: str, *, args=(), value=None, handler=None, family: str = "") -> Entry:
    """Plain form, for entries without a handler (relations, delimiters, ignored commands)."""
    return REGISTRY.define(kind, names, meaning, args=args, handler=handler, value=value, family=family)
