"""Parser: every notation item of the derivation, indexed latents, and 'cannot parse'."""

import pytest

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex import parse_row


def only(tex):
    row = parse_row(tex)
    assert len(row.parts) == 1
    return row.parts[0]


X, Z = n.Var("x"), n.Var("z")
Q = n.Density("q", n.Var("phi"), (Z,), (X,))


def test_densities_bold_is_typography():
    assert only(r"p(\boldsymbol{x},\boldsymbol{z})") == n.Density("p", None, (X, Z), ())
    assert only(r"q_\phi(\boldsymbol{z}|\boldsymbol{x})") == Q
    assert only(r"p_\theta(x|z)") == n.Density("p", n.Var("theta"), (X,), (Z,))


def test_log_applies_to_the_next_factor():
    node = only(r"\log p(x)\int q_\phi(z|x)dz")
    assert isinstance(node, n.Mul)
    assert node.factors[0] == n.Log(n.Density("p", None, (X,), ()))
    assert node.factors[1] == n.Integral(Q, Z)


def test_frac_integral_and_differential():
    node = only(r"\int\frac{p(x,z)q_\phi(z|x)}{q_\phi(z|x)}d\boldsymbol{z}")
    assert isinstance(node, n.Integral) and node.variable == Z
    assert isinstance(node.body, n.Div)


def test_expectation_with_left_right_brackets():
    node = only(r"\mathbb{E}_{q_\phi(z|x)}\left[\log\frac{p(x,z)}{q_\phi(z|x)}\right]")
    assert isinstance(node, n.Expectation) and node.dist == Q
    assert isinstance(node.body, n.Log)


def test_kl_underbrace_and_text_subscript():
    node = only(r"\underbrace{D_\text{KL}(q_\phi(z|x)||p(z))}_{\text{prior matching term}}")
    assert isinstance(node, n.Annotated) and "prior matching term" in node.note
    assert node.body == n.KL(Q, n.Density("p", None, (Z,), ()))


def test_normal_with_semicolon_and_with_commas():
    node = only(r"\mathcal{N}(\boldsymbol{z};\boldsymbol{\mu}_\phi(\boldsymbol{x}),\boldsymbol{\sigma}_\phi^2(\boldsymbol{x})\boldsymbol{I})")
    assert node.separator == ";" and node.variable == Z
    assert node.mean == n.FuncApp("mu", n.Var("phi"), (X,))
    assert node.cov == n.Mul((n.Pow(n.FuncApp("sigma", n.Var("phi"), (X,)), n.Num("2")), n.Var("I")))
    row = parse_row(r"\mathcal{N}(\epsilon,0,I)")
    assert row.parts[0].separator == "," and row.notes


def test_relations_at_ampersand_and_parenthesised_aside():
    row = parse_row(r"&\geq\mathbb{E}_{q(z|x)}[\log p(x)]")
    assert row.parts[0] is None and row.relations == (">=",)
    row = parse_row(r"\mathbb{E}_{q(z|x)}[f] (\leq\log{p(x)}).")
    assert row.aside and row.relations == ("<=",) and row.parts[1] == n.Log(n.Density("p", None, (X,), ()))


def test_argmax_sum_and_samples():
    row = parse_row(r"\argmax_{\boldsymbol{\phi,\theta}} A \approx \argmax_{\boldsymbol{\phi,\theta}}\sum_{l=1}^L\log p_\theta(x|\boldsymbol{z^{(l)}})-B")
    assert row.relations == ("≈",)
    right = row.parts[1]
    assert isinstance(right, n.Argmax) and right.over == ("phi", "theta")
    total = right.body
    assert isinstance(total, n.Add) and isinstance(total.terms[0], n.BigOp)
    draw = total.terms[0].body.arg.given[0]
    assert draw == n.Var("z", None, n.Var("l"))


def test_reparameterisation_clause_odot_and_sim():
    row = parse_row(r"z=\boldsymbol{\mu}_\phi(\boldsymbol{x})+\boldsymbol{\sigma}_\phi(\boldsymbol{x})\odot\epsilon\quad\text{with }\boldsymbol\epsilon\sim\mathcal{N}(\boldsymbol\epsilon,\boldsymbol0,\boldsymbol I)")
    assert row.parts[0] == Z and row.parts[1].terms[1].elementwise
    (clause,) = row.clauses
    assert clause.variable == n.Var("epsilon") and isinstance(clause.dist, n.Normal)


@pytest.mark.parametrize("tex, check", [
    (r"\prod_{t=1}^{T} p(x_{t-1}|x_t)",
     lambda node: node.op == "prod" and node.body.variables[0].index == n.Add((n.Var("t"), n.Neg(n.Num("1"))))),
    (r"q(x_{1:T}|x_0)", lambda node: node.variables[0].index == n.Slice(n.Num("1"), n.Var("T"))
     and node.given[0].index == n.Num("0")),
    (r"\sum_{t=2}^{T} \log q(x_{t-1}|x_t, x_0)",
     lambda node: node.lower == n.Num("2") and len(node.body.arg.given) == 2),
])
def test_indexed_latents_of_the_hierarchical_chapters_parse(tex, check):
    assert check(only(tex))


@pytest.mark.parametrize("tex, token", [
    (r"\foo(x)", r"\foo"),
    (r"a \pm b", r"\pm"),
    (r"a = \text{some words} + b", "some words"),
    (r"\begin{tabular}{c} a \end{tabular}", "tabular"),
])
def test_unknown_notation_is_reported_with_its_token(tex, token):
    with pytest.raises(CannotParse) as info:
        parse_row(tex)
    assert str(info.value).startswith("cannot parse:") and token in str(info.value)


def test_notation_once_unknown_is_now_read():
    """Blackboard letters, primes and 'const' were cannot-parse; they are notation of the field."""
    assert only(r"\mathbb{R}") == n.Var("R", marks=("bb",))
    assert only(r"p(x)'") == n.Density("p", None, (X,), (), marks=("'",))
    assert parse_row(r"a = \text{const}").parts[1] == n.Constant("const")


def test_symbol_written_bold_and_plain_is_noted_not_silently_merged():
    row = parse_row(r"\log p(\boldsymbol{x}) = \log p(\boldsymbol{x})\int q_\phi(\boldsymbol{z}|\boldsymbol{x})dz")
    assert any(note.startswith("z is written both bold and plain") for note in row.notes)
    consistent = parse_row(r"\log p(\boldsymbol{x}) = \log p(\boldsymbol{x})\int q_\phi(\boldsymbol{z}|\boldsymbol{x})d\boldsymbol{z}")
    assert not any("bold and plain" in note for note in consistent.notes)
    # indices inside a bold group are not bold themselves
    indexed = parse_row(r"s = \sum_{l=1}^L\log p(\boldsymbol{x}|\boldsymbol{z^{(l)}})")
    assert not any("bold and plain" in note for note in indexed.notes)


def test_a_braced_number_of_several_digits_stays_one_exponent():
    """x^{64} is x to the 64th; only an unbraced x^64 takes one digit, as TeX does."""
    from elbo_suite.identities.semantics.evaluate import render

    assert render(parse_row(r"x^{64} = 1").parts[0]) == "x^64"
    tower = parse_row(r"10^{10^{10}} = 1").parts[0]
    assert tower == n.Pow(n.Num("10"), n.Pow(n.Num("10"), n.Num("10")))
