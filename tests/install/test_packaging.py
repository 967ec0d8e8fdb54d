"""The suite installs under one import name, `elbo_suite`, and a regular (non-editable) install works.

A user's project that has its own `estimators/`, `bench/` or `identities/` package must still be
able to run the gate: those names are the user's, never ours. The wheel test builds the wheel from
a copy of the source tree, installs it into a fresh virtual environment (which borrows this
environment's third-party packages through a path file, never its editable install of the suite),
and runs the README's gate example and the `elbo-suite` commands from such a project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
MAPPED = SETUPTOOLS["package-dir"]  # import name -> folder of the repository
SHADOWING_NAMES = ("identities", "estimators", "bench")


def _folder_packages() -> set[str]:
    """Every folder with an __init__.py under a mapped folder, as its import name."""
    names = set()
    for import_name, folder in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            names.add(".".join((import_name, *relative)))
    return names


def test_every_package_folder_is_listed_for_installation():
    assert set(SETUPTOOLS["packages"]) == _folder_packages()


def test_only_elbo_suite_is_claimed_as_an_import_name():
    assert {name.split(".")[0] for name in SETUPTOOLS["packages"]} == {"elbo_suite"}
    assert {MAPPED[f"elbo_suite.{name}"] for name in SHADOWING_NAMES} == set(SHADOWING_NAMES)


def _copy_source(destination: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".benchmarks", "bench-output")
    shutil.copytree(ROOT, destination, ignore=ignore)
    return destination


def _build_wheel(source: Path, out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "-q", "-w", str(out), str(source)]
    try:  # build with this environment's setuptools when it is recent enough, offline
        import setuptools

        offline = int(setuptools.__version__.split(".")[0]) >= 68
    except ImportError:
        offline = False
    if offline:
        command.insert(4, "--no-build-isolation")
    else:  # pip fetches the build requirement from the package index
        command.remove("--no-index")
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = out.glob("elbo_suite-*.whl")
    return wheel


def _environment_with_wheel(tmp_path: Path) -> Path:
    """A fresh virtual environment holding the wheel; returns its bin/ folder."""
    wheel = _build_wheel(_copy_source(tmp_path / "source"), tmp_path / "wheel")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    # torch, sympy, pytest ... come from this environment's site folders. A path file only appends
    # them to sys.path; their own .pth files (this environment's editable install among them) are
    # not run, so `elbo_suite` resolves to the wheel alone.
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    borrowed = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]
    borrowed += [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    Path(venv_site, "_borrowed_site_packages.pth").write_text("\n".join(dict.fromkeys(borrowed)) + "\n")
    return bin_dir


def _user_project(directory: Path) -> Path:
    """A user's project with its own estimators/, bench/ and identities/ packages and the gate example."""
    for name in SHADOWING_NAMES:
        (directory / name).mkdir(parents=True)
        (directory / name / "__init__.py").write_text(f'"""The user\'s own {name} package."""\n')
    shutil.copy(ROOT / "examples" / "test_my_elbo.py", directory / "test_my_elbo.py")
    shutil.copy(ROOT / "examples" / "test_my_vae_loss.py", directory / "test_my_vae_loss.py")
    return directory


def _clean_env(bin_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")}
    return {**keep, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wheel-install")
    bin_dir = _environment_with_wheel(tmp_path)
    return bin_dir, _user_project(tmp_path / "project"), _clean_env(bin_dir)


def _run(command, cwd, env, timeout=600):
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_claims_no_common_folder_name(installed, tmp_path):
    bin_dir, _, env = installed
    for name in SHADOWING_NAMES:
        result = _run([str(bin_dir / "python"), "-c", f"import {name}"], tmp_path, env)
        assert result.returncode == 1 and f"ModuleNotFoundError: No module named '{name}'" in result.stderr
    result = _run([str(bin_dir / "python"), "-c", "import elbo_suite.estimators as e; print(e.__file__)"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(bin_dir.parent), result.stdout


def test_readme_gate_example_runs_beside_the_users_own_packages(installed):
    bin_dir, project, env = installed
    result = _run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_elbo.py",
                   "test_my_vae_loss.py"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_console_commands_run_beside_the_users_own_packages(installed):
    bin_dir, project, env = installed
    check = _run([str(bin_dir / "elbo-suite"), "check", "--kl", "test_my_elbo.py:gaussian_kl",
                  "--kl-convention", "mean_logvar"], project, env)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = _run([str(bin_dir / "elbo-suite"), "verify"], project, env)
    # the shipped derivation has refuted steps by design, so verify exits 1 with its table
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "refuted" in verify.stdout and "Traceback" not in verify.stderr
