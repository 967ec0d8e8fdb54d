"""Row roles: a row that introduces a name is a definition and is never refuted; a later row that
contradicts a definition is a claim, checked against it."""

import pytest
from identities_testkit import display

from elbo_suite.identities import verify_document
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.roles import CLAIM, DEFINITION, DISPLAY, Known, hint_of, role_of

# Definitions that other authors' documents state and that must never be refuted (issue 12 lists
# these as false alarms of the verifier before rows had roles).
DEFINITIONS = [
    r"\alpha_t = 1-\beta_t",
    r"\rho = 0.05",
    r"\beta_1 = 10^{-4}",
    r"\beta_T=0.02",
    r"\lambda=0.001",
    r"\eta = 0",
    r"\beta > 1",
    r"t_1 < t_2",
    r"0<\beta_t<1",
    r"x_t = \sqrt{1-\beta_t}x_{t-1} + \sqrt{\beta_t}\epsilon",
    r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\beta_t}}\epsilon_\theta(x_t, t)\right)",
    r"\sigma^2 := \beta_t",
    r"\mathcal{L} \triangleq \mathbb{E}_{q(z|x)}\left[\log p(x,z) - \log q(z|x)\right]",
    r"L \equiv \log p(x)",
    r"q(x_{1:T}|x_0)=\prod_{t=1}^{T} q(x_t|x_{t-1})",
    r"p(z)=\mathcal{N}(z;0,I)",
]


@pytest.mark.parametrize("row_tex", DEFINITIONS)
def test_a_row_that_introduces_a_name_is_a_definition(row_tex):
    (row,) = verify_document(display(row_tex)).rows
    assert row.verdict != "refuted", row.evidence
    if row.category != "cannot parse":
        assert row.verdict == "definition", row.evidence


@pytest.mark.parametrize("row_tex", [
    r"\eta \in \mathbb{R}^+",
    r"\beta_1 < \beta_2 < \dots < \beta_T",
    r"\theta^* = \arg\max_\theta \mathbb{E}_{x}[\log p_\theta(x)]",
    r"x_t \sim \mathcal{N}(\sqrt{1-\beta_t}x_{t-1}, \beta_t I)",
    r"\mu \stackrel{def}{=} \mathbb{E}[x]",
    r"\bar{\alpha}_t = \prod_{s=1}^{t}\alpha_s",
])
def test_definitions_in_notation_the_reader_is_learning_are_never_refuted(row_tex):
    (row,) = verify_document(display(row_tex)).rows
    assert row.verdict in {"definition", "unverified"}, row.evidence


def test_a_definition_binds_the_name_for_the_rows_after_it():
    rows = verify_document(display(r"\alpha = 2", r"2\alpha = 4", r"\alpha = 3")).rows
    assert [r.verdict for r in rows] == ["definition", "verified", "refuted"], [r.evidence for r in rows]
    assert "counterexample" in rows[2].evidence


def test_a_row_that_defines_and_claims_is_judged_on_its_claim():
    good, bad = verify_document(display(r"a = 1 + 1 = 2", r"b = 1 + 1 = 3")).rows
    assert good.verdict == "verified" and "binds" not in good.evidence or "a" in good.evidence
    assert bad.verdict == "refuted", bad.evidence
    assert bad.evidence.startswith("assignment to b"), bad.evidence


def test_a_definition_whose_own_claim_fails_binds_nothing():
    """Which side of `b = 1 + 1 = 3` the author meant is unknown: later rows about b are not
    refuted through either."""
    rows = verify_document(display(r"b = 1 + 1 = 3", r"b = 2")).rows
    assert rows[0].verdict == "refuted"
    assert rows[1].verdict == "definition", rows[1].evidence


def test_prose_that_announces_a_definition_lets_a_name_be_defined_again():
    known = Known()
    first = n.Row((n.Var("L"), n.Num("1")), ("=",))
    known.record(role_of(first, known), first, "(1)")
    again = n.Row((n.Var("L"), n.Num("2")), ("=",))
    assert role_of(again, known).kind == CLAIM
    role = role_of(again, known, hint="let")
    assert role.kind == DEFINITION and "redefines" in role.reason


def test_a_name_defined_by_a_later_row_is_not_refuted_before_it():
    """`where L_T = ...` after its use: the use is not a claim about an arbitrary L_T."""
    rows = verify_document(display(r"\log p(x) = L_T + 1", r"L_T = \log p(x) - 1")).rows
    assert rows[0].verdict == "unverified" and "further on" in rows[0].evidence, rows[0].evidence
    assert rows[1].verdict == "definition"


def test_a_constant_the_document_never_defines_is_not_a_counterexample():
    (row,) = verify_document(display(r"\log p(x) = \log p(x,z) - \log p(z|x) + C")).rows
    assert row.verdict != "refuted", row.evidence


def test_unrelated_schedule_symbols_are_not_a_counterexample():
    """alpha_t and beta_t are related by the field's convention (alpha_t = 1 - beta_t); a point
    that sets them independently proves nothing, until the document says how they relate."""
    (row,) = verify_document(display(r"\alpha_t \beta_{t-1} + \beta_t = 1-\alpha_t\alpha_{t-1}")).rows
    assert row.verdict == "unverified" and "convention" in row.evidence, row.evidence
    defined = verify_document(display(r"\beta_t = 1-\alpha_t", r"\beta_{t-1} = 1-\alpha_{t-1}",
                                      r"\alpha_t \beta_{t-1} + \beta_t = 1-\alpha_t\alpha_{t-1}")).rows
    assert defined[2].verdict == "verified", defined[2].evidence


