"""The notation registry: one small test per family of notation (identities/notation/*.py), each on
the AST shape the semantics rely on (CONTRACTS.md, i12-reader entry)."""

import pytest

from elbo_suite.identities.errors import CannotParse
from elbo_suite.identities.latex import nodes as n
from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.notation import REGISTRY
from elbo_suite.identities.notation.registry import COMMAND, KINDS, Registry

T = n.Var("t")
X, Z = n.Var("x"), n.Var("z")
XT = n.Var("x", T)
THETA = n.Var("theta")


def only(tex):
    row = parse_row(tex)
    assert len(row.parts) == 1, row
    return row.parts[0]


def rhs(tex):
    return parse_row(tex).parts[-1]


def test_registry_is_one_definition_per_name_and_knows_its_size():
    sizes = REGISTRY.size()
    assert set(sizes) == set(KINDS) and sum(sizes.values()) > 800
    fresh = Registry()
    fresh.define(COMMAND, ("foo",), "a test entry", family="a")
    with pytest.raises(ValueError, match="defined twice"):
        fresh.define(COMMAND, ("foo",), "again", family="b")
    # every entry states its meaning
    assert all(e.meaning for table in REGISTRY.entries.values() for e in table.values())


def test_symbols_greek_variants_infinity_and_ellipses():
    assert only(r"\varepsilon") == n.Var("epsilon")
    assert only(r"\infty") == n.Var("infty")
    assert only(r"x_1, \dots, x_T") == n.Tuple((n.Var("x", n.Num("1")), n.Dots(), n.Var("x", n.Var("T"))))
    assert only(r"\cdots") == only(r"\ldots") == n.Dots()


@pytest.mark.parametrize("tex", [r"\bar\alpha_t", r"\bar{\alpha}_t", r"\overline{\alpha}_t",
                                 r"\bar{\alpha_t}", r"\bar{\boldsymbol{\alpha}}_t"])
def test_accents_make_another_symbol(tex):
    assert only(tex) == n.Var("alpha", T, marks=("bar",))
    assert only(tex) != only(r"\alpha_t")


def test_accents_on_functions_and_expressions():
    assert only(r"\hat{\mathbf{x}}_\theta(\mathbf{x}_t, t)") == n.FuncApp("x", THETA, (XT, T), ("hat",))
    assert only(r"\tilde\beta_t") == n.Var("beta", T, marks=("tilde",))
    assert only(r"\widehat{\epsilon}_\theta") == n.Var("epsilon", THETA, marks=("hat",))
    assert only(r"\overline{x+y}") == n.Operator("bar", (n.Add((X, n.Var("y"))),))
    assert only(r"\vec{x}") == X


def test_fonts_bold_is_typography_calligraphic_is_another_symbol():
    assert only(r"\mathbf{x}_t") == only(r"\boldsymbol{x}_t") == only(r"\bm{x}_t") == XT
    assert only(r"\mathcal{L}") == n.Var("L", marks=("cal",)) != only("L")
    assert only(r"\mathbb{R}^d") == n.Pow(n.Var("R", marks=("bb",)), n.Var("d"))
    assert only(r"{\bf x}") == X


def test_text_names_words_and_constants():
    assert only(r"L_\text{VLB}") == n.Var("L", n.Var("VLB"))
    assert only(r"\text{SNR}(t)") == n.FuncApp("SNR", None, (T,))
    assert only(r"\mathrm{ELBO}") == only("ELBO") == n.Var("ELBO")
    assert rhs(r"a = b + \text{const}") == n.Add((n.Var("b"), n.Constant("const")))
    assert only(r"\mathrm{x}") == X


def test_spacing_sizes_colours_and_labels_are_dropped():
    assert only(r"\displaystyle \big( x \big)\, \color{red}{y}\!\;") == n.Mul((X, n.Var("y")))
    assert only(r"\left. x \right.") == X


