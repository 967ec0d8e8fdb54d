"""The Markov-chain semantics: a document's own chain, judged on linear-Gaussian instances.

Each negative control is a deliberately wrong variant of a correct step: it must be refuted with a
counterexample (the instance's T, schedule and point, both sides' values) and, where one edit
repairs it, carry the corrected LaTeX in `holds_if`.
"""

import pytest

from elbo_suite.identities import verify_document

from identities_testkit import display

VDM = (r"q(x_{1:T}|x_0)=\prod_{t=1}^{T}q(x_t|x_{t-1})",
       r"q(x_t|x_{t-1})=\mathcal{N}(x_t;\sqrt{\alpha_t}x_{t-1},(1-\alpha_t)I)",
       r"p(x_{0:T})=p(x_T)\prod_{t=1}^{T}p_\theta(x_{t-1}|x_t)",
       r"p(x_T)=\mathcal{N}(x_T;0,I)")
HVAE = (r"p(x,z_{1:T})=p(z_T)p_\theta(x|z_1)\prod_{t=2}^{T}p_\theta(z_{t-1}|z_t)",
        r"q_\phi(z_{1:T}|x)=q_\phi(z_1|x)\prod_{t=2}^{T}q_\phi(z_t|z_{t-1})")
JENSEN = (r"\log\mathbb{E}_{q_\phi(z_{1:T}|x)}\left[\frac{p(x,z_{1:T})}{q_\phi(z_{1:T}|x)}\right]"
          r"\geq\mathbb{E}_{q_\phi(z_{1:T}|x)}\left[\log\frac{p(x,z_{1:T})}{q_\phi(z_{1:T}|x)}\right]")
POSTERIOR_MEAN = r"\frac{\sqrt{\alpha_2}(1-\alpha_1)x_2+\sqrt{\alpha_1}(1-\alpha_2)x_0}{1-\alpha_1\alpha_2}"
POSTERIOR_VAR = r"\frac{(1-\alpha_2)(1-\alpha_1)}{1-\alpha_1\alpha_2}"


def judged(*rows: str, model=VDM):
    doc = verify_document(display(*model, *rows))
    return doc.rows[len(model):]


def assert_refuted_with_counterexample(row):
    assert row.verdict == "refuted", (row.verdict, row.evidence)
    assert "T=" in row.evidence and "left = " in row.evidence and "right = " in row.evidence


def test_the_model_rows_are_definitions():
    doc = verify_document(display(*VDM))
    assert [r.verdict for r in doc.rows] == ["definition"] * 4
    assert "Markov chain" in doc.rows[0].evidence and "Gaussian law" in doc.rows[1].evidence


def test_hierarchical_jensen_bound_verified_and_turned_the_wrong_way_refuted_with_repair():
    (good,) = judged(JENSEN, model=HVAE)
    assert good.verdict == "verified" and "linear-Gaussian chain" in good.evidence
    assert "T ∈ {1, 2, 3, 4}" in good.evidence
    (bad,) = judged(JENSEN.replace(r"\geq", r"\leq"), model=HVAE)
    assert bad.verdict == "refuted" and "fails" in bad.evidence
    assert bad.holds_if.startswith(r"holds if the relation \leq is reversed to \geq")
    assert r"\geq" in bad.holds_if


def test_marginal_of_the_forward_chain_verified_and_a_wrong_variance_refuted():
    (good,) = judged(r"q(x_2|x_0)=\mathcal{N}(x_2;\sqrt{\alpha_1\alpha_2}x_0,(1-\alpha_1\alpha_2)I)")
    assert good.verdict == "verified", good.evidence
    (bad,) = judged(r"q(x_2|x_0)=\mathcal{N}(x_2;\sqrt{\alpha_1\alpha_2}x_0,(1-\alpha_2)I)")
    assert_refuted_with_counterexample(bad)


