"""Gate your own KL, ELBO, IWAE and gradient code: copy this file into your tests.

Each assertion runs your function on seeded exact Gaussian models (float64) and, if it is wrong,
fails with the claim that caught it, the expected and actual values and the sample size.
"""

import math

import torch

from elbo_suite.gate import (
    assert_elbo_estimator_correct,
    assert_gradient_estimator_correct,
    assert_kl_correct,
)


# Your code (normally imported from your own package).
def gaussian_kl(mu, logvar):  # (B, k), (B, k) -> (B,): KL(N(mu, exp(logvar)) ‖ N(0, I))
    return 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar).sum(-1)


def elbo(model, q, x, eps):  # eps (L, B, k) -> (B,)
    z = q.rsample(eps)
    return (model.log_joint(x, z) - q.log_prob(z)).mean(0)


def iwae(model, q, x, eps):  # eps (K, B, k) -> (B,)
    z = q.rsample(eps)
    log_w = model.log_joint(x, z) - q.log_prob(z)
    return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


def score_function_gradient(log_joint, q, eps):  # eps (N, k) -> (N, P), one row per draw
    with torch.no_grad():
        f = log_joint(q.path(eps)) - q.log_prob(eps)  # log p(x, z) − log q(z)
    score = q.score(eps)  # ∇_φ log q(z) at z = q.path(eps)
    return (f.unsqueeze(-1) - 1.0) * score  # the −1 is the ∇_φ(−log q) term


# The gate.
def test_kl():
    assert_kl_correct(gaussian_kl, convention="mean_logvar", against="standard_normal")


def test_elbo():
    assert_elbo_estimator_correct(elbo, kind="elbo", noise="injected")


def test_iwae():
    assert_elbo_estimator_correct(iwae, kind="iwae", num_particles=8)


def test_gradient():
    assert_gradient_estimator_correct(score_function_gradient)
