"""Loading the user's callable, calling it, and validating what it returns.

Every problem raises `GateInputError` with one line naming what was wrong and what was expected;
exceptions raised by the user's code are re-raised as `GateInputError` chained to the original.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.errors import GateInputError

SPEC_FORMS = "'package.module:function' or 'path/to/file.py:function'"


def load_callable(spec: str) -> Callable[..., Any]:
    """Import `package.module:function` or `path/to/file.py:function` (attribute may be dotted)."""
    return require_callable(f"spec {spec!r}", load_attribute(spec))


def load_attribute(spec: str) -> Any:
    """What `package.module:name` or `path/to/file.py:name` names (name may be dotted): a
    function, an object, a class, a table."""
    if not isinstance(spec, str):
        raise GateInputError(f"spec: expected a string {SPEC_FORMS}, got {type(spec).__name__}")
    module_part, sep, attribute = spec.rpartition(":")
    if not sep or not module_part or not attribute:
        raise GateInputError(f"spec {spec!r}: expected {SPEC_FORMS}")
    module = _load_file(module_part, spec) if _looks_like_path(module_part) else _import(module_part, spec)
    target: Any = module
    for i, name in enumerate(attribute.split(".")):
        if not hasattr(target, name):
            owner = ".".join([module_part, *attribute.split(".")[:i]]) if i else module_part
            available = sorted(
                n for n, v in vars(target).items() if callable(v) and not n.startswith("_")
            ) if hasattr(target, "__dict__") else []
            hint = f"; callables there: {', '.join(available[:12])}" if available else ""
            raise GateInputError(f"spec {spec!r}: {owner!r} has no attribute {name!r}{hint}")
        target = getattr(target, name)
    return target


def require_callable(name: str, value: object) -> Callable[..., Any]:
    if not callable(value):
        raise GateInputError(
            f"{name}: expected a callable (function or object with __call__), "
            f"got {type(value).__name__} {_short_repr(value)}"
        )
    return value  # type: ignore[return-value]


def _looks_like_path(module_part: str) -> bool:
    return module_part.endswith(".py") or "/" in module_part or "\\" in module_part


def _import(module_name: str, spec: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        raise GateInputError(
            f"spec {spec!r}: cannot import module {module_name!r} (no module named {missing!r}); "
            f"expected an importable module or a path to a .py file"
        ) from exc
    except Exception as exc:  # the user's module raised while being imported
        raise GateInputError(
            f"spec {spec!r}: importing module {module_name!r} raised "
            f"{type(exc).__name__}: {_one_line(exc)}"
        ) from exc


def _load_file(path_text: str, spec: str) -> Any:
    path = Path(path_text)
    if not path.is_file():
        raise GateInputError(f"spec {spec!r}: file {path_text!r} does not exist (expected a .py file)")
    if path.suffix != ".py":
        raise GateInputError(f"spec {spec!r}: file {path_text!r} is not a .py file")
    resolved = path.resolve()
    module_name = "elbo_suite_gate_user_" + "_".join(
        part for part in resolved.with_suffix("").parts[-3:] if part.isidentifier()
    )
    loader_spec = importlib.util.spec_from_file_location(module_name, resolved)
    if loader_spec is None or loader_spec.loader is None:
        raise GateInputError(f"spec {spec!r}: cannot load {path_text!r} as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    # The file's own directory goes first on sys.path so its sibling imports resolve.
    sys.path.insert(0, str(resolved.parent))
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise GateInputError(
            f"spec {spec!r}: running {path_text!r} raised {type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    finally:
        sys.path.remove(str(resolved.parent))
    return module


def call_user(fn: Callable[..., Any], args: Sequence[Any], what: str, signature: str, hint: str = "") -> Any:
    """Call `fn(*args)`; an argument-count mismatch or an exception becomes a GateInputError.

    `what` names the function ('your KL function'); `signature` is the call the gate makes,
    e.g. 'fn(mean (B, k), logvar (B, k))', so the message says how it was called.
    """
    try:
        bound_ok = _accepts(fn, len(args))
    except (TypeError, ValueError):  # builtins and C functions may have no signature
        bound_ok = True
    if not bound_ok:
        raise GateInputError(
            f"{what} {_describe(fn)} cannot take {len(args)} positional arguments; "
            f"the gate calls {signature}"
        )
    try:
        return fn(*args)
    except GateInputError:
        raise
    except Exception as exc:
        if isinstance(exc, AttributeError):
            from elbo_suite.gate.contract import attribute_hint

            hint = attribute_hint(str(exc)) + hint
        raise GateInputError(
            f"{what} {_describe(fn)} raised {type(exc).__name__}: {_one_line(exc)} "
            f"(called as {signature}){hint}"
        ) from exc


def _accepts(fn: Callable[..., Any], n_args: int) -> bool:
    signature = inspect.signature(fn)
    try:
        signature.bind(*([None] * n_args))
    except TypeError:
        return False
    return True


def require_tensor_output(
    value: object,
    what: str,
    expected_shape: tuple[int, ...],
    meaning: str,
    hints: dict[tuple[int, ...], str] | None = None,
) -> Tensor:
    """The output must be a float64 torch.Tensor of `expected_shape`.

    NaN or inf values are not bad input: the gate's inputs are finite, so a non-finite output is
    the function's own overflow or underflow, judged (and failed) by the claims.

    `hints` maps a wrong shape the gate can recognise to what it probably means, e.g.
    (B, k) -> 'sum over the latent dimension'.
    """
    if not isinstance(value, Tensor):
        raise GateInputError(
            f"{what} returned {type(value).__name__}; expected a torch.Tensor of shape "
            f"{meaning} = {expected_shape} (keep it a tensor so gradients flow)"
        )
    if value.dtype != torch.float64:
        raise GateInputError(
            f"{what} returned dtype {value.dtype}; expected torch.float64 "
            f"(inputs are float64: do not cast to a lower precision inside the function)"
        )
    if tuple(value.shape) != tuple(expected_shape):
        hint = (hints or {}).get(tuple(value.shape))
        raise GateInputError(
            f"{what} returned shape {tuple(value.shape)}; expected {meaning} = {tuple(expected_shape)}"
            + (f" ({hint})" if hint else "")
        )
    return value


def _describe(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return repr(name)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
