"""LaTeX notation of the derivations: lexer, macros, AST and parser."""

from elbo_suite.identities.latex.row import parse_row

__all__ = ["parse_row"]
