"""The single-edit repair of a refuted row: each edit kind, and the search on real rows."""

from elbo_suite.identities.repair import edits
from elbo_suite.identities.repair.search import harvest, repair

from identities_testkit import by_number


def descriptions(kind, tex, context=None):
    return [d for d, _ in kind(tex, context or {})]


def edited(kind, tex, context=None):
    return [e for _, e in kind(tex, context or {})]


def test_remove_log_names_the_inner_one():
    tex = r"&=\log\mathbb{E}_{q}\left[\log\frac{p}{q}\right]"
    out = dict(edits.remove_log(tex, {}))
    assert out["the inner \\log is removed"] == r"&=\log\mathbb{E}_{q}\left[\frac{p}{q}\right]"


def test_shift_index_moves_one_subscript_or_one_bound():
    tex = r"&=\sum_{t=2}^{T}q(x_{t-1}|x_t)"
    got = edited(edits.shift_index, tex)
    assert r"&=\sum_{t=1}^{T}q(x_{t-1}|x_t)" in got
    assert r"&=\sum_{t=2}^{T-1}q(x_{t-1}|x_t)" in got
    assert r"&=\sum_{t=2}^{T}q(x_{t}|x_t)" in got
    assert r"&=\sum_{t=2}^{T}q(x_{t-1}|x_{t-1})" in got


def test_flip_sign_and_reverse_relation():
    assert r"a-b" in edited(edits.flip_sign, r"a+b")
    assert edited(edits.reverse_relation, r"\log p\geq E") == [r"\log p\leq E"]


def test_square_root_and_square_edits():
    tex = r"x_t=\alpha_tx_{t-1}"
    assert r"x_t=\sqrt{\alpha_t}x_{t-1}" in edited(edits.square_or_unsquare, tex)
    assert r"x_t=\alpha_t^2x_{t-1}" in edited(edits.square_or_unsquare, tex)
    assert "{(1-x)}" in edited(edits.square_or_unsquare, r"\sqrt{(1-x)}")


def test_swap_kl_arguments():
    tex = r"D_{\text{KL}}(q(z|x)\|p(z))"
    assert edited(edits.swap_kl, tex) == [r"D_{\text{KL}}(p(z) \| q(z|x))"]


def test_insert_factor_uses_the_neighbouring_rows_factors():
    context = harvest([r"\frac{1}{2\sigma^2}a=b"])
    assert r"\frac{1}{2\sigma^2}" in context["factors"]
    assert r"a=\frac{1}{2\sigma^2}\frac{1}{2}b" in edited(edits.insert_factor, r"a=\frac{1}{2}b", context)
    got = edited(edits.insert_factor, r"&=b", context)
    assert r"&=\frac{1}{2\sigma^2}b" in got


def test_search_is_bounded_and_reports_the_first_edit_that_holds():
    calls = []

    def holds(tex):
        calls.append(tex)
        return tex == r"a\geq b"

    assert repair(r"a\leq b", holds, {}) == r"holds if the relation \leq is reversed to \geq: a\geq b"
    calls.clear()
    assert repair(r"a+b=c", lambda tex: False, {}) == ""


def test_seed_refutations_carry_their_repairs(embedded_verdicts):
    row6 = by_number(embedded_verdicts, 6)
    assert row6.holds_if.startswith(r"holds if the inner \log is removed: ")
    assert r"\left[\frac{p(\boldsymbol{x},\boldsymbol{z})}" in row6.holds_if
    (estimator,) = [r for r in embedded_verdicts.rows if r.relation == "≈"]
    assert r"holds if the factor \frac{1}{L} is inserted in front of the \sum" in estimator.holds_if
    assert [r.label for r in embedded_verdicts.rows if r.holds_if] == [row6.label, estimator.label]
