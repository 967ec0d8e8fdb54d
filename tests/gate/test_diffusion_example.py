"""examples/test_my_diffusion.py, the file users copy, passes as shipped, and the plugin offers
its assertion."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_my_diffusion.py"


def test_example_passes():
    spec = importlib.util.spec_from_file_location("test_my_diffusion_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, name) for name in dir(module) if name.startswith("test_")]
    assert len(tests) == 3
    for test in tests:
        test()


def test_plugin_offers_the_diffusion_assertion():
    from elbo_suite.pytest_plugin import assert_diffusion_correct

    assert callable(assert_diffusion_correct)
