"""The same document costs the same work on every run: SymPy's random factorisation points
(Wang's algorithm, reached from the log normal form) are seeded per row, so a verification draws
the same random numbers every time. Unseeded, the number of draws varied from run to run (34 to 91
over 20 runs of elbo.md), and so did the time, sometimes 4-60 fold."""

import sympy.core.random as sympy_random
from sympy.core.cache import clear_cache

from elbo_suite.identities import embedded_derivation_path, verify_path
from elbo_suite.identities.budget import Budget
from elbo_suite.identities.semantics.numeric import clear_caches


def test_verifying_the_shipped_derivation_draws_the_same_random_numbers_every_run(monkeypatch):
    draws: list[tuple[int, int]] = []
    original = sympy_random.randint

    def counting(a, b):
        value = original(a, b)
        draws[-1] = (draws[-1][0] + 1, draws[-1][1] * 31 + value)  # how many, and which
        return value

    monkeypatch.setattr(sympy_random, "randint", counting)
    for _ in range(3):
        clear_caches()
        clear_cache()
        draws.append((0, 0))
        doc = verify_path(embedded_derivation_path(), budget=Budget(isolate=False))
        assert doc.counts()["refuted"] == 2
    assert draws[0][0] > 0, "the check no longer reaches SymPy's random factorisation"
    assert draws[0] == draws[1] == draws[2], draws
