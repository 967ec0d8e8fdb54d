"""The style and the parameters' roles are read from the signature as users write it; what the
gate cannot read gets one line listing the supported styles and the smallest adapter."""

from __future__ import annotations

import gate_zoo
import pytest
import vae_zoo as zoo

from elbo_suite.gate import GateInputError, check_loss
from elbo_suite.gate.vae.signatures import infer_style, read_signature, vae_loss_roles


@pytest.mark.parametrize(
    "fn, style",
    [
        (zoo.loss_function, "vae_loss"),
        (zoo.loss_keras_order, "vae_loss"),
        (zoo.loss_with_std, "vae_loss"),
        (zoo.VAELoss(), "vae_loss"),
        (zoo.elbo, "distributions"),
        (zoo.iwae_loss, "iwae"),
        (zoo.iwae_loss_log_w, "iwae"),
        (zoo.iwae_loss_joint, "iwae"),
        (zoo.iwae_loss_with_k, "iwae"),
        (gate_zoo.kl_logvar, "kl"),
        (gate_zoo.kl_std, "kl"),
        (gate_zoo.kl_scale_tril, "kl"),
        (gate_zoo.kl_scale_tril_standard_normal, "kl"),
        (gate_zoo.kl_distributions, "kl"),
        (gate_zoo.elbo, "elbo"),
        (gate_zoo.iwae, "elbo"),
        (gate_zoo.score_function_by_hand, "gradient"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", type(v).__name__),
)
def test_style_is_read_from_the_parameter_names(fn, style):
    assert infer_style(read_signature(fn)) == style


def test_inferred_styles_run_their_checks_with_what_the_names_say():
    assert check_loss(gate_zoo.kl_std).details["convention"] == "mean_std"  # std in the name
    assert check_loss(gate_zoo.kl_std).details["against"] == "gaussian"  # four parameters
    assert check_loss(gate_zoo.iwae).details["kind"] == "iwae"  # 'iwae' in the function's name
    assert check_loss(gate_zoo.kl_scale_tril).details["covariance"] == "full"  # L_q: a Cholesky factor
    result = check_loss(zoo.loss_keras_order)
    assert result.details["arguments"] == ["x", "recon_x", "mu", "logvar"] and result.details["style_inferred"]


def test_roles_follow_the_names_in_any_order_and_fall_back_to_the_pytorch_order():
    def loss(a, b, c, d):
        return zoo.loss_function(a, b, c, d)

    assert vae_loss_roles(read_signature(zoo.loss_keras_order)) == (("x", "recon_x", "mu", "logvar"), True)
    assert vae_loss_roles(read_signature(loss)) == (("recon_x", "x", "mu", "logvar"), False)
    result = check_loss(loss, style="vae_loss", data_shape=(784,))
    assert result.passed and result.details["arguments_from_names"] is False
    assert check_loss(zoo.loss_with_std, style="vae_loss", arguments=("recon_x", "x", "mu", "std")).passed


def test_unreadable_signature_lists_the_styles_and_the_adapter():
    def my_loss(outputs, batch):
        return outputs

    with pytest.raises(GateInputError) as excinfo:
        check_loss(my_loss)
    message = str(excinfo.value)
    assert "\n" not in message
    assert "cannot tell which style my_loss(outputs, batch) is written in" in message
    assert "vae_loss: loss(recon_x, x, mu, logvar" in message and "distributions: elbo(x, encoder, decoder, prior)" in message
    assert "def adapted(recon_x, x, mu, logvar): return your_fn(...)" in message


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda: check_loss(zoo.loss_function, style="vae"), "style: expected one of ('vae_loss'"),
        (lambda: check_loss(zoo.loss_function, layout="BK"), "option(s) layout do not apply to style 'vae_loss'"),
        (lambda: check_loss(zoo.loss_function), "pass data_shape=(784,) (command line: --data-shape 784)"),
        (lambda: check_loss(zoo.loss_function, data_shape=(0,)), "data_shape: expected the shape of one data point"),
        (lambda: check_loss(zoo.loss_function, likelihood="poisson"), "likelihood: expected one of ('bernoulli'"),
        (lambda: check_loss(zoo.loss_function, sigma=1.0, data_shape=(784,)), "sigma: a decoder σ applies to likelihood='gaussian' only"),
        (lambda: check_loss(zoo.loss_function, arguments=("recon_x", "x", "mu")), "arguments: expected 4 roles"),
        (lambda: check_loss(zoo.iwae_loss, arguments=("log_q",)), "arguments: expected the roles of your parameters"),
        (lambda: check_loss(zoo.elbo, events="flat"), "events: expected one of ('independent', 'factorised')"),
        (lambda: check_loss(gate_zoo.kl_logvar, seed=-1), "seed: expected an int ≥ 0, got -1"),
        (lambda: check_loss(gate_zoo.elbo, alpha=2.0), "alpha: expected a false-alarm rate in (0, 1), got 2.0"),
    ],
    ids=["style", "option of another style", "fixed reshape", "data shape", "likelihood", "sigma", "roles",
         "iwae roles", "events", "seed", "alpha"],
)
def test_bad_input_is_one_line_naming_the_parameter(call, says):
    with pytest.raises(GateInputError) as excinfo:
        call()
    assert "\n" not in str(excinfo.value)
    assert says in str(excinfo.value)


def test_batch_first_iwae_without_its_layout_fails_and_says_which_layout():
    result = check_loss(zoo.iwae_loss_batch_first)
    assert not result.passed and "if your tensors are (B, K), pass layout='BK'" in result.message


def test_the_contract_lists_what_the_model_and_q_really_offer():
    from elbo_suite.gate.contract import MODEL_ATTRIBUTES, Q_ATTRIBUTES
    from elbo_suite.gate.setups import live, make_setup

    for family in ("diagonal", "full"):
        state = live(make_setup(family, 0))
        for owner, attributes in ((state.model, MODEL_ATTRIBUTES), (state.q, Q_ATTRIBUTES)):
            for entry in attributes:
                name = entry.split("(")[0]
                if name == "log_std" and family == "full":
                    continue  # DiagonalGaussian only, as listed
                assert hasattr(owner, name), f"{type(owner).__name__} lacks {name}"


def test_reaching_outside_the_contract_is_told_the_contract():
    def pytorch_style(model, q, x, eps):  # the PyTorch-example loss handed the gate's objects
        return x.view(-1, 5) + q.view(-1)

    with pytest.raises(GateInputError) as excinfo:
        check_loss(pytorch_style, style="elbo")
    assert "q offers mean, log_std, scale_tril" in str(excinfo.value)


def test_a_likelihood_other_than_the_one_declared_is_named():
    import torch
    import torch.nn.functional as F

    def logits_loss(recon_x, x, mu, logvar):  # logits, under a name that does not say so
        return F.binary_cross_entropy_with_logits(recon_x, x, reduction="sum") - 0.5 * torch.sum(
            1 + logvar - mu.pow(2) - logvar.exp())

    assert "pass likelihood='gaussian'" in check_loss(zoo.mse_sum_loss).message
    assert "pass likelihood='bernoulli_logits'" in check_loss(logits_loss).message
    assert check_loss(zoo.loss_logits).details["likelihood"] == "bernoulli_logits"  # x_logits: read from the name
