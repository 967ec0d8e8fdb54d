"""Every kind of bad input raises GateInputError (a ValueError) with one line naming what was
wrong and what was expected — never a pass, never a traceback-only failure. (A NaN or inf
returned on the gate's finite inputs is not bad input but a failed check: test_gate_non_finite.)"""

from __future__ import annotations

import gate_zoo as zoo
import numpy as np
import pytest
import torch

from elbo_suite.gate import (
    GateInputError,
    check_elbo_estimator,
    check_gradient_estimator,
    check_kl,
    run_gate,
)


def _one_line(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    assert isinstance(excinfo.value, ValueError)
    return message


@pytest.mark.parametrize("check", [check_kl, check_elbo_estimator, check_gradient_estimator])
@pytest.mark.parametrize("value", [42, "my_module:kl", None, torch.zeros(3)], ids=["int", "str", "None", "tensor"])
def test_non_callable(check, value):
    with pytest.raises(GateInputError) as excinfo:
        check(value)
    assert _one_line(excinfo).startswith("fn: expected a callable")


def test_callable_that_raises_names_the_exception_and_the_call():
    with pytest.raises(GateInputError) as excinfo:
        check_kl(zoo.kl_raises)
    message = _one_line(excinfo)
    assert "raised RuntimeError: size mismatch in my_kl" in message
    assert "called as fn(mean (6, 2), logvar (6, 2))" in message
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_wrong_number_of_arguments_says_how_the_gate_calls():
    with pytest.raises(GateInputError) as excinfo:
        check_kl(zoo.kl_logvar, against="gaussian")
    assert "cannot take 4 positional arguments; the gate calls fn(mean_q (6, 2), logvar_q (6, 2), mean_p" in _one_line(excinfo)


@pytest.mark.parametrize(
    "fn, options, says",
    [
        (zoo.kl_per_coordinate, {}, "returned shape (6, 2); expected (B,), one KL per row = (6,) (one value per latent coordinate"),
        (zoo.kl_summed_over_batch, {}, "returned shape (); expected (B,), one KL per row = (6,) (a scalar: if you reduce over the batch on purpose, pass reduction='mean' or 'sum')"),
        (zoo.kl_logvar, {"reduction": "mean"}, "returned shape (6,); expected (), the mean over the batch = ()"),
        (zoo.kl_float32, {}, "returned dtype torch.float32; expected torch.float64"),
        (zoo.kl_returns_list, {}, "returned list; expected a torch.Tensor of shape (B,)"),
        (lambda mu, logvar: zoo.kl_logvar(mu, logvar).detach().numpy(), {}, "returned ndarray; expected a torch.Tensor"),
        (lambda mu, logvar: float(zoo.kl_logvar(mu, logvar).detach().sum()), {"reduction": "sum"}, "returned float; expected a torch.Tensor"),
    ],
    ids=["wrong shape", "scalar", "per-row for a mean", "float32", "list", "numpy", "python float"],
)
def test_bad_kl_output(fn, options, says):
    with pytest.raises(GateInputError) as excinfo:
        check_kl(fn, **options)
    assert says in _one_line(excinfo)


@pytest.mark.parametrize(
    "fn, says",
    [
        (lambda model, q, x, eps: zoo.elbo(model, q, x, eps).sum(), "returned shape (); expected (B,), one estimate per data point = (4,)"),
        (lambda model, q, x, eps: zoo.elbo(model, q, x, eps).float(), "returned dtype torch.float32; expected torch.float64"),
        (lambda model, q, x, eps: np.zeros(4), "returned ndarray; expected a torch.Tensor"),
        (lambda model, q, x: None, "cannot take 4 positional arguments; the gate calls fn(model LinearGaussianModel"),
        (zoo.elbo_by_hand, "raised AttributeError: 'FullCovGaussian' object has no attribute 'log_std'"),
    ],
    ids=["scalar", "float32", "numpy", "arity", "raises"],
)
def test_bad_estimator_output(fn, says):
    with pytest.raises(GateInputError) as excinfo:
        check_elbo_estimator(fn)
    assert says in _one_line(excinfo)


def test_estimator_that_only_handles_diagonal_q_is_told_how_to_say_so():
    with pytest.raises(GateInputError) as excinfo:
        check_elbo_estimator(zoo.elbo_by_hand)
    assert "pass q_family='diagonal'" in _one_line(excinfo)


def test_iwae_returning_per_particle_values():
    with pytest.raises(GateInputError) as excinfo:
        check_elbo_estimator(zoo.elbo_per_draw, kind="iwae")
    assert "returned shape (5, 4); expected (B,), one estimate per data point = (4,) (per-draw values: reduce over the draws (log-mean-exp for IWAE))" in _one_line(excinfo)


def test_estimator_ignoring_its_generator():
    with pytest.raises(GateInputError) as excinfo:
        check_elbo_estimator(zoo.elbo_generator_global_rng, noise="generator")
    assert "expected all noise drawn from the generator argument" in _one_line(excinfo)


@pytest.mark.parametrize(
    "fn, says",
    [
        (zoo.gradient_mean_only, "returned shape (6,); expected (N, P) per-draw gradients = (10000, 6) (the mean gradient: return one row per draw"),
        (lambda log_joint, q, eps: log_joint(q.path(eps)), "returned shape (10000,); expected (N, P) per-draw gradients = (10000, 6) (one value per draw"),
        (lambda log_joint, q, eps: zoo.score_function_by_hand(log_joint, q, eps).float(), "returned dtype torch.float32"),
    ],
    ids=["mean only", "surrogate", "float32"],
)
def test_bad_gradient_estimator_output(fn, says):
    with pytest.raises(GateInputError) as excinfo:
        check_gradient_estimator(fn, parameterisation="mean_log_std", num_draws=10_000)
    assert says in _one_line(excinfo)


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda: check_kl(zoo.kl_logvar, convention="logvar"), "convention: expected one of ('mean_logvar', 'mean_std', 'mean_scale_tril', 'distributions'), got 'logvar'"),
        (lambda: check_kl(zoo.kl_logvar, covariance="full"), "convention 'mean_logvar' describes a diagonal Gaussian; for covariance='full' use 'mean_scale_tril' or 'distributions'"),
        (lambda: check_kl(zoo.kl_logvar, against="prior"), "against: expected one of ('standard_normal', 'gaussian'), got 'prior'"),
        (lambda: check_kl(zoo.kl_logvar, reduction="batchmean"), "reduction: expected one of ('none', 'mean', 'sum'), got 'batchmean'"),
        (lambda: check_elbo_estimator(zoo.iwae, kind="iwae", num_particles=1), "num_particles: expected an int ≥ 2, got 1"),
        (lambda: check_elbo_estimator(zoo.elbo, kind="vae"), "kind: expected one of ('elbo', 'elbo_analytic_kl', 'iwae'), got 'vae'"),
        (lambda: check_elbo_estimator(zoo.elbo, noise="numpy"), "noise: expected one of ('injected', 'generator'), got 'numpy'"),
        (lambda: check_gradient_estimator(zoo.score_function_by_hand, objective="kl"), "objective: expected one of ('elbo', 'iwae'), got 'kl'"),
        (lambda: check_gradient_estimator(zoo.score_function_by_hand, group_size=1), "group_size: expected None or an int ≥ 2, got 1"),
        (lambda: check_gradient_estimator(zoo.score_function_by_hand, same_as="reinforce"), "same_as: expected None or one of ('pathwise',"),
        (lambda: check_gradient_estimator(zoo.score_function_by_hand, same_as="iwae_dreg"), "same_as='iwae_dreg' takes grouped eps (N, K, k): pass objective='iwae' or group_size"),
        (lambda: run_gate("vae", zoo.elbo), "kind: expected one of ('kl', 'elbo', 'iwae', 'gradient', 'loss', 'diffusion'), got 'vae'"),
        (lambda: run_gate("kl", zoo.kl_logvar, particles=3), "option(s) particles do not apply to check_kl"),
    ],
    ids=["convention", "logvar full", "against", "reduction", "K=1", "kind", "noise", "objective", "group",
         "same_as", "same_as grouped", "gate kind", "option"],
)
def test_bad_options(call, says):
    with pytest.raises(GateInputError) as excinfo:
        call()
    assert says in _one_line(excinfo)
