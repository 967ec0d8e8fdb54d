"""README.md's examples run: the two set-up commands, and each usage example.

Python blocks run as scripts; `elbo-suite ...` lines run as commands (those that take minutes —
plain `check` and `report` — are run by their own tests instead). The gate examples must be the
files examples/test_my_vae_loss.py (first) and examples/test_my_elbo.py byte for byte, which
tests/gate runs under pytest.
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


@pytest.mark.parametrize("name", ["test_my_vae_loss.py", "test_my_elbo.py"])
def test_gate_examples_are_the_shipped_example_files(name):
    example = (ROOT / "examples" / name).read_text(encoding="utf-8")
    assert example in PYTHON_BLOCKS


def test_gate_section_starts_from_the_pytorch_example_loss():
    gate = README[README.index("## Use 1"):]
    first = FENCE.search(gate)
    assert first is not None and first.group(2) == (ROOT / "examples" / "test_my_vae_loss.py").read_text(encoding="utf-8")


@pytest.fixture
def workdir(tmp_path):
    for relative in ("examples/test_my_elbo.py", "examples/test_my_vae_loss.py", "examples/test_my_diffusion.py",
                     "identities/derivations/elbo.md"):
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
    plain_long = words[1] in LONG and not any(
        w.startswith("--kl") or w in ("--iwae", "--elbo", "--loss", "--diffusion") for w in words
    )
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


def _outputs(command: str) -> list[str]:
    words = shlex.split(command)
    return [value for flag, value in zip(words, words[1:]) if flag in ("--json", "--out") and value != "-"]


def test_every_file_the_examples_write_is_ignored_by_git():
    """Running the README's commands leaves `git status` clean: what they write is in .gitignore."""
    outputs = [path for command in COMMANDS for path in _outputs(command)]
    assert {"bench-output", "bench.json", "gate.json", "rows.json"} <= set(outputs)
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: .gitignore cannot be asked")
    for path in outputs:
        probe = path if "." in Path(path).name else f"{path}/a-plot.png"  # a folder: a file inside it
        proc = subprocess.run(["git", "check-ignore", "-q", "--no-index", probe], cwd=ROOT)
        assert proc.returncode == 0, f"{path} is written by a README example but not in .gitignore"


def test_readme_says_which_example_exits_1_and_what_ci_runs_first():
    assert "exits 1 by design" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index("elbo-suite report --check") < ci.index("python -m pytest")
    assert "runs `elbo-suite report --check` first" in README
