"""`elbo-suite check --diffusion SPEC`: exit 0 for correct code, 1 for a failed claim (with the
claim, timestep and error), 2 with one line for bad input."""

from __future__ import annotations

import json
import textwrap

import pytest

USER_CODE = textwrap.dedent(
    """
    import torch

    def q_sample(x_start, t, noise, alphas_cumprod):
        a = alphas_cumprod[t].reshape(-1, 1, 1, 1)
        return a.sqrt() * x_start + (1 - a).sqrt() * noise

    def q_sample_missing_sqrt(x_start, t, noise, alphas_cumprod):
        a = alphas_cumprod[t].reshape(-1, 1, 1, 1)
        return a * x_start + (1 - a) * noise

    def q_sample_float32(x_start, t, noise, alphas_cumprod):
        return q_sample(x_start, t, noise, alphas_cumprod).float()

    def ddim_step(x_t, t, t_prev, eps, noise, alphas_cumprod, eta=0.0):
        a = alphas_cumprod[t].reshape(-1, 1, 1, 1)
        a_prev = torch.where(t_prev >= 0, alphas_cumprod[t_prev.clamp(min=0)], 1.0).reshape(-1, 1, 1, 1)
        x0 = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
        sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).sqrt()
        return a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps + sigma * noise

    class Nothing:
        pass
    """
)


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "my_diffusion.py"
    path.write_text(USER_CODE)
    return path


def test_correct_function_passes(run_cli, user_file):
    result = run_cli("check", "--diffusion", f"{user_file}:q_sample")
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("pass diffusion")


def test_eta_and_seed_flags_reach_the_check(run_cli, user_file, tmp_path):
    target = tmp_path / "gate.json"
    result = run_cli("check", "--diffusion", f"{user_file}:ddim_step", "--eta", "0.3", "--seed", "5", "--json", str(target))
    assert result.code == 0, result.out + result.err
    payload = json.loads(target.read_text())[0]
    assert payload["kind"] == "diffusion" and payload["details"]["seed"] == 5
    assert payload["details"]["conventions"]["etas"] == [0.3]


def test_wrong_function_fails_with_claim_timestep_and_error(run_cli, user_file):
    result = run_cli("check", "--diffusion", f"{user_file}:q_sample_missing_sqrt")
    assert result.code == 1
    text = " ".join(result.out.split())
    assert "FAIL diffusion" in text and "q_sample x_t: expected" in text and "at t=" in text and "|error|" in text


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("q_sample_float32", "dtype torch.float32"),
        ("Nothing", "no method the gate knows"),
        ("missing", "has no attribute 'missing'"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(one_error_line, run_cli, user_file, name, fragment):
    result = run_cli("check", "--diffusion", f"{user_file}:{name}")
    assert result.code == 2
    assert fragment in one_error_line(result.err)


def test_diffusion_options_without_a_function_are_a_usage_error(one_error_line, run_cli):
    result = run_cli("check", "--prediction", "epsilon")
    assert result.code == 2
    assert "--prediction" in one_error_line(result.err)
