r"""Rows of sums over a coordinate up to a symbolic J (the per-coordinate KL of a diagonal Gaussian
as VAE write-ups spell it out), judged with the sums written out at J = 1, 2, 3."""

import pytest
from identities_testkit import display

from elbo_suite.identities import verify_document
from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.semantics import index_sums

NEG_KL = r"-\frac{1}{2}\sum_{j=1}^{J}\left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right)"


@pytest.mark.parametrize("tex", [
    rf"{NEG_KL} = \frac{{1}}{{2}}\sum_{{j=1}}^J(\mu_j^2+\sigma_j^2-2\log\sigma_j - 1)",
    r"\sum_{j=1}^{J}\left(1 + \log \sigma_j^2\right) = J + 2\sum_{j=1}^J \log\sigma_j",
    r"\sum_{d=1}^{D} (x_d - \mu_d)^2 = \sum_{d=1}^{D} x_d^2 - 2\sum_{d=1}^{D} x_d\mu_d + \sum_{d=1}^{D}\mu_d^2",
])
def test_algebra_of_coordinate_sums_is_proved_at_each_size(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "verified", row.evidence
    assert "= 1, 2, 3, the sums written out" in row.evidence, row.evidence


@pytest.mark.parametrize("tex", [
    rf"{NEG_KL} = \frac{{1}}{{2}}\sum_{{j=1}}^J(\mu_j^2+\sigma_j^2-\log\sigma_j - 1)",  # log sigma for log sigma^2
    rf"{NEG_KL} = \frac{{1}}{{2}}\sum_{{j=1}}^J(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)",  # the sign
    r"\sum_{j=1}^{J}\left(1 + \log \sigma_j^2\right) = 1 + 2\sum_{j=1}^J \log\sigma_j",  # J terms of 1 as one
])
def test_slips_in_coordinate_sums_are_refuted_at_a_stated_size(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "refuted" and "the sums written out" in row.evidence, row.evidence


def test_sums_of_densities_or_draws_stay_with_the_model_families():
    for tex in (r"\sum_{t=1}^{T} \log p(x_t) = 1",
                r"\frac{1}{L}\sum_{l=1}^{L} \log p(x|z^{(l)}) = 1",
                r"\sum_{t=2}^{T} D_{KL}(q(x_{t-1}|x_t,x_0) \| p(x_{t-1}|x_t)) = 0"):
        row = parse_row(tex)
        assert index_sums.bound_of(*row.parts) is None, tex


def test_the_written_out_sum_names_each_coordinate():
    row = parse_row(r"\sum_{j=1}^{J} \mu_j = J")
    left = index_sums.instance(row.parts[0], "J", 2)
    right = index_sums.instance(row.parts[1], "J", 2)
    assert [t.index.value for t in left.terms] == ["1", "2"] and right.value == "2"
