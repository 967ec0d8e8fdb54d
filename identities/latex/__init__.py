"""LaTeX notation of the derivations: tokenizer, AST and parser."""

from elbo_suite.identities.latex.parser import parse_row

__all__ = ["parse_row"]
