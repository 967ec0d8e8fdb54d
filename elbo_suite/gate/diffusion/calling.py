"""Binding a user's parameters by name, calling the function, and reading what it returns.

Every problem is a one-line `GateInputError` that names the parameter or output, what it was, and
what the gate expected.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.diffusion import roles as R
from elbo_suite.gate.diffusion.roles import Role
from elbo_suite.gate.diffusion.tables import table_name
from elbo_suite.gate.errors import GateInputError

MEANINGS = (
    R.X_START, R.X_T, R.NOISE, R.EPS, R.V, R.X_PREV, R.T, R.T_PREV, R.MODEL_OUTPUT, R.MODEL, R.STEP_NOISE,
    R.GENERATOR, R.ETA, R.CLIP, R.EPS_FROM_CLIPPED, R.MEAN1, R.LOGVAR1, R.MEAN2, R.LOGVAR2, R.MEANS, R.LOG_SCALES,
    R.MODEL_MEAN, R.MODEL_LOG_VARIANCE,
)


@dataclass(frozen=True)
class Binding:
    """How the gate fills each parameter of the user's function."""

    parameters: dict[str, str]  # parameter name -> meaning, or "table:<name>"
    keyword_only: frozenset[str]
    int_timestep: bool  # the function takes one Python int timestep for the whole batch

    def meanings(self) -> set[str]:
        return set(self.parameters.values())

    def tables(self) -> list[str]:
        return [m.removeprefix("table:") for m in self.parameters.values() if m.startswith("table:")]

    def signature_text(self, name: str) -> str:
        parts = [f"{p}={m.removeprefix('table:')}" if p != m else p for p, m in self.parameters.items()]
        return f"{name}({', '.join(parts)})"


def bind(fn: Callable[..., Any], role: Role, what: str, aliases: Mapping[str, str] | None = None) -> Binding:
    """Give every parameter a meaning from its name; parameters with defaults may stay unbound."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise GateInputError(f"{what}: cannot read its parameters ({exc}); pass a Python function or method") from exc
    if aliases is not None and not isinstance(aliases, Mapping):
        raise GateInputError(
            f"arguments: expected a mapping {{'your_name': 'meaning'}} (on the command line your_name=meaning,...), "
            f"got {aliases!r}"
        )
    aliases = dict(aliases or {})
    for name, meaning in aliases.items():
        if meaning not in MEANINGS and table_name(meaning) is None:
            raise GateInputError(
                f"arguments: {name!r} -> {meaning!r} is not something the gate can supply; expected one of "
                f"{', '.join(MEANINGS)} or a schedule table name (betas, alphas_cumprod, ...)"
            )
    parameters: dict[str, str] = {}
    keyword_only = set()
    int_timestep = False
    unknown = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        meaning = aliases.get(name) or role.arguments.get(name)
        if meaning is None and table_name(name) is not None:
            meaning = "table:" + table_name(name)  # type: ignore[operator]
        elif meaning is not None and table_name(meaning) is not None:
            meaning = "table:" + table_name(meaning)  # type: ignore[operator]
        if meaning is None:
            if parameter.default is parameter.empty:
                unknown.append(name)
            continue
        if meaning in parameters.values() and not meaning.startswith("table:"):
            continue  # a second name for the same thing keeps its default (e.g. generator beside noise)
        parameters[name] = meaning
        if parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.add(name)
        if meaning == R.T:
            int_timestep = parameter.annotation in (int, "int") or name == "timestep"
    if unknown:
        known = sorted(set(role.arguments))
        raise GateInputError(
            f"{what}: parameter(s) {', '.join(unknown)} have no default and no name the gate knows for "
            f"{role.name} ({role.summary}); known names: {', '.join(known)} and schedule tables "
            f"(betas, alphas_cumprod, ...); or map them with arguments={{'{unknown[0]}': '<meaning>'}}"
        )
    missing = [m for m in role.required if m not in parameters.values()]
    if role.kind == "vlb" and not (R.MODEL in parameters.values() or {R.MODEL_MEAN, R.MODEL_LOG_VARIANCE} <= set(parameters.values())):
        missing.append("model (or model_mean and model_log_variance)")
    if missing and not (R.MODEL in parameters.values() and set(missing) <= {R.MODEL_OUTPUT}):
        raise GateInputError(
            f"{what}: takes no parameter for {', '.join(missing)} (as {role.name} it was expected to take "
            f"{', '.join(role.required)}; its parameters: {', '.join(signature.parameters)}); name it as codebases "
            f"do or map it with arguments={{'your_name': '{missing[0]}'}}"
        )
    return Binding(parameters, frozenset(keyword_only), int_timestep)


def call(fn: Callable[..., Any], binding: Binding, values: Mapping[str, Any], what: str) -> Any:
    """Call fn with each bound parameter's value (by meaning); keyword arguments throughout."""
    kwargs = {name: values[meaning] for name, meaning in binding.parameters.items() if meaning in values}
    try:
        return fn(**kwargs)
    except GateInputError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())
        text = text if len(text) <= 240 else text[:237] + "..."
        shown = ", ".join(f"{k}={_describe(v)}" for k, v in kwargs.items())
        raise GateInputError(f"{what} raised {type(exc).__name__}: {text} (called as {what}({shown}))") from exc


