r"""The data-averaged family (x drawn from the data, q(z) the aggregate posterior): its values
against plain probability tables computed independently, the decompositions of the averaged ELBO
it must prove, and the errors people make in them, which it must refute."""

import numpy as np
import pytest
import sympy as sp
from identities_testkit import display
from scipy import stats

from elbo_suite.identities import verify_document
from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.semantics.data_averaged import D, L, P, Q, DataAveragedFamily

# One point of the family's parameters: data weights, prior weights, encoder and decoder tables.
DATA, PRIOR = np.array([1.0, 3.0]), np.array([2.0, 1.0, 1.0])
ENC = np.array([[1.0, 2.0, 3.0], [4.0, 1.0, 1.0]])  # q(z=i | x=j) ∝ ENC[j, i]
DEC = np.array([[1.0, 2.0, 1.0], [3.0, 1.0, 2.0]])  # p(x=j | z=i) ∝ DEC[j, i] (over j)
POINT = {**{D[j]: sp.Integer(int(DATA[j])) for j in range(2)},
         **{P[i]: sp.Integer(int(PRIOR[i])) for i in range(3)},
         **{Q[j][i]: sp.Integer(int(ENC[j, i])) for j in range(2) for i in range(3)},
         **{L[j][i]: sp.Integer(int(DEC[j, i])) for j in range(2) for i in range(3)}}

data = DATA / DATA.sum()  # p̂(x)
enc = ENC / ENC.sum(axis=1, keepdims=True)  # q(z|x), rows x
prior = PRIOR / PRIOR.sum()
dec = DEC / DEC.sum(axis=0, keepdims=True)  # p(x|z), rows x
q_joint = data[:, None] * enc
aggregate = q_joint.sum(axis=0)
p_joint = prior[None, :] * dec


def value(tex):
    family = DataAveragedFamily()
    return float(family.scalar(family.evaluate(parse_row(tex).parts[0])).xreplace(POINT).evalf(30))


@pytest.mark.parametrize("tex, reference", [
    (r"I_q(x; z)", lambda: stats.entropy(q_joint.ravel(), np.outer(data, aggregate).ravel())),
    (r"D_{KL}(q(z) \| p(z))", lambda: stats.entropy(aggregate, prior)),
    (r"\mathbb{E}_{\hat p(x)}\left[D_{KL}(q(z \mid x) \| p(z))\right]",
     lambda: sum(data[j] * stats.entropy(enc[j], prior) for j in range(2))),
    (r"D_{KL}(q(x, z) \| p(x, z))", lambda: stats.entropy(q_joint.ravel(), p_joint.ravel())),
    (r"\mathbb{E}_{x \sim p_{data}}\mathbb{E}_{q(z|x)}\left[\log p(x|z)\right]",
     lambda: (q_joint * np.log(dec)).sum()),
    (r"\mathbb{E}_{q(z)}\left[D_{KL}(q(x \mid z) \| p(x \mid z))\right]",
     lambda: sum(aggregate[i] * stats.entropy(q_joint[:, i] / aggregate[i], dec[:, i]) for i in range(3))),
    (r"\int_x \int_z q(z, x) \log \frac{q(z, x)}{\hat p(x)} dz dx",
     lambda: (q_joint * np.log(enc)).sum()),
])
def test_values_match_probability_tables(tex, reference):
    assert value(tex) == pytest.approx(reference(), rel=1e-12)


ELBO = r"\mathbb{E}_{\hat p(x)}\left[\mathbb{E}_{q(z|x)}\left[\log p(x|z) + \log p(z) - \log q(z|x)\right]\right]"
AVERAGED_KL = r"\mathbb{E}_{\hat p(x)}\left[D_{KL}(q(z|x) \| p(z))\right]"


