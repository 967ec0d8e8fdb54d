r"""Laws written with capitals, as probability texts do (P for the model, Q for the approximation,
z ~ P(Z) for the law of Z at its value z), and a plain E whose subscript is a law: each read as the
lower-case notation it stands for, so that its errors are refuted and its identities proved."""

from identities_testkit import display

from elbo_suite.identities import verify_document
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex import parse_row

ELBO = r"\mathbb{E}_{Q(z|x)}\left[\log \frac{P(x,z)}{Q(z|x)}\right]"


def test_q_written_as_a_capital_is_the_variational_density():
    missing_gap, right = verify_document(display(
        rf"\log P(x) = {ELBO}",  # the KL gap dropped: wrong unless Q is the posterior
        rf"\log P(x) = {ELBO} + D_{{KL}}(Q(z|x) \| P(z|x))",
    )).rows
    assert missing_gap.verdict == "refuted" and "counterexample" in missing_gap.evidence, missing_gap.evidence
    assert right.verdict == "verified", right.evidence


def test_z_drawn_from_the_law_of_capital_z():
    evidence, importance = verify_document(display(
        r"P(x) = E_{z\sim P(Z)}[P(x|z)]",
        r"P(x) = E_{z\sim Q(Z|x)}[P(x|z) P(z) / Q(z|x)]",
    )).rows
    assert evidence.verdict == importance.verdict == "verified", (evidence.evidence, importance.evidence)
    wrong, = verify_document(display(r"P(x) = E_{z\sim Q(Z|x)}[P(x|z) / Q(z|x)]")).rows
    assert wrong.verdict == "refuted", wrong.evidence


def test_a_plain_e_with_a_law_below_it_is_an_expectation_even_without_brackets():
    row = parse_row(r"E_{\hat{p}(x)}E_{q(z\vert x)}\log p(x|z) = 0")
    outer = row.parts[0]
    assert isinstance(outer, n.Expectation) and isinstance(outer.body, n.Expectation)
    assert isinstance(outer.body.body, n.Log)
    plain = parse_row(r"E_x = 3").parts[0]  # a subscript that is no law: the letter E
    assert isinstance(plain, n.Var) and plain.name == "E"
