"""Reader: one test per way of writing display math, per numbering convention, and per source of
macros (identities/reader/)."""

import json

import pytest

from elbo_suite.identities import verify_document
from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.reader import RENDERERS, read_document, read_rows


def texs(doc: str) -> list[str]:
    return [r.tex for r in read_rows(doc)]


def test_dollars_on_their_own_lines():
    assert texs("Text.\n\n$$\na = b\n$$\n\nMore.\n") == ["a = b"]


def test_dollars_inside_a_line_are_display_for_mathjax_and_inline_for_kramdown():
    line = "The bound $$a = b$$ holds for $x$.\n\n$$\nc = d\n$$\n"
    assert texs(line) == ["a = b", "c = d"]
    jekyll = "---\nlayout: post\n---\n" + line
    doc = read_document(jekyll)
    assert [r.tex for r in doc.rows] == ["c = d"]
    assert doc.conventions.dialect.startswith("kramdown")
    assert "inside a line of prose is inline" in doc.conventions.describe()


def test_kramdown_is_recognised_without_front_matter_when_no_single_dollar_math_is_used():
    doc = "Let $$x$$ be data and $$z$$ latent.\n\n$$\np(x) = \\int p(x, z) dz\n$$\n"
    assert texs(doc) == ["p(x) = \\int p(x, z) dz"]


def test_github_math_fences_are_plain_latex_even_where_other_math_is_escaped():
    doc = ("$$\na\\_t = b\\\\\\\\\n$$\n\n```math\n\\begin{aligned}\nx_t &= y \\\\\n&= z\n\\end{aligned}\n```\n")
    rows = read_rows(doc)
    assert [r.tex for r in rows] == ["a_t = b", "x_t &= y", "&= z"]
    assert [r.syntax for r in rows] == ["$$", "```math", "```math"]


def test_other_code_fences_and_inline_code_are_not_math():
    doc = "```python\n$$\nnot = math\n$$\n```\nIn code `$$x=1$$` too.\n\n$$\na = b\n$$\n"
    assert texs(doc) == ["a = b"]


def test_bracket_display_math_in_markdown_and_latex():
    assert texs("\\[\na = b\n\\]\n") == ["a = b"]
    assert texs("\\\\[\na\\_t = b\n\\\\]\n") == ["a_t = b"]  # escaped for Markdown
    assert texs("As in \\[1\\], we have\n\n$$\nc = d\n$$\n") == ["c = d"]  # a citation


@pytest.mark.parametrize("env", ["equation", "equation*", "align", "align*", "gather", "multline",
                                 "eqnarray", "flalign"])
def test_bare_environments(env):
    doc = f"Before.\n\\begin{{{env}}}\na &= b\n\\end{{{env}}}\nAfter.\n"
    (row,) = read_rows(doc)
    assert row.tex == "a &= b" and row.environment == env and row.syntax == "environment"


def test_split_and_aligned_inside_a_numbered_equation_share_one_number():
    doc = ("$$\n\\begin{equation}\n\\begin{split}\na &= b \\\\\n&= c\n\\end{split}\n\\end{equation}\n$$\n"
           "$$\n\\begin{align}\nd &= e\n\\end{align}\n$$\n")
    rows = read_rows(doc)
    assert [(r.tex, r.number, r.label) for r in rows] == [
        ("a &= b", 1, "(1)"), ("&= c", None, "(1), row 2"), ("d &= e", 2, "(2)")]


def test_math_in_blockquotes_and_list_items():
    doc = "> Quoted:\n>\n> $$\n> a = b\n> $$\n\n- item\n\n  $$\n  c = d\n  $$\n"
    assert texs(doc) == ["a = b", "c = d"]


def test_tags_labels_and_nonumber():
    doc = ("$$\n\\begin{align}\na &= b \\label{eq:a} \\\\\nc &= d \\tag{3a} \\\\\ne &= f \\nonumber \\\\\n"
           "g &= h\n\\end{align}\n$$\n$$\nk = l \\tag*{($\\star$)}\n$$\n")
    rows = read_rows(doc)
    assert [(r.tex, r.number, r.tag) for r in rows] == [
        ("a &= b", 1, None), ("c &= d", None, "(3a)"), ("e &= f", None, None), ("g &= h", 2, None),
        ("k = l", None, "($\\star$)")]
    assert rows[1].label == "(3a)"


def test_numbering_follows_the_renderer():
    doc = ("$$\n\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n$$\n$$\ne = f\n$$\n"
           "$$\n\\begin{eqnarray}\ng &= h\n\\end{eqnarray}\n$$\n")

    def numbers(renderer):
        return [r.number for r in read_document(doc, renderer=renderer).rows]

    assert numbers("mathjax-ams") == [1, 2, None, 3]
    assert numbers("mathjax-all") == [1, 2, 3, 4]
    assert numbers("mathjax-none") == [None, None, None, None]
    assert numbers("katex") == [1, 2, None, None]  # KaTeX has no eqnarray
    assert numbers("latex") == [1, 2, None, 3]
    with pytest.raises(DocumentError, match="renderer 'word' is not known"):
        read_document(doc, renderer="word")


