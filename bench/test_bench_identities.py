"""Timing of a whole-document verification (target: under 5 s on a 2-core machine)."""

import pytest

from identities import embedded_derivation_path, verify_path


@pytest.mark.bench
def test_verify_embedded_derivation(benchmark):
    doc = benchmark.pedantic(verify_path, args=(embedded_derivation_path(),), rounds=3, iterations=1)
    assert doc.counts()["verified"] > 0
