r"""KL(N(mu_1, s_1^2) || N(mu_2, s_2^2)) written without the variable, as every VAE write-up does:
its closed forms proved, the field's usual slips in them refuted, and the value held to quadrature."""

import math

import pytest
import sympy as sp
from identities_testkit import display
from scipy import integrate, stats

from elbo_suite.identities import verify_document
from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.semantics.gaussian import LinearGaussianFamily
from elbo_suite.identities.semantics.symbols import doc_symbol

KL = r"D_{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \| \mathcal{N}(\mu_2, \sigma_2^2))"
STANDARD = r"D_{KL}(\mathcal{N}(\mu, \sigma^2) \| \mathcal{N}(0, 1))"


def test_the_value_matches_quadrature():
    family = LinearGaussianFamily()
    value = family.scalar(family.evaluate(parse_row(KL).parts[0]))
    m1, s1, m2, s2 = 0.3, 0.7, -0.4, 1.6
    point = {doc_symbol("mu_{1}"): sp.Rational(3, 10), doc_symbol("sigma_{1}"): sp.Rational(7, 10),
             doc_symbol("mu_{2}"): sp.Rational(-2, 5), doc_symbol("sigma_{2}"): sp.Rational(8, 5)}
    expected = integrate.quad(lambda z: stats.norm.pdf(z, m1, s1) * (stats.norm.logpdf(z, m1, s1)
                              - stats.norm.logpdf(z, m2, s2)), -math.inf, math.inf)[0]
    assert float(value.xreplace(point)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("tex", [
    rf"{STANDARD} = \frac{{1}}{{2}}\left(\mu^2 + \sigma^2 - \log \sigma^2 - 1\right)",
    rf"{STANDARD} = -\frac{{1}}{{2}}\left(1 + \log \sigma^2 - \mu^2 - \sigma^2\right)",
    rf"{KL} = \log\frac{{\sigma_2}}{{\sigma_1}} + \frac{{\sigma_1^2 + (\mu_1-\mu_2)^2}}{{2\sigma_2^2}} - \frac{{1}}{{2}}",
])
def test_closed_forms_are_proved(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "verified", row.evidence


@pytest.mark.parametrize("tex", [
    rf"{STANDARD} = \frac{{1}}{{2}}\left(\mu^2 + \sigma^2 - \log \sigma - 1\right)",  # log sigma for log sigma^2
    rf"{STANDARD} = \frac{{1}}{{2}}\left(1 + \log \sigma^2 - \mu^2 - \sigma^2\right)",  # the sign of -KL
    rf"{STANDARD} = \mu^2 + \sigma^2 - \log \sigma^2 - 1",  # the 1/2 dropped
    rf"{KL} = \log\frac{{\sigma_1}}{{\sigma_2}} + \frac{{\sigma_1^2 + (\mu_1-\mu_2)^2}}{{2\sigma_2^2}} - \frac{{1}}{{2}}",
    rf"{KL} = \log\frac{{\sigma_2}}{{\sigma_1}} + \frac{{\sigma_2^2 + (\mu_1-\mu_2)^2}}{{2\sigma_1^2}} - \frac{{1}}{{2}}",
])
def test_slips_in_the_closed_forms_are_refuted(tex):
    (row,) = verify_document(display(tex)).rows
    assert row.verdict == "refuted" and "counterexample" in row.evidence, row.evidence
