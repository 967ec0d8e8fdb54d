"""Timing of a whole-document verification (targets on a 2-core machine: elbo.md under 5 s,
diffusion.md under 30 s)."""

import pytest

from elbo_suite.identities import embedded_derivation_path, verify_path
from elbo_suite.identities.semantics.numeric import clear_caches
from elbo_suite.identities.semantics.schedule import clear_caches as clear_schedule_caches


def _cold():
    clear_caches()
    clear_schedule_caches()


@pytest.mark.bench
def test_verify_embedded_derivation_cold(benchmark):
    # caches cleared before every round: the time a fresh `verify` run pays
    doc = benchmark.pedantic(verify_path, args=(embedded_derivation_path(),), setup=_cold,
                             rounds=3, iterations=1)
    assert doc.counts()["verified"] > 0


@pytest.mark.bench
def test_verify_diffusion_derivation_cold(benchmark):
    # hierarchical VAE and diffusion (Luo 2022, eqs 23-151): chain instances at T = 1..4, the
    # schedule algebra, weaker claims and the repair search of every refuted row
    doc = benchmark.pedantic(verify_path, args=(embedded_derivation_path("diffusion"),), setup=_cold,
                             rounds=2, iterations=1)
    assert sum(doc.counts().values()) == len(doc.rows) > 100