def _describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"tensor{tuple(value.shape)}"
    if callable(value):
        return "model"
    return repr(value)


# -- outputs ------------------------------------------------------------------------------------------
OUTPUT_KEYS = {
    "vlb": ("output", "vb", "vlb", "loss", "kl", "nll"),
    "sample": ("sample", "prev_sample", "x_prev", "pred_img", "img", "x_t_prev"),
    "pred_x_start": ("pred_xstart", "pred_original_sample", "x_start", "pred_x0", "x0"),
    "mean": ("mean", "posterior_mean", "model_mean"),
    "variance": ("variance", "posterior_variance", "model_variance", "var"),
    "log_variance": ("log_variance", "posterior_log_variance", "posterior_log_variance_clipped", "model_log_variance",
                     "logvar", "log_var"),
}


def read_outputs(value: Any, order: tuple[str, ...], what: str) -> dict[str, Any]:
    """Named outputs from a tensor, a tuple (in `order`), a dict or an object with attributes."""
    if isinstance(value, Tensor):
        return {order[0]: value}
    found: dict[str, Any] = {}
    if isinstance(value, Mapping) or hasattr(value, "__dict__") and not isinstance(value, (tuple, list)):
        getter = value.get if isinstance(value, Mapping) else lambda k: getattr(value, k, None)
        for key in order:
            for name in OUTPUT_KEYS.get(key, (key,)):
                item = getter(name)
                if item is not None:
                    found[key] = item
                    break
        if order[0] not in found:
            keys = list(value.keys()) if isinstance(value, Mapping) else [k for k in vars(value) if not k.startswith("_")]
            raise GateInputError(
                f"{what} returned {type(value).__name__} with keys {keys}; expected one named "
                f"{' / '.join(OUTPUT_KEYS.get(order[0], (order[0],)))}"
            )
        return found
    if isinstance(value, (tuple, list)):
        if not value:
            raise GateInputError(f"{what} returned an empty {type(value).__name__}; expected {', '.join(order)}")
        return dict(zip(order, value))
    raise GateInputError(
        f"{what} returned {type(value).__name__}; expected a torch.Tensor, a tuple ({', '.join(order)}) or a dict"
    )


def require_tensor(value: Any, name: str, like: Tensor, what: str, broadcast: bool = False) -> Tensor:
    """A float64 tensor of like's shape (or, with broadcast, one that broadcasts to it)."""
    if not isinstance(value, Tensor):
        raise GateInputError(f"{what}: {name} is {type(value).__name__}; expected a torch.Tensor shaped like x {tuple(like.shape)}")
    if value.dtype != torch.float64:
        raise GateInputError(
            f"{what}: {name} has dtype {value.dtype}; expected torch.float64 (the gate's inputs are float64: "
            "do not cast to a lower precision inside the function)"
        )
    if tuple(value.shape) != tuple(like.shape):
        ok = False
        if broadcast:
            try:
                ok = torch.broadcast_shapes(value.shape, like.shape) == like.shape
            except RuntimeError:
                ok = False
        if not ok:
            raise GateInputError(
                f"{what}: {name} has shape {tuple(value.shape)}; expected {tuple(like.shape)}"
                + (" or a shape that broadcasts to it" if broadcast else "")
            )
        value = value.expand_as(like)
    return value.detach()