def test_the_document_says_its_renderer_and_the_result_says_what_was_assumed():
    doc = "$$\n\\begin{align}\na &= b\n\\end{align}\n$$\n"
    assumed = read_document(doc).conventions
    assert assumed.renderer == "mathjax-ams" and "assumed" in assumed.basis
    configured = read_document("<script>window.MathJax = {tex: {tags: 'none'}};</script>\n" + doc)
    assert configured.conventions.renderer == "mathjax-none" and "tags: 'none'" in configured.conventions.basis
    v2 = '<script type="text/x-mathjax-config">MathJax.Hub.Config({TeX: {equationNumbers: {autoNumber: "all"}}});</script>\n'
    assert read_document(v2 + doc).conventions.renderer == "mathjax-all"
    assert read_document("---\nkatex: true\n---\n" + doc).conventions.renderer == "katex"
    verdicts = verify_document(doc)
    assert verdicts.conventions.startswith("numbering: MathJax with AMS numbering")
    assert json.loads(json.dumps(verdicts.to_dict()))["conventions"] == verdicts.conventions


def test_the_renderers_the_command_line_offers_are_the_readers():
    from elbo_suite.cli import RENDERER_CHOICES

    assert set(RENDERER_CHOICES) == set(RENDERERS)


def test_latex_document_preamble_comments_and_numbering():
    doc = ("\\documentclass{article}\n\\newcommand{\\E}{\\mathbb{E}}\n\\begin{document}\n"
           "% $$ not = math $$\n\\begin{equation}\n\\log p(x) \\geq \\E_q[f] % Jensen\n\\end{equation}\n"
           "\\[ a = b \\]\n\\begin{verbatim}\n\\begin{equation} x \\end{equation}\n\\end{verbatim}\n"
           "\\end{document}\n")
    read = read_document(doc)
    assert [(r.tex, r.number) for r in read.rows] == [("\\log p(x) \\geq \\E_q[f] % Jensen", 1), ("a = b", None)]
    assert read.conventions.renderer == "latex" and "E" in read.macros


def test_markdown_escapes_are_undone_only_where_the_document_escapes():
    escaped = "$$\n\\begin{align}\na\\_t &= b \\\\\\\\\n&= c\n\\end{align}\n$$\n"
    assert texs(escaped) == ["a_t &= b", "&= c"]
    plain = "$$\n\\begin{align}\na_t &= b \\\\\n&= c\n\\end{align}\n$$\n"
    assert texs(plain) == ["a_t &= b", "&= c"]
    assert read_document(escaped).conventions.escaped and not read_document(plain).conventions.escaped


def test_a_row_broken_over_lines_is_one_row():
    doc = ("$$\n\\begin{align}\n\\log p(x) &= \\mathbb{E}_q\\Big[ \\log p(x, z) \\nonumber \\\\\n"
           "&\\qquad - \\log q(z) \\Big] \\\\\n&= a \\\\\n&\\quad + b\n\\end{align}\n$$\n")
    rows = read_rows(doc)
    assert len(rows) == 2
    assert rows[0].tex.startswith("\\log p(x)") and rows[0].tex.endswith("\\Big]") and rows[0].number == 1
    assert rows[1].tex == "&= a &\\quad + b" and rows[1].number == 3


def test_rows_do_not_break_inside_cases_or_matrices():
    doc = "$$\nf = \\begin{cases} 1 & x > 0 \\\\ 0 & \\text{else} \\end{cases}\n$$\n"
    assert len(read_rows(doc)) == 1


def test_an_unclosed_dollar_sign_is_a_warning_when_other_math_is_read():
    read = read_document("$$\na = b\n$$\n\nCost: $$5.\n")
    assert [r.tex for r in read.rows] == ["a = b"] and "never closed" in read.warnings[0]
    with pytest.raises(DocumentError, match="never closed"):
        read_document("$$\na = b\n")


# -- macros ---------------------------------------------------------------------------------------
def _first_row(doc):
    verdicts = verify_document(doc)
    return verdicts.rows[0]


@pytest.mark.parametrize("definition", [
    "$$\\newcommand{\\KLd}[2]{D_{\\mathrm{KL}}\\left(#1 \\,\\|\\, #2\\right)}$$\n",
    "$\\renewcommand{\\KLd}[2]{D_{\\mathrm{KL}}(#1 \\| #2)}$\n",
    "$$\\def\\KLd#1#2{\\mathrm{KL}(#1 \\| #2)}$$\n",
    "---\nmathjax:\n  macros:\n    KLd: [\"\\\\mathrm{KL}(#1 \\\\| #2)\", 2]\n---\n",
    "<script>window.MathJax = {tex: {macros: {KLd: ['\\\\mathrm{KL}(#1 \\\\| #2)', 2]}}};</script>\n",
    "<script>renderMathInElement(document.body, {macros: {\"\\\\KLd\": \"\\\\mathrm{KL}(#1 \\\\| #2)\"}});</script>\n",
])
def test_document_macros_are_expanded_before_parsing(definition):
    doc = definition + "\n$$\n\\KLd{q(z)}{q(z)} = 0\n$$\n"
    row = _first_row(doc)
    assert row.verdict != "unverified" or "cannot parse" not in row.evidence, row.evidence
    assert len(verify_document(doc).rows) == 1  # the definition block displays nothing


def test_declared_operators_and_optional_arguments():
    doc = ("$$\\DeclareMathOperator*{\\amax}{arg\\,max}\\newcommand{\\pp}[2][p]{#1(#2)}$$\n"
           "$$\n\\amax_\\theta \\pp{x} = \\amax_\\theta \\pp[q]{x}\n$$\n")
    read = read_document(doc)
    from elbo_suite.identities.latex import parse_row

    row = parse_row(read.rows[0].tex, read.macros)
    assert row.parts[0].op == "argmax" and row.parts[0].body.kind == "p" and row.parts[1].body.kind == "q"
