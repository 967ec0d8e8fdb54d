"""The pytest plugin: cheap to import, fixtures and assertions that work in a user's own test run,
failure messages in torch.distributions style, and the README example kept passing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "test_my_elbo.py"


def _plugin_args() -> list[str]:
    # Installed, the entry point loads the plugin; from a bare checkout it is named explicitly.
    installed = any(ep.name == "elbo_suite" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "elbo_suite.pytest_plugin"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


def test_plugin_imports_neither_torch_nor_the_gate():
    code = "import sys, elbo_suite.pytest_plugin; print('torch' in sys.modules, 'elbo_suite.gate' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_example_fixture_and_failure_message_in_a_users_own_run(tmp_path):
    """One pytest run, as in a user's CI: the README example (copied verbatim) passes, the
    fixture works, a buggy KL fails with expected / actual / sample size, other tests are untouched."""
    (tmp_path / EXAMPLE.name).write_text(EXAMPLE.read_text())
    (tmp_path / "test_user.py").write_text(textwrap.dedent('''
        import torch
        from elbo_suite.pytest_plugin import assert_kl_correct

        def my_elbo(model, q, x, eps):
            z = q.rsample(eps)
            return (model.log_joint(x, z) - q.log_prob(z)).mean(0)

        def my_kl(mu, logvar):  # the 1/2 is missing
            return -torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)

        def test_with_the_fixture(elbo_gate):
            assert elbo_gate.x.shape == (4, 5)
            assert elbo_gate.q.rsample(elbo_gate.eps(3)).shape == (3, 4, 3)
            elbo_gate.assert_elbo_estimator_correct(my_elbo)

        def test_my_kl():
            assert_kl_correct(my_kl, convention="mean_logvar")

        def test_unrelated():
            assert 1 + 1 == 2
    '''))
    result = _run(["-q", "-rA", *_plugin_args(), EXAMPLE.name, "test_user.py"], cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 6 passed" in output
    for name in ("test_kl", "test_elbo", "test_iwae", "test_gradient"):
        assert f"PASSED {EXAMPLE.name}::{name}" in output
    assert (
        "AssertionError: KL (mean_logvar, diagonal, against standard_normal, reduction none): KL value: "
        "expected 9.262361523 (exact closed form), actual 18.52472305"
    ) in output
    assert "sample size 54 rows, exact comparison" in output
    # The failure points at the user's test, not into the gate.
    assert "_raise_unless_passed" not in output


def test_vae_loss_example_passes_in_a_users_own_run(tmp_path):
    """The README's first example, the PyTorch-examples loss gated as written, passes under pytest."""
    example = REPO / "examples" / "test_my_vae_loss.py"
    (tmp_path / example.name).write_text(example.read_text())
    result = _run(["-q", "-rA", *_plugin_args(), example.name], cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"PASSED {example.name}::test_vae_loss" in output