def test_delimiters_bars_norms_and_conditional_bars():
    q = n.Density("q", None, (XT,), (n.Var("x", n.Num("0")),))
    for bar in (r"\mid", r"\vert", "|", r"\,|\,"):
        assert only(rf"q(x_t {bar} x_0)") == q
    norm = n.Operator("norm", (n.Add((n.Var("epsilon"), n.Neg(n.Var("y")))),))
    assert only(r"\|\epsilon - y\|^2") == only(r"\lVert\epsilon - y\rVert^2") == n.Pow(norm, n.Num("2"))
    assert only(r"|\Sigma|") == n.Operator("abs", (n.Var("Sigma"),))
    assert only(r"\exp\left\{x\right\}") == only(r"\exp\{x\}") == only(r"\exp(x)") == n.Exp(X)


@pytest.mark.parametrize("tex, relation", [
    ("a = b", "="), (r"a \le b", "<="), (r"a \geq b", ">="), (r"a \approx b", "≈"),
    (r"a \simeq b", "≈"), (r"a \propto b", "∝"), (r"a \sim b", "~"), (r"a \in b", "∈"),
    (r"a \ll b", "≪"), (r"a \gg b", "≫"), (r"a \coloneqq b", ":="), ("a := b", ":="),
    (r"a \triangleq b", ":="), (r"a \doteq b", ":="), (r"a \equiv b", "≡"),
    (r"a \stackrel{\text{def}}{=} b", ":="), (r"a \overset{\Delta}{=} b", ":="),
    (r"a \Rightarrow b", "⇒"), (r"a \implies b", "⇒"), (r"a \iff b", "⇔"), (r"a \neq b", "≠"),
    (r"a \not= b", "≠"),
])
def test_relations(tex, relation):
    assert parse_row(tex).relations == (relation,)


def test_labelled_relations_keep_their_label():
    row = parse_row(r"a \overset{(i)}{=} b \stackrel{\text{Jensen}}{\geq} c \underset{(ii)}{\le} d")
    assert row.relations == ("=", ">=", "<=") and row.labels == ("(i)", "Jensen", "(ii)")
    row = parse_row(r"a =_{\text{dump the const}} b")
    assert row.relations == ("=",) and row.labels == ("dump the const",)


def test_arithmetic_fractions_roots_and_derivatives():
    assert only(r"\dfrac{a}{b}") == only(r"\tfrac ab") == only(r"{a \over b}") == n.Div(n.Var("a"), n.Var("b"))
    assert only(r"\frac12") == n.Div(n.Num("1"), n.Num("2"))
    assert only(r"\sqrt[3]{x}") == n.Pow(X, n.Div(n.Num("1"), n.Num("3")))
    assert only(r"\sqrt\beta_{t-1}") == n.Sqrt(n.Var("beta", n.Add((T, n.Neg(n.Num("1"))))))
    assert only(r"\frac{\partial f}{\partial \theta}") == n.Derivative(n.Var("f"), THETA, True)
    assert only(r"\frac{d}{dt} x") == n.Derivative(X, T, False)
    assert only(r"\frac{d}{2}") == n.Div(n.Var("d"), n.Num("2"))  # a dimension, not a derivative
    assert only(r"a \odot b") == n.Mul((n.Var("a"), n.Var("b")), True)


def test_functions_log_exp_det_trace_and_optimisers():
    assert only(r"\log_2 x") == n.Div(n.Log(X), n.Log(n.Num("2")))
    assert only(r"\ln x") == only(r"\operatorname{log} x") == n.Log(X)
    assert only(r"e^{-x}") == n.Exp(n.Neg(X))
    assert only(r"\det\Sigma") == n.Operator("det", (n.Var("Sigma"),))
    assert only(r"\mathrm{tr}(\Sigma)") == only(r"\operatorname{Tr}(\Sigma)") == n.Operator("tr", (n.Var("Sigma"),))
    expected = n.Argmax("argmax", ("theta",), n.FuncApp("L", None, (THETA,), ("cal",)))
    for tex in (r"\arg\max_\theta \mathcal{L}(\theta)", r"\operatorname*{arg\,max}_\theta \mathcal{L}(\theta)",
                r"\argmax_\theta \mathcal{L}(\theta)", r"\underset{\theta}{\arg\max}\, \mathcal{L}(\theta)"):
        assert only(tex) == expected, tex
    assert only(r"\min_{\theta, \phi} f") == n.Argmax("min", ("theta", "phi"), n.Var("f"))
    assert only(r"\beta_{\max}") == n.Var("beta", n.Var("max"))
    assert only(r"\lim_{T \to \infty} x") == n.Operator("lim", (X,), n.Compare((n.Var("T"), n.Var("infty")), ("→",)))


