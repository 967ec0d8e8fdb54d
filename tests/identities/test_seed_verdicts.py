"""The verdicts of the derivation, on the embedded copy and on the original seed document."""

import json

from elbo_suite.identities import embedded_derivation_path, verify_document
from elbo_suite.identities.reader import read_rows

from identities_testkit import by_number

EXPECTED = {n: "verified" for n in range(1, 19)}
EXPECTED.update({6: "refuted", 19: "definition", 20: "definition"})


def test_every_row_has_a_verdict_with_evidence(embedded_verdicts):
    assert len(embedded_verdicts.rows) == 23
    for row in embedded_verdicts.rows:
        assert row.verdict in {"verified", "refuted", "definition", "unverified"}
        assert row.evidence and "\n" not in row.evidence


def test_numbered_verdicts(embedded_verdicts):
    got = {r.number: r.verdict for r in embedded_verdicts.rows if r.number is not None}
    assert got == EXPECTED


def test_unnumbered_blocks(embedded_verdicts):
    estimator, scalar_reparam, latent_reparam = [r for r in embedded_verdicts.rows if r.number is None]
    assert estimator.relation == "≈" and estimator.verdict == "refuted"
    assert "maximisers differ" in estimator.evidence
    assert "sigma_phi(x)=sqrt(2)/2" in estimator.evidence and "sigma_phi(x)=sqrt(3)/3" in estimator.evidence
    assert scalar_reparam.verdict == "definition" and "N(mu, sigma**2)" in scalar_reparam.evidence
    assert latent_reparam.verdict == "verified" and "(19)" in latent_reparam.evidence


def test_stray_log_counterexample_has_both_sides_defined(embedded_verdicts):
    row = by_number(embedded_verdicts, 6)
    assert "s=1/10" in row.evidence and "w=1/10" in row.evidence
    assert "≈ 1.0370730" in row.evidence and "≈ 0.036402293" in row.evidence
    assert "[discrete] refuted" in row.details


def test_jensen_row_after_the_stray_log_is_judged_against_the_last_row_that_holds(embedded_verdicts):
    row = by_number(embedded_verdicts, 7)
    assert row.verdict == "verified"
    assert row.step_from_previous["verdict"] == "refuted"
    assert row.anchor == {**row.anchor, "from": "(5)", "relation": ">=", "verdict": "verified"}


def test_kl_row_14_and_bound_15_name_the_kl_gap(embedded_verdicts):
    assert "linear-Gaussian and discrete" in by_number(embedded_verdicts, 14).evidence
    assert "KL(q(z|x) || p(z|x)) ≥ 0" in by_number(embedded_verdicts, 15).evidence


def test_counts_and_json(embedded_verdicts):
    assert embedded_verdicts.counts() == {"verified": 18, "refuted": 2, "definition": 3, "unverified": 0}
    data = json.loads(json.dumps(embedded_verdicts.to_dict(), ensure_ascii=False))
    first = data["rows"][0]
    for key in ("number", "block", "row", "relation", "latex", "verdict", "evidence"):
        assert key in first
    assert data["rows"][5]["latex"].startswith(r"&=\log\mathbb{E}\_{q\_\phi")


def test_embedded_derivation_has_the_seed_display_blocks_byte_for_byte(seed_text, embedded_text):
    seed_rows = read_rows(seed_text)
    own_rows = read_rows(embedded_text)
    assert [(r.block, r.row, r.number, r.raw, r.tex) for r in seed_rows] == \
           [(r.block, r.row, r.number, r.raw, r.tex) for r in own_rows]


def test_seed_and_embedded_give_identical_verdicts(seed_text, embedded_verdicts):
    seed = verify_document(seed_text, source="seed")
    strip = [(r.number, r.block, r.row, r.relation, r.verdict, r.evidence) for r in seed.rows]
    assert strip == [(r.number, r.block, r.row, r.relation, r.verdict, r.evidence)
                     for r in embedded_verdicts.rows]


def test_embedded_prose_is_not_the_seed_prose(seed_text, embedded_text):
    assert "推导" not in embedded_text and "ELBO" in embedded_text
    assert embedded_derivation_path().name == "elbo.md"
