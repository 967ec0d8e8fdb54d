"""Mutated copies of correct steps must be refuted with a counterexample; corrected copies of the
wrong steps must not be."""

import pytest

from elbo_suite.identities import verify_document

from identities_testkit import by_number, display

KL_CLOSED_FORM = (r"D_\text{KL}(\mathcal{N}(z;\mu,\sigma^2)||\mathcal{N}(z;0,1))="
                  r"\frac{1}{2}(\sigma^2+\mu^2-1-\log\sigma^2)")
JENSEN = (r"\log\mathbb{E}_{q(z|x)}\left[\frac{p(x,z)}{q(z|x)}\right]\geq"
          r"\mathbb{E}_{q(z|x)}\left[\log\frac{p(x,z)}{q(z|x)}\right]")


def mutate(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def assert_refuted_with_counterexample(row):
    assert row.verdict == "refuted", (row.verdict, row.evidence)
    assert "counterexample" in row.evidence or "fails" in row.evidence
    assert "=" in row.evidence and "≈" in row.evidence  # parameter values and both sides' values


def test_gaussian_kl_closed_form_verified_and_dropped_half_refuted():
    (good,) = verify_document(display(KL_CLOSED_FORM)).rows
    assert good.verdict == "verified" and "linear-Gaussian" in good.evidence
    (bad,) = verify_document(display(KL_CLOSED_FORM.replace(r"\frac{1}{2}", ""))).rows
    assert_refuted_with_counterexample(bad)
    assert "mu=" in bad.evidence and "sigma=" in bad.evidence


def test_swapped_kl_arguments_in_row_14(embedded_text):
    good = r"D\_\text{KL}(q\_\phi(\boldsymbol{z}|\boldsymbol{x})||p(\boldsymbol{z}|\boldsymbol{x}))"
    bad = r"D\_\text{KL}(p(\boldsymbol{z}|\boldsymbol{x})||q\_\phi(\boldsymbol{z}|\boldsymbol{x}))"
    doc = verify_document(mutate(embedded_text, good, bad))
    assert_refuted_with_counterexample(by_number(doc, 14))
    row15 = by_number(doc, 15)  # judged against (13), the last row that holds
    assert row15.verdict == "verified" and row15.anchor["from"] == "(13)"


def test_flipped_inequality_in_row_15(embedded_text):
    block = embedded_text.split(r"\log p(\boldsymbol{x})\int")[1]
    last_geq = block.rindex(r"&\geq")
    start = len(embedded_text) - len(block)
    text = embedded_text[:start + last_geq] + r"&\leq" + embedded_text[start + last_geq + len(r"&\geq"):]
    doc = verify_document(text)
    assert_refuted_with_counterexample(by_number(doc, 15))
    assert by_number(doc, 14).verdict == "verified"


def test_missing_log_in_row_10(embedded_text):
    old = r"\left[\log p(\boldsymbol{x})\right]"
    doc = verify_document(mutate(embedded_text, old, r"\left[p(\boldsymbol{x})\right]"))
    assert_refuted_with_counterexample(by_number(doc, 10))


def test_stray_log_removed_from_row_6_is_verified(embedded_text):
    old = (r"&=\log\mathbb{E}\_{q\_\phi(\boldsymbol{z}|\boldsymbol{x})}\left[\log\frac")
    doc = verify_document(mutate(embedded_text, old, old.replace(r"\left[\log\frac", r"\left[\frac")))
    assert by_number(doc, 6).verdict == "verified"
    row7 = by_number(doc, 7)
    assert row7.verdict == "verified" and row7.anchor is None  # the plain step is Jensen's gap


def test_sign_flip_in_row_18(embedded_text):
    doc = verify_document(mutate(embedded_text, r"}-\underbrace{D", r"}+\underbrace{D"))
    assert_refuted_with_counterexample(by_number(doc, 18))


def test_sum_without_average_refuted_and_with_average_not(embedded_text):
    (row,) = [r for r in verify_document(embedded_text).rows if r.relation == "≈"]
    assert row.verdict == "refuted" and "maximisers differ" in row.evidence
    averaged = mutate(embedded_text, r"\approx\argmax\_{\boldsymbol{\phi,\theta}}\sum",
                      r"\approx\argmax\_{\boldsymbol{\phi,\theta}}\frac{1}{L}\sum")
    (row,) = [r for r in verify_document(averaged).rows if r.relation == "≈"]
    assert row.verdict == "verified" and "unbiased" in row.evidence


def test_jensen_row_verified_and_flipped_refuted():
    (good,) = verify_document(display(JENSEN)).rows
    assert good.verdict == "verified" and "linear-Gaussian and discrete" in good.evidence
    (bad,) = verify_document(display(JENSEN.replace(r"\geq", r"\leq"))).rows
    assert_refuted_with_counterexample(bad)


def test_reparameterisation_with_variance_for_scale_refuted(embedded_text):
    old = r"\boldsymbol{\sigma}\_\phi(\boldsymbol{x})\odot\epsilon"
    doc = verify_document(mutate(embedded_text, old, r"\boldsymbol{\sigma}\_\phi^2(\boldsymbol{x})\odot\epsilon"))
    row = doc.rows[-1]
    assert row.verdict == "refuted" and "(19)" in row.evidence


@pytest.mark.parametrize("row_tex", [
    r"p(x)=\int p(x,z)dx",  # integrates the wrong variable
    r"p(x)=\frac{p(x,z)}{p(z)}",  # divides by the prior instead of the posterior
    r"\log p(x)=\mathbb{E}_{q(z|x)}\left[\log\frac{p(x,z)}{q(z|x)}\right]",  # drops the KL gap
])
def test_other_wrong_identities_are_not_verified(row_tex):
    (row,) = verify_document(display(row_tex)).rows
    assert row.verdict in {"refuted", "unverified"}, row.evidence
    if row.verdict == "refuted":
        assert "≈" in row.evidence or "undefined" in row.evidence


def test_unknown_macro_is_unverified_with_cannot_parse():
    (row,) = verify_document(display(r"p(x)=\foo(x)")).rows
    assert row.verdict == "unverified" and row.evidence.startswith("cannot parse:") and r"\foo" in row.evidence


def test_indexed_latents_define_a_chain_and_a_repeated_factorisation_is_checked():
    """Written first, the chain's factorisation is the model's definition; written again it is a
    claim about that model, which the chain family checks (it never passes silently)."""
    chain = r"q(x_{1:T}|x_0)=\prod_{t=1}^{T} q(x_t|x_{t-1})"
    first, again = verify_document(display(chain, chain)).rows
    assert first.verdict == "definition" and "Markov chain" in first.evidence
    assert again.verdict == "verified" and "linear-Gaussian chain" in again.evidence
    wrong = r"q(x_{1:T}|x_0)=\prod_{t=1}^{T} q(x_{t-1}|x_t)"
    _, other = verify_document(display(chain, wrong)).rows
    assert other.verdict != "verified"


def test_sampling_rule_for_a_variable_with_a_law_is_never_a_silent_definition():
    """Once q(z|x) is defined, a rule z = ... is matched against it: refuted when it is wrong, and
    unverified (never `definition`) when its parameters cannot be matched with the definition."""
    from elbo_suite.identities import verify_document

    definition = (
        "$$\n\\begin{align}\nq_\\phi(\\boldsymbol z|\\boldsymbol x)&=\\mathcal N(\\boldsymbol z;"
        "\\boldsymbol\\mu_\\phi(\\boldsymbol x),\\boldsymbol\\sigma_\\phi^2(\\boldsymbol x)\\boldsymbol I)\n"
        "\\end{align}\n$$\n\n"
    )
    unmatched = "$$\nz=\\boldsymbol\\mu_\\phi+\\boldsymbol\\sigma_\\phi^2\\odot\\epsilon\\quad\\text{with }\\epsilon\\sim\\mathcal{N}(\\epsilon;0,I)\n$$\n"
    wrong = ("$$\nz=\\boldsymbol\\mu_\\phi(\\boldsymbol x)+\\boldsymbol\\sigma_\\phi^2(\\boldsymbol x)\\odot\\epsilon"
             "\\quad\\text{with }\\epsilon\\sim\\mathcal{N}(\\epsilon;0,I)\n$$\n")
    rows = verify_document(definition + unmatched + "\n" + wrong).rows
    assert [r.verdict for r in rows] == ["definition", "unverified", "refuted"]
    assert "already has a Gaussian law" in rows[1].evidence


def test_second_chain_in_a_block_anchors_on_its_own_start():
    """A refuted first step of a second chain in the same align block does not cascade: the next
    row is judged against that chain's own start, whatever the earlier chain's length."""
    from elbo_suite.identities import verify_document

    q = "q_\\phi(\\boldsymbol{z}|\\boldsymbol{x})"
    px = "p(\\boldsymbol{x})"
    doc = (
        "$$\n\\begin{align}\n"
        f"\\log {px} &= \\log\\int p(\\boldsymbol{{x}},\\boldsymbol{{z}})d\\boldsymbol{{z}} \\\\\n"
        f"&= \\log {px}\\int {q}d\\boldsymbol{{z}} \\\\\n"
        f"&= \\log {px} \\\\\n"
        f"\\log {px} &= \\log\\log {px} \\\\\n"
        f"&= \\mathbb{{E}}_{{{q}}}\\left[\\log {px}\\right]\n"
        "\\end{align}\n$$\n"
    )
    rows = verify_document(doc).rows
    assert [r.verdict for r in rows] == ["verified", "verified", "verified", "refuted", "verified"]
    assert rows[4].anchor is not None and rows[4].anchor["from"] == "the left side of (4)"
    assert rows[4].step_from_previous["verdict"] == "refuted"
