r"""'=' up to a constant, as rows say it: a '+ const' term, =_{const}, \stackrel{c}{=}. The claim is
that left − right is free of one group of learned parameters (the model's while fitting the model,
the variational density's while fitting it); it fails when every group moves it."""

import pytest
from identities_testkit import display

from elbo_suite.identities import verify_document

ELBO = r"\mathbb{E}_{q(z|x)}\left[\log \frac{p(x,z)}{q(z|x)}\right]"
GAP = r"D_{KL}(q(z|x) \| p(z|x))"


@pytest.mark.parametrize("tex", [
    # minimising the gap over q is maximising the ELBO: they differ by log p(x), free of q
    rf"{GAP} \stackrel{{\text{{const}}}}{{=}} -{ELBO}",
    rf"{GAP} = -{ELBO} + \text{{const}}",
    # the M-step objective: the ELBO without the entropy of q, which the model does not move
    rf"\mathbb{{E}}_{{q(z|x)}}[\log p(x,z)] = {ELBO} + \text{{const}}",
])
def test_a_stated_constant_free_of_one_group_of_parameters_holds(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "verified", row.evidence
    assert "up to a term free of the learned parameters" in row.evidence


@pytest.mark.parametrize("tex", [
    rf"{GAP} \stackrel{{\text{{const}}}}{{=}} {ELBO}",  # the sign of the ELBO
    rf"\log p(x) \overset{{c}}{{=}} {ELBO}",  # the gap moves with the model and with q
    rf"\mathbb{{E}}_{{q(z|x)}}[\log p(x,z)] = \log p(x) + \text{{const}}",
])
def test_a_stated_constant_that_every_group_moves_is_refuted(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "refuted", row.evidence
    assert "changes with every group of learned parameters" in row.evidence


def test_an_unlabelled_equality_is_still_an_equality():
    (row,) = verify_document(display(rf"{GAP} = -{ELBO}")).rows
    assert row.verdict == "refuted", row.evidence
