"""`elbo-suite check --loss SPEC` and CLI parity: every Python option has its flag, each flag
reaches the checks it is for, and a flag for none of the functions given is a usage error."""

from __future__ import annotations

import inspect
import json
import textwrap

import pytest

from elbo_suite import gate_flags
from elbo_suite.gate import (
    check_distributions_elbo,
    check_elbo_estimator,
    check_gradient_estimator,
    check_iwae_loss,
    check_kl,
    check_loss,
    check_vae_loss,
)
from elbo_suite.gate.diffusion import check_diffusion

USER_CODE = textwrap.dedent(
    """
    import torch
    import torch.nn.functional as F

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    def loss_missing_half(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    def mse_loss(recon_x, x, mu, logvar):
        return F.mse_loss(recon_x, x) - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    def pathwise_mean_log_std(log_joint, q, eps):  # handles a mean / log-std q only
        phi = q.phi.detach().expand(eps.shape[0], -1).clone().requires_grad_(True)
        k = q.latent_dim
        mean, log_std = phi[:, :k], phi[:, k:]
        z = mean + log_std.exp() * eps
        log_q = (-0.5 * eps.square() - log_std).sum(-1)
        (grad,) = torch.autograd.grad((log_joint(z) - log_q).sum(), phi)
        return grad

    def kl(mu, logvar):
        return 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar).sum(-1)
    """
)


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "user_vae.py"
    path.write_text(USER_CODE, encoding="utf-8")
    return path


def test_the_pytorch_example_loss_passes_from_the_command_line(run_cli, user_file, tmp_path):
    target = tmp_path / "gate.json"
    result = run_cli("check", "--loss", f"{user_file}:loss_function", "--data-shape", "784", "--json", str(target))
    assert result.code == 0, result.out + result.err
    (entry,) = json.loads(target.read_text(encoding="utf-8"))
    assert entry["details"]["style"] == "vae_loss" and entry["details"]["implied_objective"]["beta"] == 1.0


def test_a_broken_loss_fails_with_exit_1(run_cli, user_file):
    result = run_cli("check", "--loss", f"{user_file}:loss_missing_half", "--data-shape", "784")
    assert result.code == 1 and "the KL term is weighted β = 2" in " ".join(result.out.split())


def test_the_implied_sigma_fails_only_once_declared(run_cli, user_file):
    spec = f"{user_file}:mse_loss"
    assert run_cli("check", "--loss", spec, "--likelihood", "gaussian").code == 0
    declared = run_cli("check", "--loss", spec, "--likelihood", "gaussian", "--sigma", "1")
    assert declared.code == 1 and "at the σ = 1 you declared" in " ".join(declared.out.split())


def test_the_gradient_parameterisation_has_its_flag(run_cli, user_file):
    spec = f"{user_file}:pathwise_mean_log_std"
    both = run_cli("check", "--gradient", spec, "--num-draws", "2000")
    assert both.code == 2 and "--parameterisation mean_log_std" in both.err
    only = run_cli("check", "--gradient", spec, "--parameterisation", "mean_log_std", "--num-draws", "5000")
    assert only.code == 0, only.out + only.err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--gradient", "X:f", "--q-family", "diagonal"], "--q-family does not apply to --gradient (it is for --elbo, --iwae, --loss) (for --gradient, q's family is --parameterisation"),
        (["--kl", "X:f", "--layout", "BK"], "--layout does not apply to --kl"),
        (["--kl", "X:f", "--particles", "3"], "--particles does not apply to --kl"),
        (["--data-shape", "784"], "options for your own function given without one: --data-shape"),
    ],
    ids=["q-family for gradient", "layout for kl", "particles for kl", "no function"],
)
def test_a_flag_for_none_of_the_functions_is_a_usage_error(run_cli, one_error_line, argv, says):
    result = run_cli("check", *argv)
    assert result.code == 2
    assert says in one_error_line(result.err)


def test_a_flag_the_style_does_not_take_is_bad_input(run_cli, one_error_line, user_file):
    result = run_cli("check", "--loss", f"{user_file}:loss_function", "--layout", "BK")
    assert result.code == 2
    assert "option(s) layout do not apply to style 'vae_loss'" in one_error_line(result.err)


def test_flags_reach_the_check(run_cli, user_file, tmp_path):
    target = tmp_path / "gate.json"
    result = run_cli("check", "--kl", f"{user_file}:kl", "--seed", "7", "--rtol", "1e-7", "--json", str(target))
    assert result.code == 0, result.out + result.err
    (entry,) = json.loads(target.read_text(encoding="utf-8"))
    assert entry["details"]["seed"] == 7 and entry["details"]["rtol"] == 1e-7


CHECKS = {
    "kl": [check_kl],
    "elbo": [check_elbo_estimator],
    "iwae": [check_elbo_estimator],
    "gradient": [check_gradient_estimator],
    "loss": [check_loss, check_vae_loss, check_distributions_elbo, check_iwae_loss, check_kl, check_elbo_estimator,
             check_gradient_estimator],
    "diffusion": [check_diffusion],
}
# Options a kind fixes or has no use for: --iwae is kind="iwae" and takes K, not L; --elbo takes
# L, not K. Giving their flags there is a usage error (test above), not a silent no-op.
SET_BY_THE_KIND = {("iwae", "kind"), ("iwae", "num_samples"), ("elbo", "num_particles")}


@pytest.mark.parametrize("kind", list(CHECKS))
def test_every_python_option_has_its_flag(kind):
    flagged = {flag.option for flag in gate_flags.FLAGS if kind in flag.kinds}
    for check in CHECKS[kind]:
        options = set(list(inspect.signature(check).parameters)[1:]) - {"options"}  # the first is the user's code
        missing = {o for o in options - flagged if (kind, o) not in SET_BY_THE_KIND}
        assert not missing, f"{check.__name__} options without a flag for --{kind}: {sorted(missing)}"
