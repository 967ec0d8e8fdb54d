"""The notation the parser understands, as a registry of entries (see registry.py).

One module per family of notation; importing this package registers them all. Coverage grows by
adding an entry to a family, or a family module here, never by a special case in the parser.
"""

from elbo_suite.identities.latex.macros import Macro, MacroTable
from elbo_suite.identities.latex.tokens import tokenize
from elbo_suite.identities.notation import (  # noqa: F401  (each registers its entries)
    accents, applications, arithmetic, calculus, decorations, delimiters, environments, fonts,
    functions, probability, relations, shorthands, spacing, superscripts, symbols, text, unicode)
from elbo_suite.identities.notation.registry import MACRO, REGISTRY, Entry, Registry

BUILTIN_MACROS = MacroTable({
    name: Macro(name, entry.value[0], tuple(tokenize(entry.value[1])), None, "built-in")
    for name, entry in REGISTRY.entries[MACRO].items()
})

__all__ = ["BUILTIN_MACROS", "REGISTRY", "Entry", "Registry"]
