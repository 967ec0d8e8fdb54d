"""`elbo-suite check --diffusion SPEC`: exit 0 for correct code, 1 for a failed claim (with the
claim, timestep and error), 2 with one line for bad input; every option of check_diffusion has its
flag (tests/cli/test_check_loss.py) and reaches the check."""

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

    BETAS = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)

    def add_noise(original_samples, noise, timesteps):  # schedule baked in
        a = torch.cumprod(1 - BETAS, 0)[timesteps].reshape(-1, 1, 1, 1)
        return a.sqrt() * original_samples + (1 - a).sqrt() * noise

    def my_noiser(clean, tt, n, abar):
        a = abar[tt].reshape(-1, 1, 1, 1)
        return a.sqrt() * clean + (1 - a).sqrt() * n

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


def test_betas_arguments_safety_and_eps_flags_reach_the_check(run_cli, user_file, tmp_path):
    target = tmp_path / "gate.json"
    assert run_cli("check", "--diffusion", f"{user_file}:add_noise", "--betas", f"{user_file}:BETAS").code == 0
    mapped = run_cli("check", "--diffusion", f"{user_file}:my_noiser", "--role", "q_sample",
                     "--arguments", "clean=x_start,tt=t,n=noise,abar=alphas_cumprod")
    assert mapped.code == 0, mapped.out + mapped.err
    result = run_cli("check", "--diffusion", f"{user_file}:ddim_step", "--safety", "1", "--eps-from-clipped", "false",
                     "--json", str(target))
    assert result.code == 0, result.out + result.err
    details = json.loads(target.read_text())[0]["details"]
    assert details["safety"] == 1.0 and details["conventions"]["eps_from_clipped"] is False


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["q_sample", "--eta", "2"], "eta: expected a number in [0, 1], got 2.0"),
        (["q_sample", "--clip", "-1"], "clip: expected a positive number r (x̂₀ clipped to [−r, r]) or None, got -1.0"),
        (["q_sample", "--role", "diffuse"], "role: expected one of"),
        (["q_sample", "--safety", "0.5"], "safety: expected a number ≥ 1 (the factor on the rounding bound), got 0.5"),
        (["q_sample", "--seed", "-1"], "argument --seed: expected an integer ≥ 0, got -1"),
        (["q_sample", "--prediction", "noise"], "argument --prediction: invalid choice: 'noise'"),
        (["q_sample", "--eps-from-clipped", "maybe"], "argument --eps-from-clipped: expected true or false, got 'maybe'"),
        (["q_sample", "--arguments", "clean=x_start,n"], "argument --arguments: expected roles in order"),
        (["q_sample", "--arguments", "x_t,t"], "arguments: expected a mapping {'your_name': 'meaning'}"),
        (["my_noiser", "--role", "q_sample", "--arguments", "clean=noise_level"],
         "arguments: 'clean' -> 'noise_level' is not something the gate can supply"),
        (["add_noise"], "cannot see your schedule: it takes no schedule table"),
        (["add_noise", "--betas", "FILE:MISSING"], "has no attribute 'MISSING'"),
        (["add_noise", "--betas", "FILE:add_noise"], "betas: expected a 1-D tensor or array of β_t, got function"),
        (["q_sample", "--layout", "BK"], "--layout does not apply to --diffusion (it is for --loss)"),
    ],
    ids=["eta", "clip", "role", "safety", "seed", "prediction", "eps-from-clipped", "arguments syntax",
         "arguments in order", "arguments meaning", "no schedule", "betas missing", "betas not a table", "VAE flag"],
)
def test_bad_flag_values_are_exit_2_with_one_line_naming_them(one_error_line, run_cli, user_file, argv, says):
    name, *flags = argv
    flags = [flag.replace("FILE", str(user_file)) for flag in flags]
    result = run_cli("check", "--diffusion", f"{user_file}:{name}", *flags)
    assert result.code == 2, result.out + result.err
    assert says in one_error_line(result.err)
