"""constraints.txt: what both README commands install against.

torch must stay the CPU wheel (an open pin pulls a CUDA build), and every library whose output
reaches REPORT.md is pinned exactly, so that `elbo-suite report --check` compares the same bytes
on every machine. The pins must also sit inside pyproject's own (deliberately wide) ranges, or
the install would fail.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
REPORT_LIBRARIES = ("torch", "sympy", "mpmath", "numpy", "scipy", "matplotlib")


def _pins(text: str) -> dict[str, Requirement]:
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            out[req.name.lower()] = req
    return out


def _unpinned(pins: dict[str, Requirement]) -> list[str]:
    """The report's libraries without an exact `==` pin."""
    bad = []
    for name in REPORT_LIBRARIES:
        req = pins.get(name)
        specs = list(req.specifier) if req else []
        if len(specs) != 1 or specs[0].operator != "==":
            bad.append(name)
    return bad


def test_every_library_that_reaches_the_report_is_pinned_exactly():
    assert _unpinned(_pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))) == []


def test_an_open_pin_is_caught():
    # Negative control: the check above must be able to fail.
    assert _unpinned(_pins("torch>=2.2\nsympy==1.14.0\n")) == ["torch", "mpmath", "numpy", "scipy",
                                                                 "matplotlib"]


def test_torch_is_the_cpu_wheel_on_disk():
    assert str(_pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))["torch"].specifier) \
        == "==2.13.0"


@pytest.mark.parametrize("name", REPORT_LIBRARIES)
def test_each_pin_satisfies_the_projects_own_range(name):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ranges = {Requirement(r).name.lower(): Requirement(r) for r in pyproject["project"]["dependencies"]}
    pin = _pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))[name]
    version = next(iter(pin.specifier)).version
    if name in ranges:
        assert ranges[name].specifier.contains(version), (name, version, str(ranges[name].specifier))