def test_calculus_integrals_sums_products_gradients():
    pz = n.Density("p", None, (Z,), ())
    for tex in (r"\int p(z) dz", r"\int p(z)\,dz", r"\int p(z) \mathrm{d}z", r"\int p(z) {\rm d}z",
                r"\int dz\, p(z)"):
        assert only(tex) == n.Integral(pz, Z), tex
    nested = only(r"\int_x \int_z p(x, z) dz dx")
    assert nested.variable == X and nested.body.variable == Z
    s = only(r"\sum_{t=1}^{T-1} a_t")
    assert (s.op, s.index, s.lower) == ("sum", T, n.Num("1"))
    assert only(r"\prod_{t=2}^T a_t").upper == n.Var("T")
    assert only(r"\sum_{x \in \mathcal{X}} f").domain == n.Var("X", marks=("cal",))
    grad = only(r"\nabla_\theta \log p(x)")
    assert grad == n.Operator("grad", (n.Log(n.Density("p", None, (X,), ())),), THETA)


def test_probability_expectations_kl_normal():
    q = n.Density("q", None, (XT,), (n.Var("x", n.Num("0")),))
    assert only(r"\mathbb{E}_{q(x_t|x_0)}[f]").dist == q
    assert only(r"\mathbb{E}_{x_t \sim q(x_t|x_0)}[f]").dist == q
    pair = only(r"\mathbb{E}_{x_0, z}[f]").dist
    assert pair == n.Tuple((n.Var("x", n.Num("0")), Z))
    bare = only(r"\mathbb{E}_q \log f")
    assert bare == n.Expectation(n.Var("q"), n.Log(n.Var("f")))
    assert only(r"E_{q}[f]") == only(r"\mathrm{E}_{q}[f]") == n.Expectation(n.Var("q"), n.Var("f"))
    assert only(r"\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I)}[f]").dist == n.Normal(
        n.Var("epsilon"), n.Num("0"), n.Var("I"), ";")
    assert only(r"\mathbb{E}[x_0 \mid x_t]").given == (XT,)
    kl = n.KL(n.Var("q"), n.Var("p"))
    for tex in (r"D_{KL}(q \| p)", r"D_\mathrm{KL}[q||p]", r"\mathrm{KL}(q \,\|\, p)",
                r"\operatorname{KL}(q\Vert p)", r"KL(q \parallel p)", r"\mathcal{D}_{\text{KL}}(q \mid\mid p)"):
        assert only(tex) == kl, tex
    assert only(r"\mathcal{N}(x; \mu, \sigma^2 I)") == n.Normal(
        X, n.Var("mu"), n.Mul((n.Pow(n.Var("sigma"), n.Num("2")), n.Var("I"))), ";")
    assert only(r"\mathcal{N}(x \mid \mu, \Sigma)").separator == "|"
    assert only(r"\mathbb{V}[x]") == only(r"\mathrm{Var}(x)") == n.Operator("Var", (X,))
    assert only(r"\mathbb{1}[x > 0]") == n.Operator("indicator", (n.Compare((X, n.Num("0")), (">",)),))


