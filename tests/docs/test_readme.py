"""README.md's examples run: the two set-up commands, and each usage example.

Python blocks run as scripts; `elbo-suite ...` lines run as commands (those that take minutes —
plain `check` and `report` — are run by their own tests instead). The gate example must be the
file examples/test_my_elbo.py byte for byte, which tests/gate runs under pytest.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCKS = [(lang, body) for lang, body in FENCE.findall(README)]
PYTHON_BLOCKS = [body for lang, body in BLOCKS if lang == "python"]
COMMANDS = [
    line.strip()
    for lang, body in BLOCKS
    if lang == "sh"
    for line in body.splitlines()
    if line.strip().startswith("elbo-suite ")
]
LONG = {"report", "check"}  # subcommands whose plain run takes minutes


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one():
    main_job = "python -m pip install -c constraints.txt -e . && elbo-suite report"
    tests = "python -m pip install -c constraints.txt -e '.[test]' && python -m pytest -q"
    assert main_job in README and tests in README
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_gate_example_is_the_shipped_example_file():
    example = (ROOT / "examples" / "test_my_elbo.py").read_text(encoding="utf-8")
    assert example in PYTHON_BLOCKS


@pytest.fixture
def workdir(tmp_path):
    for relative in ("examples/test_my_elbo.py", "examples/test_my_diffusion.py", "identities/derivations/elbo.md"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    return tmp_path


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_block_runs(workdir, index):
    script = workdir / f"block_{index}.py"
    script.write_text(PYTHON_BLOCKS[index], encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=workdir, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _runnable(command: str) -> bool:
    words = shlex.split(command)
    plain_long = words[1] in LONG and not any(w.startswith("--kl") or w in ("--iwae", "--elbo", "--diffusion") for w in words)
    return not plain_long


@pytest.mark.parametrize("command", [c for c in COMMANDS if _runnable(c)])
def test_command_runs(workdir, command):
    words = shlex.split(command)
    proc = subprocess.run(
        [sys.executable, "-m", "elbo_suite", *words[1:]], cwd=workdir, capture_output=True, text=True, timeout=300
    )
    # `verify` on the shipped derivation exits 1 because the derivation has refuted steps.
    expected = 1 if words[1] == "verify" else 0
    assert proc.returncode == expected, proc.stdout + proc.stderr
