"""'Which objective does my loss really optimise?': the exact affine fit, read in plain words.

B = 3, d = 7, k = 5 by default (primes, so every number is named uniquely after them)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import vae_zoo as zoo

from elbo_suite.gate import check_vae_loss
from elbo_suite.gate.vae.implied import coprime_sizes, fit_affine, name_after_sizes

B, D, K = 3, 7, 5


def _implied(result):
    return result.details["implied_objective"]


def test_mse_mean_beside_a_summed_kl_is_a_gaussian_with_variance_b_d_over_2():
    result = check_vae_loss(zoo.mse_mean_loss, likelihood="gaussian")
    assert result.passed, result.message  # no σ declared: the σ² it implies is reported, not failed
    implied = _implied(result)
    assert implied["sigma2"] == pytest.approx(B * D / 2, rel=1e-9)
    assert implied["beta"] == 1.0 and implied["scale"] == pytest.approx(1.0, rel=1e-9)
    # c: the MSE drops the Gaussian's ½ log 2πσ² per element: c = −(B·d/2) log(2π σ²)
    assert implied["constant"] == pytest.approx(-(B * D / 2) * math.log(2 * math.pi * B * D / 2), rel=1e-9)
    assert "σ² = 10.5 (= B·d/2) at β = 1" in result.message
    assert "at σ = 1, a KL weight β = 10.5 (= B·d/2)" in result.message


def test_the_same_loss_fails_once_the_sigma_meant_is_declared():
    result = check_vae_loss(zoo.mse_mean_loss, likelihood="gaussian", sigma=1.0)
    assert not result.passed and result.claim == "objective"
    assert _implied(result)["beta"] == pytest.approx(B * D / 2, rel=1e-9)
    assert "β = 10.5 (= B·d/2) at the σ = 1 you declared" in result.message


def test_mse_summed_is_a_gaussian_with_variance_one_half():
    result = check_vae_loss(zoo.mse_sum_loss, likelihood="gaussian")
    assert _implied(result)["sigma2"] == pytest.approx(0.5, rel=1e-9)
    assert check_vae_loss(zoo.mse_sum_loss, likelihood="gaussian", sigma=math.sqrt(0.5)).passed


def test_mse_and_kl_both_batch_means_imply_variance_d_over_2_and_scale_one_over_b():
    def loss(recons, input, mu, log_var):  # F.mse_loss's mean, and the KL averaged over the batch
        kld = torch.mean(-0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp(), dim=1), dim=0)
        return F.mse_loss(recons, input) + kld

    implied = _implied(check_vae_loss(loss, likelihood="gaussian"))
    assert implied["sigma2"] == pytest.approx(D / 2, rel=1e-9)
    assert implied["scale"] == pytest.approx(1 / B, rel=1e-9)


def test_gaussian_nll_with_its_own_sigma_implies_that_sigma():
    implied = _implied(check_vae_loss(zoo.gaussian_nll_loss, likelihood="gaussian"))
    assert implied["sigma2"] == pytest.approx(0.25, rel=1e-9)
    assert implied["constant"] == pytest.approx(0.0, abs=1e-9)  # the full NLL: no constant dropped


def test_bernoulli_losses_name_the_kl_weight_they_imply():
    mixed = check_vae_loss(zoo.loss_bce_mean_kld_sum, data_shape=(784,))
    assert _implied(mixed)["beta"] == pytest.approx(3 * 784, rel=1e-9)
    assert _implied(mixed)["scale"] == pytest.approx(1 / (3 * 784), rel=1e-9)
    averaged = check_vae_loss(zoo.loss_kld_mean_over_batch_and_latent, data_shape=(784,))
    assert _implied(averaged)["beta"] == pytest.approx(1 / (3 * 5), rel=1e-9)
    assert _implied(check_vae_loss(zoo.loss_kld_missing_half, data_shape=(784,)))["beta"] == pytest.approx(2.0)


def test_declared_beta_and_reduction_are_held():
    assert check_vae_loss(zoo.beta_vae_loss).details["beta"] == 4.0  # read from the default
    assert check_vae_loss(zoo.beta_vae_loss, beta=4.0).passed
    wrong = check_vae_loss(zoo.beta_vae_loss, beta=1.0)
    assert not wrong.passed and "you declared β = 1" in wrong.message
    assert check_vae_loss(zoo.loss_keras_order, reduction="mean").passed
    summed = check_vae_loss(zoo.loss_keras_order, reduction="sum")
    assert not summed.passed and "the scale is a = 0.333333 (= 1/B), not 1 as reduction='sum' implies" in summed.message


def test_a_function_that_returns_the_elbo_is_read_as_such():
    result = check_vae_loss(zoo.elbo_from_parts, data_shape=(784,))
    assert result.passed and result.details["returns"] == "elbo"
    assert "your value = 1·ELBO" in result.message
    assert not check_vae_loss(zoo.elbo_from_parts, data_shape=(784,), returns="negative_elbo").passed


def test_the_fit_is_exact_linear_algebra_and_rejects_what_is_not_affine():
    generator = torch.Generator().manual_seed(0)
    recon, kl = torch.rand(8, generator=generator, dtype=torch.float64), torch.rand(8, generator=generator, dtype=torch.float64)
    fit = fit_affine(2.5 * recon + 0.25 * kl - 3.0, recon, kl, rtol=1e-12, atol=1e-12)
    assert fit.affine and (fit.alpha, fit.gamma, fit.constant) == pytest.approx((2.5, 0.25, -3.0), rel=1e-12)
    assert not fit_affine(recon + kl.square(), recon, kl, rtol=1e-9, atol=1e-9).affine


def test_numbers_are_named_after_the_sizes_only_when_exact():
    sizes = {"B": 3, "d": 7, "k": 5}
    assert name_after_sizes(10.5, sizes) == "B·d/2"
    assert name_after_sizes(1 / 15, sizes) == "1/(B·k)"
    assert name_after_sizes(2 / 21, sizes) == "2/(B·d)"
    assert name_after_sizes(10.5 * (1 + 1e-6), sizes) is None
    assert coprime_sizes(784) == (3, 5) and coprime_sizes(3 * 32 * 32) == (5, 7)
