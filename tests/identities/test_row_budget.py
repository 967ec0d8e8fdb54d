"""Hostile rows for the evaluator: each ends within its row budget as unverified (or a verdict),
in bounded memory, and the rows around it are judged as if it were not there.

Every input below once hung, crashed or exhausted memory (issue 12), or is built to: huge integer
powers computed in C, expansions of huge powers of sums, nesting deeper than Python's recursion,
values lambdify cannot print, numbers past Python's int-string limit.
"""

import pytest
from identities_testkit import display

from elbo_suite.identities import verify_document
from elbo_suite.identities.budget import Budget

# A tight budget keeps the suite quick; the budget, not the input, decides how long a row runs.
BUDGET = Budget(seconds=3.0, memory_mb=512)
# The rows around a hostile one are cheap, so they finish well within the budget on any machine.
BEFORE = r"2 \cdot 3 = 6"
# True, so no counterexample ends it early; proving it expands a polynomial with millions of terms.
SLOW = r"(a+b+c+d+e)^{64} = (a+b+c+d+e)^{63}a + (a+b+c+d+e)^{63}(b+c+d+e)"
AFTER = r"\log 4 = 2 \log 2"


def _nested(opening: str, closing: str, depth: int, core: str = "x") -> str:
    return opening * depth + core + closing * depth


HOSTILE = {
    "integer power tower 10^(10^10)": r"10^{10^{10}} = 1",
    "power tower of twos": r"2^{2^{2^{2^{2^2}}}} = 3",
    "millionth power of a sum of densities": r"(p(x)+p(z)+1)^{1000000} = 1",
    "millionth power of a sum inside an expectation":
        r"\mathbb{E}_{q(z|x)}\left[(\log p(x,z)+1)^{1000000}\right] = 1",
    "200 nested fractions": _nested(r"\frac{1}{", "}", 200, "2") + " = 1",
    "200 nested left-right": _nested(r"\left(", r"\right)", 200) + " = x",
    "200 nested logarithms": _nested(r"\log(", ")", 200) + " = 1",
    "1000 nested braces": _nested("{", "}", 1000) + " = x",
    "log of zero": r"\log 0 = 1",
    "log of zero on both sides": r"\log 0 = \log 0",
    "division by zero": r"\frac{1}{0} = 1",
    "a 4301-digit integer": "1" * 4301 + " = 1",
    "a 20000-digit decimal": "0." + "3" * 20000 + " = 1",
    "expansion of a 60th power of a six-term sum": r"(a+b+c+d+e+f)^{60} = 0",
    "negative power tower": r"10^{-10^{10}} = 0",
    "exp tower": r"\exp(\exp(\exp(\exp(10)))) = 1",
    "product with a million factors": r"\prod_{t=1}^{1000000} p(x) = 1",
    "a row of 3000 terms": "+".join(["p(x)"] * 3000) + " = 3000 p(x)",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_row_fails_alone_within_its_budget(name):
    doc = verify_document(display(BEFORE, HOSTILE[name], AFTER), budget=BUDGET)
    before, hostile, after = doc.rows
    assert before.verdict == "verified", before.evidence
    assert after.verdict == "verified", after.evidence
    assert hostile.verdict in {"unverified", "refuted", "verified", "definition"}
    if hostile.verdict == "unverified":
        assert hostile.category in {"cannot parse", "outside the model families", "undecided",
                                    "timed out"}, hostile.evidence
        assert hostile.evidence, name


def test_a_row_over_its_time_budget_is_timed_out_and_the_next_rows_are_still_judged():
    slow = SLOW
    doc = verify_document(display(BEFORE, slow, AFTER, BEFORE), budget=Budget(seconds=2.0))
    verdicts = [r.verdict for r in doc.rows]
    assert verdicts[0] == verdicts[2] == verdicts[3] == "verified", [r.evidence for r in doc.rows]
    assert doc.rows[1].verdict == "unverified" and doc.rows[1].category == "timed out", doc.rows[1].evidence
    assert "row budget" in doc.rows[1].evidence


def test_huge_numbers_are_refused_with_their_size_not_computed():
    (row,) = verify_document(display(r"10^{10^{10}} = 1"), budget=BUDGET).rows
    assert row.verdict == "unverified" and row.category == "undecided"
    assert "too large" in row.evidence, row.evidence


def test_the_same_row_budget_runs_in_process_without_a_worker():
    """Without fork (or with isolate=False) the same CPU timer stops an overrunning row in-process."""
    slow = SLOW
    doc = verify_document(display(BEFORE, slow, AFTER), budget=Budget(seconds=2.0, isolate=False))
    assert [r.verdict for r in doc.rows] == ["verified", "unverified", "verified"], [r.evidence for r in doc.rows]
    assert doc.rows[1].category == "timed out"


@pytest.mark.parametrize("seconds, memory", [(0, 512), (-1, 512), (1, 10)])
def test_a_budget_must_be_positive_and_at_least_a_little_memory(seconds, memory):
    with pytest.raises(ValueError, match="budget"):
        Budget(seconds=seconds, memory_mb=memory)


class _FakeVerifier:
    """Three rows; the middle one does what `action` says: the worker machinery on its own."""

    def __init__(self, action):
        self.action = action

    def run(self, text, source, *, on_header=None, on_start=None, on_row=None, skip=None):
        from elbo_suite.identities.verdict import DocumentVerification, RowVerdict

        rows = [dict(number=None, block=k + 1, row=1, latex="x", tex="x", line=k + 1,
                     label=f"block {k + 1}, row 1") for k in range(3)]
        on_header({"source": source, "rows": rows})
        doc = DocumentVerification(source)
        for k, base in enumerate(rows):
            if skip and k in skip:
                continue
            on_start(k)
            if k == 1:
                self.action()
            verdict = RowVerdict(relation="=", verdict="verified", evidence="fine", **base)
            doc.rows.append(verdict)
            on_row(k, verdict)
        return doc


@pytest.mark.parametrize("action, category", [
    (lambda: bytearray(1 << 30), "timed out"),  # over the worker's memory cap: MemoryError or killed
    (lambda: __import__("os").kill(__import__("os").getpid(), 11), "timed out"),  # a crash in C code
    (lambda: __import__("os")._exit(7), "undecided"),  # the worker disappears
], ids=["memory", "segfault", "exit"])
def test_a_row_that_kills_its_worker_fails_alone(action, category):
    from elbo_suite.identities import budget

    doc = budget.run(lambda: _FakeVerifier(action), "", "fake", Budget(seconds=5.0, memory_mb=128))
    verdicts = [(r.verdict, r.category) for r in doc.rows]
    assert verdicts[0] == verdicts[2] == ("verified", ""), verdicts
    assert doc.rows[1].verdict == "unverified" and doc.rows[1].category in {category, "undecided", "timed out"}
    assert doc.rows[1].evidence, doc.rows[1]
