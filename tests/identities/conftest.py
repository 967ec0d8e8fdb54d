"""Shared fixtures: the original seed document (beside the repo) and the embedded derivation."""

from pathlib import Path

import pytest

from elbo_suite.identities import embedded_derivation_path, verify_path

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_1a095848ac7b03ba.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"seed document not found at {SEED}: optional ../shared beside the clone; "
                    "these tests check the reader against the original document (README.md)")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def embedded_text() -> str:
    return embedded_derivation_path().read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def embedded_verdicts():
    return verify_path(embedded_derivation_path())