def test_forward_step_sampling_rule_in_law_and_alpha_for_its_root_refuted_with_repair():
    good = r"x_t=\sqrt{\alpha_t}x_{t-1}+\sqrt{1-\alpha_t}\epsilon\quad\text{with }\epsilon\sim\mathcal{N}(\epsilon;0,I)"
    (row,) = judged(good)
    assert row.verdict == "verified", row.evidence
    (bad,) = judged(good.replace(r"\sqrt{\alpha_t}x_{t-1}", r"\alpha_tx_{t-1}"))
    assert bad.verdict == "refuted" and "law" in bad.evidence
    assert "square root" in bad.holds_if and r"\sqrt{\alpha_t}x_{t-1}" in bad.holds_if


def test_forward_step_mean_without_its_root_in_the_model_is_caught_downstream():
    """alpha_t where sqrt(alpha_t) belongs, in the law that defines the chain: the closed-form
    marginal written for the intended chain no longer holds."""
    model = (VDM[0], VDM[1].replace(r"\sqrt{\alpha_t}x_{t-1}", r"\alpha_tx_{t-1}"), *VDM[2:])
    (row,) = judged(r"q(x_2|x_0)=\mathcal{N}(x_2;\sqrt{\alpha_1\alpha_2}x_0,(1-\alpha_1\alpha_2)I)",
                    model=model)
    assert_refuted_with_counterexample(row)


def test_posterior_of_one_step_verified_and_its_negative_controls_refuted():
    good = rf"q(x_1|x_2,x_0)=\mathcal{{N}}(x_1;{POSTERIOR_MEAN},{POSTERIOR_VAR}I)"
    (row,) = judged(good)
    assert row.verdict == "verified", row.evidence
    # the variance without its /(1 - abar_t)
    (no_division,) = judged(good.replace(POSTERIOR_VAR, r"(1-\alpha_2)(1-\alpha_1)"))
    assert_refuted_with_counterexample(no_division)
    assert "divided by 1-\\alpha_1\\alpha_2" in no_division.holds_if
    # the two coefficients of the mean swapped
    swapped = POSTERIOR_MEAN.replace("x_2", "X").replace("x_0", "x_2").replace("X", "x_0")
    (crossed,) = judged(good.replace(POSTERIOR_MEAN, swapped))
    assert_refuted_with_counterexample(crossed)
    assert "exchanged" in crossed.holds_if


def test_first_form_of_the_diffusion_bound_and_its_consistency_term():
    """Luo's eq. 44 holds; eq. 45 averages the consistency KL as if x_{t+1} were independent of
    x_t given x_{t-1}, which the chain refutes (from T = 2 on)."""
    start = (r"\log p(x)\geq\mathbb{E}_{q(x_{1:T}|x_0)}\left[\log\frac{p(x_{0:T})}{q(x_{1:T}|x_0)}\right]")
    three = (r"&=\mathbb{E}_{q(x_{1}|x_0)}\left[\log p_{\theta}(x_0|x_1)\right]+\mathbb{E}_{q(x_{T-1},x_T|x_0)}"
             r"\left[\log\frac{p(x_T)}{q(x_T|x_{T-1})}\right]+\sum_{t=1}^{T-1}\mathbb{E}_{q(x_{t-1},x_t,x_{t+1}|x_0)}"
             r"\left[\log\frac{p_{\theta}(x_{t}|x_{t+1})}{q(x_{t}|x_{t-1})}\right]")
    kl = (r"&=\mathbb{E}_{q(x_{1}|x_0)}\left[\log p_{\theta}(x_0|x_1)\right]-\mathbb{E}_{q(x_{T-1}|x_0)}"
          r"\left[D_{\text{KL}}(q(x_T|x_{T-1})\|p(x_T))\right]-\sum_{t=1}^{T-1}\mathbb{E}_{q(x_{t-1},x_{t+1}|x_0)}"
          r"\left[D_{\text{KL}}(q(x_{t}|x_{t-1})\|p_{\theta}(x_{t}|x_{t+1}))\right]")
    block = "\\begin{align}\n" + " \\\\\n".join([start, three, kl]) + "\n\\end{align}"
    doc = verify_document(display(*VDM) + f"\n$$\n{block}\n$$\n")
    first, second, third = doc.rows[4:]
    assert first.verdict == "verified" and second.verdict == "verified", (first.evidence, second.evidence)
    assert_refuted_with_counterexample(third)
    assert "T=1" not in third.evidence  # at T = 1 there is no consistency term to get wrong


