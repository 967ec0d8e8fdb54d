"""Scheduler and diffusion objects, checked method by method with their own schedule.

An object brings its schedule (`betas`, in its own precision) and its conventions: diffusers'
`config` (prediction_type, variance_type, clip_sample, clip_sample_range, thresholding,
set_alpha_to_one through `final_alpha_cumprod`), improved/guided-diffusion's `model_mean_type` and
`model_var_type`, lucidrains' `objective`. Every method with a name the gate knows is checked. A
scheduler with `set_timesteps` is stepped along its OWN sampling timesteps (several step counts,
some that do not divide T, on a copy of the object): step i must land on timestep i + 1 of that
list, and the last step on the data.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
import inspect
from typing import Any

import numpy as np
import torch
from torch import Tensor

from elbo_suite.gate.diffusion import roles as R
from elbo_suite.gate.diffusion.approx import FLOAT64_UNIT, UNIT_ROUNDOFF
from elbo_suite.gate.diffusion.calling import bind
from elbo_suite.gate.diffusion.evaluate import Conventions
from elbo_suite.gate.diffusion.formulas import Schedule
from elbo_suite.gate.diffusion.outcomes import group_outcomes
from elbo_suite.gate.diffusion.schedules import FINAL, Chain, consecutive_chain, probe_timesteps
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult

STEP_COUNTS = (7, 10, 30)  # set_timesteps(n): 7 and 30 do not divide T = 1000; 10 does
TABLE_ATTRIBUTES = ("alphas_cumprod", "betas", "alphas", "sqrt_alphas_cumprod")


def is_function(value: Any) -> bool:
    return inspect.isfunction(value) or inspect.ismethod(value) or inspect.isbuiltin(value) or isinstance(
        value, functools.partial
    )


def _tensor(value: Any) -> Tensor | None:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return value if isinstance(value, Tensor) else None


def object_schedule(obj: Any) -> Schedule:
    from elbo_suite.gate.diffusion.check import as_betas

    betas, _ = as_betas(getattr(obj, "betas", None), f"{type(obj).__name__}.betas")
    # The tables' precision: the lowest of those the object keeps.
    unit = FLOAT64_UNIT
    for name in TABLE_ATTRIBUTES:
        table = _tensor(getattr(obj, name, None))
        if table is not None and table.dtype in UNIT_ROUNDOFF:
            unit = max(unit, UNIT_ROUNDOFF[table.dtype])
    final = _tensor(getattr(obj, "final_alpha_cumprod", None))
    return Schedule.from_betas(betas, unit, None if final is None else float(final))


def object_conventions(obj: Any, base: Conventions, explicit: set[str]) -> tuple[Conventions, list[str]]:
    """The object's own conventions where it states them; options the caller gave win. Also
    returns reasons why its reverse steps cannot be gated (an empty list when they can)."""
    found: dict[str, Any] = {}
    skip: list[str] = []
    config = getattr(obj, "config", None)
    get = (lambda k: config.get(k)) if hasattr(config, "get") else (lambda k: getattr(config, k, None))
    if config is not None and get("prediction_type") is not None:
        found["prediction"] = get("prediction_type")
        variance = get("variance_type")
        if variance is not None:
            mapping = {"fixed_small": "fixed_small", "fixed_small_log": "fixed_small", "fixed_large": "fixed_large",
                       "fixed_large_log": "fixed_large", "learned_range": "learned_range"}
            if variance not in mapping:
                skip.append(f"variance_type={variance!r} (a network that outputs σ² itself) is not a convention the gate checks")
            else:
                found["variance"] = mapping[variance]
        if get("thresholding"):
            skip.append("thresholding=True (dynamic thresholding of x̂₀) is not gated")
        found["clip_range"] = float(get("clip_sample_range") or 1.0) if get("clip_sample") else None
    mean_type, var_type = getattr(obj, "model_mean_type", None), getattr(obj, "model_var_type", None)
    if mean_type is not None:
        name = getattr(mean_type, "name", str(mean_type)).upper()
        if name == "PREVIOUS_X":
            skip.append("model_mean_type PREVIOUS_X (the network predicts x_{t−1}) is not gated for steps")
        found["prediction"] = {"EPSILON": "epsilon", "START_X": "sample", "V": "v_prediction"}.get(name, "epsilon")
    if var_type is not None:
        found["variance"] = getattr(var_type, "name", str(var_type)).lower()
    objective = getattr(obj, "objective", None)
    if isinstance(objective, str) and mean_type is None and config is None:
        found["prediction"] = {"pred_noise": "epsilon", "pred_x0": "sample", "pred_v": "v_prediction"}.get(objective, "epsilon")
    names = {"prediction": "prediction", "variance": "variance", "clip_range": "clip", "eps_from_clipped": "eps_from_clipped",
             "units": "units"}
    merged = {field: value for field, value in found.items() if names[field] not in explicit}
    return Conventions(**{**base.__dict__, **merged}), skip


def known_methods(obj: Any) -> dict[str, tuple[str, Any]]:
    """role -> (method name, bound method), first known name found for each role."""
    methods: dict[str, tuple[str, Any]] = {}
    for role in R.ROLES.values():
        for name in role.function_names:
            method = getattr(obj, name, None)
            if method is None or not callable(method) or inspect.isclass(method):
                continue
            try:
                parameters = set(inspect.signature(method).parameters)
            except (TypeError, ValueError):
                continue
            found = R.role_from_function_name(name, parameters)
            if found == role.name and role.name not in methods:
                methods[role.name] = (name, method)
    return methods


def scheduler_chains(obj: Any, betas: Tensor) -> tuple[list[tuple[Chain, Any]], ClaimOutcome]:
    """(chain, object copy stepped along it) for each step count, on the copy's own `timesteps`;
    and the claim that those timesteps index the schedule (0 ≤ t < T). Out-of-range steps are not run."""
    T = int(betas.shape[0])
    chains = []
    outside: list[str] = []
    total = 0
    for n in (T, *STEP_COUNTS):
        if n > T:
            continue
        stepped = copy.deepcopy(obj)
        try:
            stepped.set_timesteps(n)
        except Exception as exc:
            raise GateInputError(f"{type(obj).__name__}.set_timesteps({n}) raised {type(exc).__name__}: {exc}") from exc
        timesteps = [int(t) for t in _tensor(stepped.timesteps).tolist()]
        total += len(timesteps)
        bad = [t for t in timesteps if not 0 <= t < T]
        if bad:
            outside.append(f"set_timesteps({n}) gives {bad[:3]}")
            timesteps = [t for t in timesteps if 0 <= t < T]
        picks = sorted({0, 1, len(timesteps) // 2, len(timesteps) - 2, len(timesteps) - 1} & set(range(len(timesteps))))
        pairs = tuple((timesteps[i], timesteps[i + 1] if i + 1 < len(timesteps) else FINAL) for i in picks)
        spacing = getattr(getattr(stepped, "config", None), "timestep_spacing", None)
        label = f"{type(obj).__name__}, T={T}, set_timesteps({n})" + (f", {spacing} spacing" if spacing else "")
        chains.append((Chain(label, betas, pairs, strided=n != T), stepped))
    claim = "set_timesteps: every timestep in 0..T−1"
    if outside:
        message = (f"{claim}: expected timesteps that index the {T}-step schedule, actual {'; '.join(outside)} "
                   f"(stepping there would read past the end of alphas_cumprod); {total} timesteps checked")
        return chains, ClaimOutcome(claim, False, float(len(outside)), 0.0, total, EXACT, message)
    return chains, ClaimOutcome(claim, True, 0.0, 0.0, total, EXACT, f"{claim}: all {total} timesteps in range")


def check_object(obj: Any, base: Conventions, *, seed: int, safety: float, explicit: set[str]) -> GateResult:
    from elbo_suite.gate.diffusion.check import default_units, run_function

    kind = type(obj).__name__
    methods = known_methods(obj)
    if not methods:
        names = sorted({n for r in R.ROLES.values() for n in r.function_names})
        raise GateInputError(
            f"{kind}: no method the gate knows (expected some of {', '.join(names)}); "
            "pass a single function with role= instead"
        )
    if getattr(obj, "betas", None) is None:
        raise GateInputError(f"{kind}: has no `betas` table; the gate reads the schedule from it")
    schedule = object_schedule(obj)
    conventions, skip_steps = object_conventions(obj, base, explicit)
    comparisons = []
    extra_outcomes: list[ClaimOutcome] = []
    checked, not_checked = [], []
    for role_name, (name, method) in methods.items():
        role = R.ROLES[role_name]
        what = f"{kind}.{name}"
        if role.kind in ("step", "vlb") and skip_steps:
            not_checked.append(f"{name}: {'; '.join(skip_steps)}")
            continue
        binding = bind(method, role, what)
        method_conventions = conventions if "units" in explicit else replace(conventions, units=default_units(name))
        if role.kind == "step" and not binding.meanings() & {R.MODEL, R.MODEL_OUTPUT}:
            not_checked.append(f"{name}: takes neither a model nor a model output (it calls the object's own network)")
            continue
        if role.kind == "step" and hasattr(obj, "set_timesteps"):
            runs, in_range = scheduler_chains(obj, schedule.betas)
            extra_outcomes.append(in_range)
        else:
            runs = [(consecutive_chain(f"{kind}, T={schedule.num_timesteps}", schedule.betas, probe_timesteps(schedule.num_timesteps)), obj)]
        for index, (chain, instance) in enumerate(runs):
            bound = getattr(instance, name)
            for label, c in run_function(bound, what, role, binding, [chain], schedule.alpha_bar.unit,
                                         schedule.final_alpha_bar, False, method_conventions, seed * 31 + index):
                comparisons.append((label, replace(c, claim=f"{name}: {c.claim}")))
        checked.append(name)
    if not comparisons:
        raise GateInputError(f"{kind}: none of its methods could be checked: {'; '.join(not_checked)}")
    outcomes = extra_outcomes + group_outcomes(comparisons, safety)
    unit = "float32" if schedule.alpha_bar.unit > FLOAT64_UNIT else "float64"
    return GateResult.from_claims(
        f"{kind} ({', '.join(checked)}; {unit} schedule, T={schedule.num_timesteps})", outcomes,
        methods=checked, not_checked=not_checked, schedule_precision=unit, seed=seed, safety=safety,
        conventions={"prediction": conventions.prediction, "variance": conventions.variance, "clip": conventions.clip_range},
    )