@pytest.mark.parametrize("tex", [
    # ELBO surgery: the averaged KL term is the mutual information plus the marginal KL
    rf"{AVERAGED_KL} = I_q(x;z) + D_{{KL}}(q(z) \| p(z))",
    # the averaged ELBO is minus the KL of the two joints minus the data entropy
    rf"{ELBO} = -D_{{KL}}(q(x,z) \| p(x,z)) + \mathbb{{E}}_{{\hat p(x)}}[\log \hat p(x)]",
    rf"{ELBO} = \mathbb{{E}}_{{\hat p(x)}}[\log p(x)] - \mathbb{{E}}_{{\hat p(x)}}[D_{{KL}}(q(z|x) \| p(z|x))]",
    rf"{ELBO} \le \mathbb{{E}}_{{\hat p(x)}}[\log p(x)]",
    rf"{AVERAGED_KL} \ge D_{{KL}}(q(z) \| p(z))",
    r"q(x|z) = \frac{q(z,x)}{q(z)}",
    r"E_{\hat{p}(x)}E_{q(z|x)}[\log p(x|z)] = \int_x \int_z q(z,x) \log p(x|z) dz dx",
])
def test_decompositions_of_the_averaged_elbo_are_proved(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "verified", row.evidence
    assert "data-averaged discrete" in row.evidence


@pytest.mark.parametrize("tex", [
    # the marginal KL dropped
    rf"{AVERAGED_KL} = I_q(x;z)",
    # the two KL terms of the surgery with a sign flipped
    rf"{AVERAGED_KL} = I_q(x;z) - D_{{KL}}(q(z) \| p(z))",
    # log q(z)/p(z) typed as log q(z)/q(z)
    r"\int_x \hat p(x) \int_z q(z|x) \log \frac{q(z|x)}{p(z)} dz dx = \int_x \hat p(x) \int_z q(z|x) "
    r"\log \frac{q(z|x)}{q(z)} dz dx + \int_x \hat p(x) \int_z q(z|x) \log \frac{q(z)}{q(z)} dz dx",
    # the averaged ELBO as +KL of the joints (sign error)
    rf"{ELBO} = D_{{KL}}(q(x,z) \| p(x,z)) + \mathbb{{E}}_{{\hat p(x)}}[\log \hat p(x)]",
    # the data entropy dropped from an '='
    rf"{ELBO} = -D_{{KL}}(q(x,z) \| p(x,z))",
    # the bound the wrong way
    rf"{ELBO} \ge \mathbb{{E}}_{{\hat p(x)}}[\log p(x)]",
    # the encoder's KL taken against the aggregate posterior in the wrong direction
    rf"{AVERAGED_KL} = \mathbb{{E}}_{{\hat p(x)}}\left[D_{{KL}}(q(z) \| q(z|x))\right] + D_{{KL}}(q(z) \| p(z))",
])
def test_errors_in_the_averaged_elbo_are_refuted_with_a_counterexample(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "refuted", row.evidence
    assert "data-averaged discrete family at D1=" in row.evidence


def test_rows_about_one_data_point_are_left_to_the_other_families():
    (row,) = verify_document(display(
        r"\log p(x) = \mathbb{E}_{q(z|x)}\left[\log \frac{p(x,z)}{q(z|x)}\right] + D_{KL}(q(z|x) \| p(z|x))")).rows
    assert row.verdict == "verified" and "data-averaged" not in row.details, row.details


def test_a_density_the_document_makes_gaussian_is_outside_the_family():
    doc = verify_document(display(r"q(z|x) = \mathcal{N}(z; \mu, \sigma^2)",
                                  rf"{AVERAGED_KL} = I_q(x;z)"))
    assert doc.rows[1].verdict == "unverified", doc.rows[1].evidence


def test_a_hat_that_is_an_estimate_is_not_the_data_and_marked_densities_are_not_the_model():
    rows = verify_document(display(
        r"\log \hat p(x) \le \log p(x)",  # p-hat an estimate of p(x): no family reads it as p or the data
        r"p^*(x) = p(x)",  # a well-specified model: an assumption, not an identity
        r"\tilde p(x) = p(x)",
    )).rows
    assert [r.verdict for r in rows] == ["unverified"] * 3, [r.evidence for r in rows]
