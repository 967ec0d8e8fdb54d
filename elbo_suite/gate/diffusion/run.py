"""Loading what a command-line spec names for the diffusion gate: a function, an object, or a
class built with no arguments, such as diffusers' `DDPMScheduler`."""

from __future__ import annotations

import inspect
from typing import Any

from elbo_suite.gate.callables import _one_line, load_attribute
from elbo_suite.gate.errors import GateInputError


def load_target(spec: str) -> Any:
    """`package.module:name` or `path/to/file.py:name` (dotted attributes allowed); a class is
    instantiated with no arguments."""
    target = load_attribute(spec)
    if inspect.isclass(target):
        try:
            target = target()
        except Exception as exc:
            raise GateInputError(
                f"spec {spec!r}: {target.__name__}() with no arguments raised {type(exc).__name__}: {_one_line(exc)}; "
                "name a configured instance instead"
            ) from exc
    return target