def test_applications_density_function_or_product():
    assert only(r"p_\theta(x_{0:T})") == n.Density("p", THETA, (n.Var("x", n.Slice(n.Num("0"), n.Var("T"))),), ())
    assert only(r"p(x; \theta)") == n.Density("p", None, (X,), (), (), (THETA,))
    assert only(r"\pi_\theta(a|s)") == n.Density("pi", THETA, (n.Var("a"),), (n.Var("s"),))
    assert only(r"\mu_\theta(x_t, t)") == n.FuncApp("mu", THETA, (XT, T))
    assert only(r"s_\theta(x)") == n.FuncApp("s", THETA, (X,))
    assert only(r"\tilde\mu_t(x_t, x_0)") == n.FuncApp("mu", T, (XT, n.Var("x", n.Num("0"))), ("tilde",))
    assert only(r"\sigma_q^2(t)") == n.Pow(n.FuncApp("sigma", n.Var("q"), (T,)), n.Num("2"))
    product = only(r"\alpha_t(1-\bar\alpha_{t-1})")
    assert isinstance(product, n.Mul) and product.factors[0] == n.Var("alpha", T)
    assert only(r"\mathcal{U}\{1, T\}") == n.FuncApp("U", None, (n.Tuple((n.Num("1"), n.Var("T")), "{"),), ("cal",))


def test_superscripts_marks_transposes_samples_and_labels():
    assert only(r"\theta^*") == only(r"\theta^{\ast}") == n.Var("theta", marks=("*",))
    assert only(r"\epsilon_{t-1}^*") == n.Var("epsilon", n.Add((T, n.Neg(n.Num("1")))), marks=("*",))
    assert only(r"x^\top y") == only(r"x^T y") == only(r"x^\intercal y") == n.Mul((n.Operator("transpose", (X,)), n.Var("y")))
    assert only(r"(1-\beta)^T") == n.Pow(n.Add((n.Num("1"), n.Neg(n.Var("beta")))), n.Var("T"))
    assert only(r"z^{(l)}") == n.Var("z", sample=n.Var("l"))
    assert only(r"L_t^\text{simple}") == n.Var("L", T, marks=("^{simple}",))
    assert only(r"p^*(x)") == n.Density("p", None, (X,), (), ("*",))


def test_decorations_braces_boxes_and_labels():
    note = only(r"\underbrace{a}_{\text{prior matching}}")
    assert note == n.Annotated(n.Var("a"), "prior matching")
    named = only(r"\underbrace{a}_{\mu_q(x_t, x_0)}")
    assert named.label == n.FuncApp("mu", n.Var("q"), (XT, n.Var("x", n.Num("0"))))
    assert only(r"\boxed{a}") == only(r"\cancel{a}") == n.Var("a")


def test_environments_inside_a_row_cases_and_matrices():
    cases = only(r"f = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}".split("= ")[1])
    assert cases.name == "cases" and len(cases.args) == 2
    matrix = only(r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}")
    assert matrix.name == "matrix" and matrix.args[1] == n.Tuple((n.Var("c"), n.Var("d")))


def test_shorthands_the_document_does_not_define():
    assert only(r"\E_q[f]") == only(r"\mathbb{E}_q[f]")
    row = parse_row(r"\bx = \bmu")
    assert row.parts == (X, n.Var("mu")) and any(r"\bx is not defined" in note for note in row.notes)


def test_unicode_characters_read_as_their_commands():
    assert parse_row("α ≤ β − 1").relations == ("<=",)
    assert only("∑_{t=1}^T x_t") == only(r"\sum_{t=1}^T x_t")


def test_unknown_commands_name_themselves():
    with pytest.raises(CannotParse, match=r"unknown command \\foo"):
        parse_row(r"a = \foo{b}")


def test_statements_joined_by_a_connective_are_not_judged_step_by_step():
    from elbo_suite.identities import verify_document

    (row,) = verify_document("$$\n\\nabla_\\theta L = 0 \\Rightarrow \\theta = 2\n$$\n").rows
    assert row.verdict == "unverified" and row.category == "outside the model families"
    assert "'⇒'" in row.evidence
