"""Reader: display blocks, rows, Markdown escapes and the equation numbers a reader sees."""

import pytest

from elbo_suite.identities.errors import DocumentError
from elbo_suite.identities.reader import read_blocks, read_path, read_rows, unescape_markdown


def test_seed_numbering_runs_1_to_20_plus_three_unnumbered_blocks(seed_text):
    rows = read_rows(seed_text)
    assert [r.number for r in rows if r.number is not None] == list(range(1, 21))
    unnumbered = [r for r in rows if r.number is None]
    assert [(r.block, r.row) for r in unnumbered] == [(8, 1), (9, 1), (10, 1)]
    assert len(read_blocks(seed_text)) == 10


def test_seed_rows_per_block(seed_text):
    blocks = read_blocks(seed_text)
    assert [len(b.rows) for b in blocks] == [1, 1, 1, 4, 8, 3, 2, 1, 1, 1]


def test_equation_14_is_the_kl_row_and_18_the_reconstruction_row(seed_text):
    rows = {r.number: r for r in read_rows(seed_text)}
    assert r"D_\text{KL}(q_\phi(\boldsymbol{z}|\boldsymbol{x})||p(\boldsymbol{z}|\boldsymbol{x}))" in rows[14].tex
    assert "reconstruction term" in rows[18].tex and "prior matching term" in rows[18].tex
    assert "公式 14" in seed_text and "公式 18" in seed_text


def test_markdown_escapes_are_undone_and_raw_text_kept(seed_text):
    row = read_rows(seed_text)[5]  # (6)
    assert r"q\_\phi" in row.raw and r"q_\phi" in row.tex and r"\_" not in row.tex
    assert "\\\\" not in row.tex


def test_unescape_maps_double_backslash_and_underscore():
    text, where = unescape_markdown(r"a\\\\b\_c\,d")
    assert text == r"a\\b_c\,d"
    assert len(where) == len(text)


def test_empty_trailing_row_is_not_numbered_but_a_starred_align_takes_no_number():
    doc = ("$$\n\\begin{align}\na&=b\\\\\\\\\n&=c\\\\\\\\\n\\end{align}\n$$\n"
           "$$\n\\begin{align*}\nd&=e\n\\end{align*}\n$$\n"
           "$$\n\\begin{align}\nf&=g\\nonumber\\\\\\\\\n&=h\n\\end{align}\n$$\n")
    rows = read_rows(doc)
    assert [(r.block, r.number) for r in rows] == [(1, 1), (1, 2), (2, None), (3, None), (3, 3)]


def test_code_fences_and_inline_math_are_not_display_blocks():
    doc = "```\n$$\nnot math\n$$\n```\nInline $x$ only.\n$$\na=b\n$$\n"
    rows = read_rows(doc)
    assert len(rows) == 1 and rows[0].tex == "a=b"


@pytest.mark.parametrize("doc, fragment", [
    ("no math here\n", "no display math"),
    ("$$\na = b\n", "never closed"),
])
def test_documents_without_display_math_raise_document_error(doc, fragment):
    with pytest.raises(DocumentError, match=None) as info:
        read_blocks(doc)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("doc", [
    "$$\n\\frac{a}{b\n$$\n",
    "$$\n\\left[ a\n$$\n",
    "$$\n\\begin{align}\na&=b\n$$\n",
])
def test_a_malformed_block_is_still_read_so_that_its_row_fails_alone(doc):
    (row,) = read_rows(doc)
    assert row.tex


def test_missing_file_raises_document_error(tmp_path):
    with pytest.raises(DocumentError, match="not found"):
        read_path(tmp_path / "absent.md")
    with pytest.raises(DocumentError, match="directory"):
        read_path(tmp_path)


def test_plain_latex_document_keeps_its_row_breaks():
    """A document written for a renderer that protects math (GitHub, pandoc) uses `\\\\` itself as
    the row break: it is not Markdown-unescaped, so its rows and numbers come out as rendered."""
    from elbo_suite.identities.reader import read_rows

    plain = (
        "$$\n\\begin{align}\n\\log p(x) &= \\log \\int p(x,z)\\,dz \\\\\n&= \\log p(x)\n\\end{align}\n$$\n\n"
        "$$\n\\begin{align}\nq_\\phi(z|x) &= q_\\phi(z|x)\n\\end{align}\n$$\n"
    )
    rows = read_rows(plain)
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[1].tex == "&= \\log p(x)"
    assert rows[2].tex == "q_\\phi(z|x) &= q_\\phi(z|x)"
