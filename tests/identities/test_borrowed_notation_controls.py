r"""Negative controls written in other authors' notation (\mid for the conditional bar, \bar for
the cumulative schedule): each wrong row must be refuted, and its corrected twin must not be."""

from identities_testkit import display

from elbo_suite.identities import verify_document

ELBO = r"\mathbb{E}_{q(z \mid x)}\left[\log \frac{p(x,z)}{q(z \mid x)}\right]"


def test_a_kl_gap_chain_written_with_mid_and_a_swapped_kl_is_refuted():
    right, swapped = verify_document(display(
        rf"\log p(x) = {ELBO} + D_{{KL}}(q(z \mid x) \| p(z \mid x))",
        rf"\log p(x) = {ELBO} + D_{{KL}}(p(z \mid x) \| q(z \mid x))",
    )).rows
    assert right.verdict == "verified", right.evidence
    assert swapped.verdict == "refuted" and "counterexample" in swapped.evidence, swapped.evidence


def test_a_bar_alpha_row_with_a_wrong_exponent_is_refuted():
    definition, right, wrong = verify_document(display(
        r"\bar{\alpha}_t = \alpha_t \bar{\alpha}_{t-1}",
        r"\sqrt{\bar{\alpha}_t} = \sqrt{\alpha_t}\sqrt{\bar{\alpha}_{t-1}}",
        r"\sqrt{\bar{\alpha}_t} = \sqrt{\alpha_t}\,\bar{\alpha}_{t-1}",
    )).rows
    assert definition.verdict == "definition", definition.evidence
    assert right.verdict == "verified", right.evidence
    assert wrong.verdict == "refuted" and "counterexample" in wrong.evidence, wrong.evidence
