"""The command line's entry: load what a spec names (a function, an object, or a class built with
no arguments, such as diffusers' `DDPMScheduler`) and check it."""

from __future__ import annotations

import inspect
from typing import Any

from elbo_suite.gate.callables import SPEC_FORMS, _import, _load_file, _looks_like_path
from elbo_suite.gate.diffusion.check import check_diffusion
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.result import GateResult


def load_target(spec: str) -> Any:
    """`package.module:name` or `path/to/file.py:name` (dotted attributes allowed); a class is
    instantiated with no arguments."""
    if not isinstance(spec, str):
        raise GateInputError(f"spec: expected a string {SPEC_FORMS}, got {type(spec).__name__}")
    module_part, sep, attribute = spec.rpartition(":")
    if not sep or not module_part or not attribute:
        raise GateInputError(f"spec {spec!r}: expected {SPEC_FORMS}")
    target: Any = _load_file(module_part, spec) if _looks_like_path(module_part) else _import(module_part, spec)
    for name in attribute.split("."):
        if not hasattr(target, name):
            raise GateInputError(f"spec {spec!r}: {type(target).__name__} {getattr(target, '__name__', '')!r} has no attribute {name!r}")
        target = getattr(target, name)
    if inspect.isclass(target):
        try:
            target = target()
        except Exception as exc:
            raise GateInputError(
                f"spec {spec!r}: {target.__name__}() with no arguments raised {type(exc).__name__}: {exc}; "
                "name a configured instance instead"
            ) from exc
    return target


def run_diffusion_gate(spec: Any, **options: Any) -> GateResult:
    """check_diffusion on what `spec` names (or on `spec` itself); options set to None take the defaults."""
    target = load_target(spec) if isinstance(spec, str) else spec
    return check_diffusion(target, **{k: v for k, v in options.items() if v is not None})
