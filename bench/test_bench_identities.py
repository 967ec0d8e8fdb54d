"""Timing of a whole-document verification (target: under 5 s on a 2-core machine)."""

import pytest

from elbo_suite.identities import embedded_derivation_path, verify_path
from elbo_suite.identities.semantics.numeric import clear_caches


@pytest.mark.bench
def test_verify_embedded_derivation_cold(benchmark):
    # caches cleared before every round: the time a fresh `verify` run pays
    doc = benchmark.pedantic(verify_path, args=(embedded_derivation_path(),), setup=clear_caches,
                             rounds=3, iterations=1)
    assert doc.counts()["verified"] > 0
