"""Exceptions raised by the identities pillar."""


class DocumentError(ValueError):
    """A document that cannot be read: missing file, no display math, malformed LaTeX."""


class DocumentTooLarge(DocumentError):
    """A document over the size limit (verify.MAX_BYTES, the CLI's --max-bytes)."""


class LatexSyntaxError(DocumentError):
    """Malformed LaTeX inside a display block (unbalanced braces, \\left without \\right)."""


class CannotParse(ValueError):
    """Well-formed LaTeX whose notation the parser does not know ("cannot parse: ...")."""

    def __init__(self, what: str, token: str | None = None):
        self.token = token
        super().__init__(f"cannot parse: {what}" + (f" (at {token!r})" if token else ""))
