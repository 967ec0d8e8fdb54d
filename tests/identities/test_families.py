"""Each model family against independent references (scipy quadrature and closed forms)."""

import math

import pytest
import sympy as sp
from scipy import integrate, stats

from elbo_suite.identities.latex import parse_row
from elbo_suite.identities.semantics.discrete import A, P, Q, DiscreteFamily
from elbo_suite.identities.semantics.errors import Divergent, NotApplicable
from elbo_suite.identities.semantics.gaussian import B, M, S, V, W, X, LinearGaussianFamily
from elbo_suite.identities.semantics.gaussian_algebra import GaussFun, Z

POINT = {W: sp.Rational(3, 5), B: sp.Rational(-1, 4), S: sp.Rational(7, 10), X: sp.Rational(6, 5),
         M: sp.Rational(1, 3), V: sp.Rational(2, 5)}
w, b, s, x, m, v = (float(POINT[k]) for k in (W, B, S, X, M, V))


def gaussian_value(tex):
    family = LinearGaussianFamily()
    value = family.evaluate(parse_row(tex).parts[0])
    return float(family.scalar(value).xreplace(POINT).evalf(30))


def joint(z):
    return stats.norm.pdf(z) * stats.norm.pdf(x, w * z + b, s)


def q(z):
    return stats.norm.pdf(z, m, math.sqrt(v))


def test_gaussian_evidence_matches_quadrature():
    expected = integrate.quad(joint, -math.inf, math.inf)[0]
    assert gaussian_value(r"\int p(x,z)dz") == pytest.approx(expected, rel=1e-9)
    assert gaussian_value(r"p(x)") == pytest.approx(stats.norm.pdf(x, b, math.sqrt(w * w + s * s)), rel=1e-12)


def test_gaussian_elbo_matches_quadrature():
    def integrand(z):  # log densities, so the tails do not underflow to 0/0
        log_joint = stats.norm.logpdf(z) + stats.norm.logpdf(x, w * z + b, s)
        return q(z) * (log_joint - stats.norm.logpdf(z, m, math.sqrt(v)))
    expected = integrate.quad(integrand, -math.inf, math.inf)[0]
    got = gaussian_value(r"\mathbb{E}_{q(z|x)}\left[\log\frac{p(x,z)}{q(z|x)}\right]")
    assert got == pytest.approx(expected, rel=1e-9)


def test_gaussian_kl_to_posterior_matches_torch_free_closed_form():
    precision = 1 + w * w / (s * s)
    mu, tau = (w * (x - b) / (s * s)) / precision, 1 / precision
    expected = 0.5 * (v / tau - 1 - math.log(v / tau)) + (m - mu) ** 2 / (2 * tau)
    assert gaussian_value(r"D_\text{KL}(q(z|x)||p(z|x))") == pytest.approx(expected, rel=1e-12)


def test_gaussian_moments_of_a_polynomial():
    cube = GaussFun.var() * GaussFun.var() * GaussFun.var()
    f = GaussFun.normal(sp.Rational(1, 2), sp.Rational(3, 1)) * cube  # z^3 under N(1/2, 3)
    value = f.integrate().to_expr()
    expected = integrate.quad(lambda z: z ** 3 * stats.norm.pdf(z, 0.5, math.sqrt(3)), -math.inf, math.inf)[0]
    assert float(value) == pytest.approx(expected, rel=1e-9)


def test_gaussian_non_decaying_integral_diverges():
    family = LinearGaussianFamily()
    with pytest.raises(Divergent):
        family.evaluate(parse_row(r"\int \log p(x) dz").parts[0])


def test_discrete_family_sums_over_the_latent():
    family = DiscreteFamily()
    point = {**dict(zip(A, (1, 2, 3))), **dict(zip(P, (1, 1, 2))), **dict(zip(Q, (2, 1, 1)))}
    elbo = family.evaluate(parse_row(r"\mathbb{E}_{q(z|x)}\left[\log\frac{p(x,z)}{q(z|x)}\right]").parts[0])
    qs = (0.5, 0.25, 0.25)
    expected = sum(qi * math.log(ai / qi) for qi, ai in zip(qs, (1, 2, 3)))
    assert float(family.scalar(elbo).xreplace(point)) == pytest.approx(expected, rel=1e-12)
    likelihood = family.evaluate(parse_row(r"p_\theta(x|z)").parts[0])
    assert [float(e.xreplace(point)) for e in likelihood.values] == pytest.approx([4, 8, 6])


def test_discrete_family_rejects_gaussian_densities():
    with pytest.raises(NotApplicable):
        DiscreteFamily().evaluate(parse_row(r"\mathcal{N}(z;0,1)").parts[0])


def test_definitions_replace_the_encoder_in_the_gaussian_family():
    family = LinearGaussianFamily()
    row = parse_row(r"q_\phi(z|x)=\mathcal{N}(z;\mu,\sigma^2 I)")
    family.define(row.parts[0], row.parts[1])
    value = family.evaluate(parse_row(r"\mathbb{E}_{q_\phi(z|x)}[z]").parts[0])
    assert family.scalar(value).free_symbols == {sp.Symbol("mu", real=True)}
    assert Z not in family.scalar(value).free_symbols
