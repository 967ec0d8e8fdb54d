"""The shipped continuation, identities/derivations/diffusion.md (Luo 2022, eqs 23-151): every
row's verdict, the refuted steps and their weaker claims, and negative controls made by mutating
its own rows (each judged on an excerpt with the model rows it needs)."""

import re

import pytest

from elbo_suite.identities import embedded_derivation_path, verify_document

MODEL = (30, 31, 32, 33)  # the diffusion model's definitions


@pytest.fixture(scope="module")
def diffusion_text() -> str:
    return embedded_derivation_path("diffusion").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def diffusion(diffusion_text):
    return verify_document(diffusion_text, source="diffusion.md")


def by_tag(doc, number):
    (row,) = [r for r in doc.rows if r.label == f"({number})"]
    return row


def excerpt(text: str, *tags: int) -> str:
    """The display blocks of the document that carry one of the tags, in order."""
    blocks = re.findall(r"\$\$\n.*?\n\$\$", text, flags=re.S)
    keep = [b for b in blocks if any(f"\\tag{{{t}}}" in b for t in tags)]
    return "\n\n".join(keep) + "\n"


def test_every_row_has_a_verdict_with_evidence(diffusion):
    assert len(diffusion.rows) >= 125
    for row in diffusion.rows:
        assert row.verdict in {"verified", "refuted", "definition", "unverified"}
        assert row.evidence and "\n" not in row.evidence
    counts = diffusion.counts()
    assert counts["verified"] >= 100 and counts["unverified"] <= 3


def test_the_refuted_steps_are_the_consistency_term_and_the_pointwise_tweedie_steps(diffusion):
    refuted = [r.label for r in diffusion.rows if r.verdict == "refuted"]
    assert refuted == ["(45)", "(132)", "(133)", "(135)", "(145)", "(149)", "(150)", "(151)"]
    consistency = by_tag(diffusion, 45)
    assert "T=2" in consistency.evidence and "left = " in consistency.evidence
    for number in (132, 133, 135, 149, 150, 151):
        row = by_tag(diffusion, number)
        assert row.weaker.startswith("holds in expectation: E[left − right | x_"), (number, row.weaker)
    assert by_tag(diffusion, 145).weaker.startswith("holds in expectation: the left objective averaged")


def test_evidence_states_its_scope(diffusion):
    chain = by_tag(diffusion, 44)
    assert chain.verdict == "verified" and "T ∈ {1, 2, 3, 4}" in chain.evidence
    assert "linear-Gaussian chain" in chain.evidence
    algebra = by_tag(diffusion, 104)
    assert algebra.verdict == "verified" and "proved symbolically in the schedule algebra" in algebra.evidence
    argmin = by_tag(diffusion, 88)
    assert argmin.verdict == "verified" and "same minimisers" in argmin.evidence
    tweedie = by_tag(diffusion, 131)
    assert tweedie.verdict == "verified"


def test_definitions_are_the_model_and_the_names(diffusion):
    for number in (23, 24, 30, 31, 32, 33, 85, 94, 109, 111, 125, 143):
        assert by_tag(diffusion, number).verdict == "definition", number
    # mu_q is named by the underbrace of (84): (93) restates it and is checked
    assert by_tag(diffusion, 93).verdict == "verified"


# -- negative controls ------------------------------------------------------------------------------
def mutated(text, tags, old, new):
    part = excerpt(text, *tags)
    assert part.count(old) >= 1, old
    return verify_document(part.replace(old, new, 1))


def test_posterior_variance_without_its_division_is_refuted_with_repair(diffusion_text):
    old = (r"\underbrace{\frac{(1 - \alpha_t)(1 - \bar\alpha_{t-1})}{1 -\bar\alpha_{t}}\mathbf{I}}"
           r"_{\boldsymbol{\Sigma}_q(t)}")
    new = r"\underbrace{(1 - \alpha_t)(1 - \bar\alpha_{t-1})\mathbf{I}}_{\boldsymbol{\Sigma}_q(t)}"
    doc = mutated(diffusion_text, MODEL + (71,), old, new)
    row = by_tag(doc, 84)
    assert row.verdict == "refuted" and "depends on x_" in row.evidence
    assert "divided by 1 -" in row.holds_if and r"\bar\alpha_" in row.holds_if


def test_swapped_posterior_mean_coefficients_are_refuted_with_repair(diffusion_text):
    old = r"\sqrt{\alpha_t}(1-\bar\alpha_{t-1})\boldsymbol{x}_{t} + \sqrt{\bar\alpha_{t-1}}(1-\alpha_t)\boldsymbol{x}_0}"
    new = r"\sqrt{\alpha_t}(1-\bar\alpha_{t-1})\boldsymbol{x}_0 + \sqrt{\bar\alpha_{t-1}}(1-\alpha_t)\boldsymbol{x}_{t}}"
    part = excerpt(diffusion_text, *MODEL, 71, 93)
    tail = part.index(r"\tag{93}")
    cut = part.rindex("$$", 0, tail)
    doc = verify_document(part[:cut] + part[cut:].replace(old, new, 1))
    row = by_tag(doc, 93)
    assert row.verdict == "refuted" and "left = " in row.evidence
    assert "exchanged" in row.holds_if


def test_alpha_for_its_square_root_in_the_forward_step_is_refuted_with_repair(diffusion_text):
    doc = mutated(diffusion_text, MODEL + (59,), r"\boldsymbol{x}_t = \sqrt{\alpha_t}\boldsymbol{x}_{t-1}",
                  r"\boldsymbol{x}_t = \alpha_t\boldsymbol{x}_{t-1}")
    row = by_tag(doc, 59)
    assert row.verdict == "refuted" and "law" in row.evidence
    assert "square root" in row.holds_if and r"\sqrt{\alpha_t}\boldsymbol{x}_{t-1}" in row.holds_if
    # written into the model itself, the unrolled chain (61-70) no longer has the model's law
    model = mutated(diffusion_text, MODEL + (61,), r"(\boldsymbol{x}_{t} ; \sqrt{\alpha_t} \boldsymbol{x}_{t-1}",
                    r"(\boldsymbol{x}_{t} ; \alpha_t \boldsymbol{x}_{t-1}")
    unrolled = [r for r in model.rows if r.block == model.rows[-1].block]
    assert any(r.verdict == "refuted" and "law" in r.evidence for r in unrolled)


def test_missing_weight_of_the_clean_data_error_is_refuted_with_repair(diffusion_text):
    part = excerpt(diffusion_text, *MODEL, 71, 85, 101, 109, 110)
    head, _, tail = part.rpartition(r"\frac{1}{2\sigma_q^2(t)}\frac{\bar\alpha_{t-1}(1-\alpha_t)^2}")
    doc = verify_document(head + r"\frac{\bar\alpha_{t-1}(1-\alpha_t)^2}" + tail)
    row = by_tag(doc, 110)
    assert row.verdict == "refuted" and "left = " in row.evidence
    assert r"holds if the factor \frac{1}{2\sigma_q^2(t)} is inserted" in row.holds_if


def test_jensen_turned_the_wrong_way_in_the_hierarchy_is_refuted_with_repair(diffusion_text):
    doc = mutated(diffusion_text, (23, 24, 25), r"&\geq \mathbb{E}_{q_{\boldsymbol{\phi}}", r"&\leq \mathbb{E}_{q_{\boldsymbol{\phi}}")
    row = by_tag(doc, 28)
    assert row.verdict == "refuted" and "fails" in row.evidence
    assert row.holds_if.startswith(r"holds if the relation \leq is reversed to \geq")