def test_a_step_that_holds_only_in_expectation_names_the_weaker_claim():
    (row,) = judged(r"x_0=\mathbb{E}_{q(x_0|x_1)}\left[x_0\right]")
    assert row.verdict == "refuted"
    assert row.weaker.startswith("holds in expectation") and "| x_1" in row.weaker


def test_a_step_that_drops_a_term_free_of_theta_names_the_weaker_claim():
    (row,) = judged(r"D_{\text{KL}}(q(x_1|x_0)\|p_\theta(x_1))=-\mathbb{E}_{q(x_1|x_0)}\left[\log p_\theta(x_1)\right]")
    assert row.verdict == "refuted"
    assert row.weaker.startswith("holds up to a term free of the learned parameters")


def test_argmin_steps_compare_minimisers_not_values():
    same = r"\arg\min_{\theta}\frac{1}{2}(\mu_\theta-\mu)^2=\arg\min_{\theta}(\mu_\theta-\mu)^2"
    (row,) = judged(same)
    assert row.verdict == "verified" and "same minimisers" in row.evidence
    (row,) = judged(r"\arg\min_{\theta}(\mu_\theta-\mu)^2=\arg\min_{\theta}(\mu_\theta+\mu)^2")
    assert row.verdict == "refuted"


def test_schedule_algebra_is_proved_symbolically_and_a_missing_weight_refuted_with_repair():
    definition = r"\sigma_q^2(t)=\frac{(1-\alpha_t)(1-\alpha_{t-1})}{1-\alpha_t\alpha_{t-1}}"
    weight = (r"\frac{1}{2\sigma_q^2(t)}\frac{\alpha_{t-1}(1-\alpha_t)^2}{(1-\alpha_t\alpha_{t-1})^2}"
              r"=\frac{1}{2}\frac{\alpha_{t-1}(1-\alpha_t)}{(1-\alpha_{t-1})(1-\alpha_t\alpha_{t-1})}")
    doc = verify_document(display(*VDM, definition) +
                          "\n$$\n\\begin{align}\n" + weight + " \\\\\n" +
                          weight.replace(r"\frac{1}{2\sigma_q^2(t)}", "", 1) + "\n\\end{align}\n$$\n")
    defined, good, bad = doc.rows[4:]
    assert defined.verdict == "definition" and "sigma_q" in defined.evidence
    assert good.verdict == "verified" and "proved symbolically" in good.evidence
    assert bad.verdict == "refuted" and "α_" in bad.evidence and "left = " in bad.evidence
    assert r"holds if the factor \frac{1}{2\sigma_q^2(t)} is inserted" in bad.holds_if


def test_gaussian_kl_with_sigma_for_its_square_refuted_with_repair():
    good = (r"D_\text{KL}(\mathcal{N}(z;\mu,\sigma^2)||\mathcal{N}(z;0,1))="
            r"\frac{1}{2}(\sigma^2+\mu^2-1-\log\sigma^2)")
    (row,) = verify_document(display(good.replace(r"\log\sigma^2", r"\log\sigma"))).rows
    assert row.verdict == "refuted" and "sigma=" in row.evidence
    assert "squared" in row.holds_if and r"\log\sigma^2" in row.holds_if


@pytest.mark.parametrize("row", [
    r"q(x_3|x_0)=\mathcal{N}(x_3;\sqrt{\alpha_1\alpha_2\alpha_3}x_0,(1-\alpha_1\alpha_2\alpha_3)I)",
    r"\int q(x_{1:T}|x_0)dx_{1:T}=1",
    r"\log p(x_0)=\log\int p(x_{0:T})dx_{1:T}",
])
def test_more_identities_of_the_chain_hold(row):
    (got,) = judged(row)
    assert got.verdict == "verified", got.evidence


def test_verdicts_are_the_same_bytes_on_every_run():
    rows = (r"q(x_2|x_0)=\mathcal{N}(x_2;\sqrt{\alpha_1\alpha_2}x_0,(1-\alpha_2)I)",)
    first = [(r.verdict, r.evidence, r.holds_if) for r in judged(*rows)]
    second = [(r.verdict, r.evidence, r.holds_if) for r in judged(*rows)]
    assert first == second
