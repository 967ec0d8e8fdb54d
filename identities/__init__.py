"""Step-by-step verification of a Markdown+LaTeX derivation of the ELBO (no torch here).

    >>> doc = verify_path(embedded_derivation_path())
    >>> doc.counts()["verified"] > 0
    True
"""

from pathlib import Path

from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.verdict import DocumentVerification, RowVerdict
from elbo_suite.identities.verify import verify_document, verify_path


def embedded_derivation_path() -> Path:
    """The derivation shipped with the package (the seed document's displayed equations)."""
    return Path(__file__).parent / "derivations" / "elbo.md"


__all__ = ["DocumentError", "DocumentVerification", "RowVerdict", "embedded_derivation_path",
           "verify_document", "verify_path"]