def test_a_wrong_claim_about_defined_quantities_is_still_refuted():
    rows = verify_document(display(r"\beta_t = 1-\alpha_t", r"\beta_{t-1} = 1-\alpha_{t-1}",
                                   r"\alpha_t \beta_{t-1} + \beta_t = 1-\alpha_t^2\alpha_{t-1}")).rows
    assert rows[2].verdict == "refuted", rows[2].evidence


def test_the_seed_rows_keep_their_roles(embedded_verdicts):
    counts = embedded_verdicts.counts()
    assert counts == {"verified": 18, "refuted": 2, "definition": 3, "unverified": 0}


# -- role_of on trees, independent of the parser ------------------------------------------------------
def _var(name, index=None):
    return n.Var(name, n.Var(index) if isinstance(index, str) else index)


def test_roles_on_trees():
    known = Known()
    alpha, beta = _var("alpha", "t"), _var("beta", "t")
    assign = n.Row((alpha, n.Add((n.Num("1"), n.Neg(beta)))), ("=",))
    assert role_of(assign, known).kind == DEFINITION
    known.record(role_of(assign, known), assign, "(1)")
    assert role_of(assign, known).kind == CLAIM
    assert role_of(n.Row((n.Var("z"),), ()), known).kind == DISPLAY
    sampling = n.Row((_var("x", "t"), n.Normal(None, n.Num("0"), n.Var("I"), ",")), ("∼",))
    assert role_of(sampling, known).kind == DEFINITION
    known.record(role_of(sampling, known), sampling, "(2)")
    assert role_of(sampling, known).kind == CLAIM


@pytest.mark.parametrize("tex, prose, word", [
    (r"\text{where } L_T = 1", "", "where"),
    (r"L = 1", "Let the loss be", "Let"),
    (r"L = 1", "令损失为", "令"),
    (r"L = 1", "设 L 为", "设"),
    (r"L = 1", "we choose a Gaussian prior", "we choose"),
    (r"L = 1", "so it follows that", ""),
])
def test_defining_words_are_read_from_the_row_and_the_prose_before_it(tex, prose, word):
    assert hint_of(tex, prose) == word


def test_a_first_factorisation_defines_but_a_wrong_one_is_a_claim():
    right, wrong = verify_document(display(r"p(x,z)=p(x|z)p(z)", r"p(x,z)=p(x|z)p(x)")).rows
    assert right.verdict == "definition" and "factorisation" in right.evidence
    assert wrong.verdict == "refuted", wrong.evidence


def test_random_variables_block_a_refutation_only_where_the_row_relates_them_in_law():
    """x_t on both sides: an identity for every value of x_t, refuted at a point. x_t against
    other random quantities (a sampling relation): a relation in law, not refuted at a point."""
    law = r"q(x_t|x_{t-1})=\mathcal{N}(x_t;\sqrt{a}x_{t-1},(1-a)I)"
    rows = verify_document(display(law, r"(x_t+1)^2 = x_t^2 + 2x_t + 1", r"(x_t+1)^2 = x_t^2 + 1",
                                   r"x_t = 2 x_{t-1}")).rows
    assert [r.verdict for r in rows[:3]] == ["definition", "verified", "refuted"], [r.evidence for r in rows]
    assert rows[3].verdict == "unverified" and "in law" in rows[3].evidence, rows[3].evidence


def test_a_name_defined_much_later_is_a_free_parameter_before():
    """A schedule defined fifty rows on (a new section) does not make every earlier use unjudgeable."""
    filler = [r"1+1=2"] * 10
    rows = verify_document(display(r"(a+1)^2 = a^2 + 1", *filler, r"a = 3")).rows
    assert rows[0].verdict == "refuted", rows[0].evidence


def test_a_block_that_opens_with_a_relation_continues_the_block_just_before_it():
    text = "$$\n(a+1)^2 = (a+1)(a+1)\n$$\n\n$$\n= a^2+2a+1\n$$\n\n$$\n= a^2+1\n$$\n"
    rows = verify_document(text).rows
    assert [r.verdict for r in rows] == ["verified", "verified", "refuted"], [r.evidence for r in rows]


def test_prose_between_blocks_ends_the_chain():
    text = "$$\n(a+1)^2 = (a+1)(a+1)\n$$\n\nso that\n\n$$\n= a^2+2a+1\n$$\n\n$$\n= a^2+2a+1\n$$\n"
    rows = verify_document(text).rows
    assert rows[1].verdict == "unverified" and "no previous row" in rows[1].evidence
    assert rows[2].verdict == "verified", rows[2].evidence  # continues the row before it


def test_a_density_written_at_a_point_is_compared_at_that_point():
    """log N(x; mu, s^2) is a function of x: a row that writes it out is an identity at every x,
    so a slip in it is refuted, though x is a random variable of the document."""
    right, halved = verify_document(display(
        r"\log \mathcal{N}(x; \mu, \sigma^2) = -\frac{1}{2}\log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2}",
        r"\log \mathcal{N}(x; \mu, \sigma^2) = -\log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2}",
    )).rows
    assert right.verdict == "verified", right.evidence
    assert halved.verdict == "refuted" and "x=" in halved.evidence, halved.evidence
