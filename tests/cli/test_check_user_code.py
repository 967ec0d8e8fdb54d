"""`elbo-suite check --kl/--elbo/--iwae SPEC`: users' own code, good and bad, from the command line.

Every kind of bad input gives exit code 2 and one line naming what was wrong and what was
expected; a wrong function gives exit 1; a correct one exit 0.
"""

from __future__ import annotations

import textwrap

import pytest

USER_CODE = textwrap.dedent(
    """
    import math
    import torch

    def kl_ok(mu, logvar):
        return 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar).sum(-1)

    def kl_missing_half(mu, logvar):
        return (logvar.exp() + mu.square() - 1.0 - logvar).sum(-1)

    not_a_function = 3

    def kl_summed_over_batch(mu, logvar):
        return 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar).sum()

    def kl_wrong_shape(mu, logvar):
        return 0.5 * (logvar.exp() + mu.square() - 1.0 - logvar)

    def kl_nan(mu, logvar):
        return torch.full(mu.shape[:-1], float("nan"), dtype=mu.dtype)

    def kl_inf(mu, logvar):
        return torch.full(mu.shape[:-1], float("inf"), dtype=mu.dtype)

    def kl_float32(mu, logvar):
        return kl_ok(mu, logvar).float()

    def kl_raises(mu, logvar):
        raise RuntimeError("boom")

    def elbo_ok(model, q, x, eps):
        z = q.rsample(eps)
        return (model.log_joint(x, z) - q.log_prob(z)).mean(0)

    def iwae_mean_of_logs(model, q, x, eps):
        z = q.rsample(eps)
        return (model.log_joint(x, z) - q.log_prob(z)).mean(0)
    """
)


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "user_losses.py"
    path.write_text(USER_CODE, encoding="utf-8")
    return path


def spec(path, name):
    return f"{path}:{name}"


def test_correct_kl_passes(one_error_line, run_cli, user_file):
    result = run_cli("check", "--kl", spec(user_file, "kl_ok"))
    assert result.code == 0, result.out + result.err
    assert "pass" in result.out


def test_correct_elbo_passes(one_error_line, run_cli, user_file):
    result = run_cli("check", "--elbo", spec(user_file, "elbo_ok"))
    assert result.code == 0, result.out + result.err


def test_wrong_kl_fails_with_the_claim(one_error_line, run_cli, user_file, tmp_path):
    target = tmp_path / "gate.json"
    result = run_cli("check", "--kl", spec(user_file, "kl_missing_half"), "--json", str(target))
    assert result.code == 1
    assert "FAIL" in result.out
    import json

    (entry,) = json.loads(target.read_text(encoding="utf-8"))
    assert entry["passed"] is False and entry["claim"] and entry["message"]


def test_mean_of_logs_iwae_fails(one_error_line, run_cli, user_file):
    result = run_cli("check", "--iwae", spec(user_file, "iwae_mean_of_logs"))
    assert result.code == 1


@pytest.mark.parametrize(
    "name, fragments",
    [
        ("not_a_function", ["not_a_function", "callable"]),
        ("kl_summed_over_batch", ["shape"]),
        ("kl_wrong_shape", ["shape"]),
        ("kl_float32", ["float32", "float64"]),
        ("kl_raises", ["boom"]),
        ("no_such_function", ["no_such_function"]),
    ],
)
def test_bad_user_callable_is_exit_2_with_one_line(one_error_line, run_cli, user_file, name, fragments):
    result = run_cli("check", "--kl", spec(user_file, name))
    assert result.code == 2, result.out + result.err
    line = one_error_line(result.err).lower()
    for fragment in fragments:
        assert fragment.lower() in line, line


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("no_such_package_xyz:kl", "no_such_package_xyz"),
        ("missing_colon", "module:function"),
        ("/nonexistent/dir/losses.py:kl", "losses.py"),
    ],
)
def test_bad_spec_is_exit_2(one_error_line, run_cli, value, fragment):
    result = run_cli("check", "--kl", value)
    assert result.code == 2
    assert fragment in one_error_line(result.err)


def test_bad_option_value_is_usage_error(one_error_line, run_cli, user_file):
    result = run_cli("check", "--iwae", spec(user_file, "elbo_ok"), "--particles", "zero")
    assert result.code == 2
    assert "--particles" in one_error_line(result.err)


@pytest.mark.parametrize("option", [["--reduction", "mean"], ["--particles", "8"], ["--kl-convention", "mean_std"]])
def test_gate_option_without_a_function_is_usage_error(one_error_line, run_cli, option):
    result = run_cli("check", *option)
    assert result.code == 2
    assert option[0] in one_error_line(result.err)


@pytest.mark.parametrize("name", ["kl_nan", "kl_inf"])
def test_non_finite_result_is_a_failed_check_not_bad_input(run_cli, user_file, name):
    result = run_cli("check", "--kl", spec(user_file, name))
    assert result.code == 1, result.out + result.err
    assert "FAIL" in result.out and "overflow or underflow" in " ".join(result.out.split())
