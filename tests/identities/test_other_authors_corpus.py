"""The corpus of other authors' derivations is well formed: sources named, every row labelled."""

import re

import pytest
from other_authors_corpus import KINDS, fixtures, normalise

FIXTURES = fixtures()


def test_the_corpus_holds_at_least_eight_documents():
    assert len(FIXTURES) >= 8


@pytest.mark.parametrize("fx", FIXTURES, ids=lambda f: f.name)
def test_each_document_names_its_source_and_keeps_only_math(fx):
    assert "Address:" in fx.source, f"{fx.path.name}: the leading comment must give the source's address"
    body = fx.text.split("-->", 1)[1]
    for math in (r"```.*?```", r"\$\$.*?\$\$", r"\\\[.*?\\\]", r"\\begin\{([^}]*)\}.*?\\end\{\1\}",
                 r"\$[^$]*\$", r"\\\(.*?\\\)"):
        body = re.sub(math, " ", body, flags=re.S)
    # What is left are placeholders (…) and slide rules; a run of plain words would be copied prose.
    words = re.findall(r"[A-Za-z]+(?:\s+[A-Za-z]+){3,}", body)
    assert not words, words


@pytest.mark.parametrize("fx", FIXTURES, ids=lambda f: f.name)
def test_each_row_is_labelled_with_a_kind_and_a_reason(fx):
    assert fx.labels, f"{fx.name}: no labels file"
    for label in fx.labels:
        assert label.kind in KINDS, label
        assert label.why.strip(), f"{fx.name}: a label without its reason: {label.tex[:60]}"
        assert normalise(label.tex), label
