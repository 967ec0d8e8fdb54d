"""Loading a user's callable from a spec, run_gate (what the command line calls), GateResult."""

from __future__ import annotations

import json
import textwrap

import pytest

from elbo_suite.gate import GateInputError, GateResult, load_callable, run_gate

GOOD_KL = """
import torch

def kl(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)

class Losses:
    @staticmethod
    def kl(mu, logvar):
        return kl(mu, logvar)

NOT_CALLABLE = 3
"""


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "my_losses.py"
    path.write_text(textwrap.dedent(GOOD_KL))
    return path


def test_loads_a_function_from_a_file_and_a_dotted_attribute(user_file):
    assert load_callable(f"{user_file}:kl").__name__ == "kl"
    assert load_callable(f"{user_file}:Losses.kl").__name__ == "kl"


def test_loads_a_function_from_a_module():
    assert load_callable("elbo_suite.estimators.kl:kl_to_standard_normal").__name__ == "kl_to_standard_normal"


@pytest.mark.parametrize(
    "spec, says",
    [
        ("kl", "spec 'kl': expected 'package.module:function' or 'path/to/file.py:function'"),
        (":kl", "expected 'package.module:function'"),
        ("no_such_package.losses:kl", "cannot import module 'no_such_package.losses' (no module named 'no_such_package')"),
        ("elbo_suite.estimators.kl:no_such_kl", "'elbo_suite.estimators.kl' has no attribute 'no_such_kl'; callables there:"),
        ("missing/dir/losses.py:kl", "file 'missing/dir/losses.py' does not exist (expected a .py file)"),
    ],
)
def test_bad_specs(spec, says):
    with pytest.raises(GateInputError) as excinfo:
        load_callable(spec)
    assert says in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_non_callable_attribute(user_file):
    with pytest.raises(GateInputError) as excinfo:
        load_callable(f"{user_file}:NOT_CALLABLE")
    assert "expected a callable (function or object with __call__), got int 3" in str(excinfo.value)


def test_file_that_raises_on_import(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import torch\nraise ImportError('needs cuda')\n")
    with pytest.raises(GateInputError) as excinfo:
        load_callable(f"{path}:kl")
    assert "raised ImportError: needs cuda" in str(excinfo.value)


def test_non_string_spec():
    with pytest.raises(GateInputError) as excinfo:
        load_callable(42)  # type: ignore[arg-type]
    assert "spec: expected a string" in str(excinfo.value)


def test_run_gate_with_the_command_line_options(user_file):
    result = run_gate("kl", f"{user_file}:kl", convention="mean_logvar", covariance="diagonal", against="standard_normal")
    assert isinstance(result, GateResult) and result.passed
    # Options left as None take the defaults.
    assert run_gate("kl", f"{user_file}:kl", convention=None).passed


def test_run_gate_dispatches_every_kind(tmp_path):
    path = tmp_path / "estimators_of_mine.py"
    path.write_text(textwrap.dedent("""
        import math, torch

        def elbo(model, q, x, eps):
            z = q.rsample(eps)
            return (model.log_joint(x, z) - q.log_prob(z)).mean(0)

        def iwae(model, q, x, eps):
            z = q.rsample(eps)
            return torch.logsumexp(model.log_joint(x, z) - q.log_prob(z), 0) - math.log(eps.shape[0])

        def iwae_no_log_k(model, q, x, eps):
            z = q.rsample(eps)
            return torch.logsumexp(model.log_joint(x, z) - q.log_prob(z), 0)

        def gradient(log_joint, q, eps):
            with torch.no_grad():
                f = log_joint(q.path(eps)) - q.log_prob(eps)
            return (f.unsqueeze(-1) - 1.0) * q.score(eps)
    """))
    assert run_gate("elbo", f"{path}:elbo", noise="injected").passed
    assert run_gate("iwae", f"{path}:iwae", noise="injected", num_particles=8).passed
    failed = run_gate("iwae", f"{path}:iwae_no_log_k", noise="injected", num_particles=8)
    assert not failed.passed and failed.claim == "value on the same draw"
    assert run_gate("gradient", f"{path}:gradient").passed


def test_result_to_dict_is_json(user_file):
    result = run_gate("kl", f"{user_file}:kl")
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["passed"] is True
    assert set(payload) == {"passed", "claim", "error", "n", "alpha", "message", "details"}
    assert [c["claim"] for c in payload["details"]["claims"]][0] == "KL value"


def test_result_names_the_first_failing_claim():
    from elbo_suite.gate.result import ClaimOutcome

    ok = ClaimOutcome("a", True, 0.0, 1.0, 5, 0.0, "a: fine")
    bad = ClaimOutcome("b", False, 2.0, 1.0, 7, 1e-6, "b: expected 1, actual 3")
    worse = ClaimOutcome("c", False, float("inf"), 1.0, 7, 0.0, "c: no gradient")
    result = GateResult.from_claims("thing", [ok, bad, worse])
    assert (result.passed, result.claim, result.error, result.n, result.alpha) == (False, "b", 2.0, 7, 1e-6)
    assert result.message == "thing: b: expected 1, actual 3 (also failed: c)"
    assert json.loads(json.dumps(result.to_dict()))["details"]["claims"][2]["error"] == "inf"
    with pytest.raises(ValueError):
        GateResult.from_claims("thing", [])
