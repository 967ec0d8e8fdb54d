"""Step-by-step verification of a Markdown+LaTeX derivation of the ELBO (no torch here).

    >>> doc = verify_path(embedded_derivation_path())
    >>> doc.counts()["verified"] > 0
    True
"""

from pathlib import Path

from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.verdict import DocumentVerification, RowVerdict
from elbo_suite.identities.verify import verify_document, verify_path


def embedded_derivation_path(name: str = "elbo") -> Path:
    """A derivation shipped with the package: "elbo" (the seed document's displayed equations) or
    "diffusion" (its continuation: hierarchical VAE and diffusion, Luo 2022, eqs 23-151)."""
    if name not in EMBEDDED:
        raise DocumentError(f"no embedded derivation named {name!r} (expected one of "
                            f"{', '.join(EMBEDDED)})")
    return Path(__file__).parent / "derivations" / f"{name}.md"


EMBEDDED = ("elbo", "diffusion")  # the derivations shipped with the package, in reading order


__all__ = ["DocumentError", "DocumentVerification", "EMBEDDED", "RowVerdict", "embedded_derivation_path",
           "verify_document", "verify_path"]
