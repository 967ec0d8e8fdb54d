"""check_diffusion: run a user's diffusion function, method or scheduler object against the exact formulas."""

from __future__ import annotations

import inspect
from dataclasses import replace
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from elbo_suite.gate.diffusion import roles as R
from elbo_suite.gate.diffusion.approx import FLOAT64_UNIT, UNIT_ROUNDOFF
from elbo_suite.gate.diffusion.calling import Binding, bind
from elbo_suite.gate.diffusion.cases import make_inputs
from elbo_suite.gate.diffusion.evaluate import (
    Call, Comparison, Conventions, evaluate_elementwise, evaluate_step, evaluate_timewise, evaluate_vlb,
)
from elbo_suite.gate.diffusion.likelihood import CDFS, UNITS
from elbo_suite.gate.diffusion.formulas import PREDICTIONS, VARIANCES, Schedule
from elbo_suite.gate.diffusion.outcomes import SAFETY, group_outcomes
from elbo_suite.gate.diffusion.schedules import Chain, consecutive_chain, gate_chains, probe_timesteps, spaced_timesteps, strided_chain
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.result import GateResult
from elbo_suite.gate.threads import single_threaded

EVALUATORS = {"timewise": evaluate_timewise, "elementwise": evaluate_elementwise, "step": evaluate_step, "vlb": evaluate_vlb}


def check_diffusion(
    target: Any,
    *,
    role: str | None = None,
    betas: Any = None,
    prediction: str | None = None,
    variance: str | None = None,
    clip: float | None = None,
    eps_from_clipped: bool | None = None,
    eta: float | None = None,
    cdf: str | None = None,
    units: str | None = None,
    arguments: Mapping[str, str] | None = None,
    seed: int = 0,
    safety: float = SAFETY,
) -> GateResult:
    """Check a user's diffusion function (or every known method of a scheduler / diffusion object)
    against the exact formulas in float64; see `elbo_suite.gate.diffusion` for the contract."""
    from elbo_suite.gate.diffusion.objects import check_object, is_function

    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise GateInputError(f"seed: expected a non-negative int, got {seed!r}")
    if not (isinstance(safety, (int, float)) and safety >= 1):
        raise GateInputError(f"safety: expected a number ≥ 1 (the factor on the rounding bound), got {safety!r}")
    conventions = resolve_conventions(prediction, variance, clip, eps_from_clipped, eta, cdf, units)
    with single_threaded():
        if not is_function(target):
            if role is not None or arguments is not None or betas is not None:
                raise GateInputError(
                    f"role/arguments/betas: only for a single function; {type(target).__name__} is checked "
                    "method by method with its own schedule"
                )
            return check_object(target, conventions, seed=seed, safety=safety,
                                explicit=_explicit(prediction, variance, clip, eps_from_clipped, units))
        fn_role = resolve_role(target, role)
        what = f"your function {_name(target)!r}"
        binding = bind(target, fn_role, what, arguments)
        if units is None:
            conventions = replace(conventions, units=default_units(_name(target)))
        schedule_betas, unit, final = function_schedule(target, betas, fn_role, binding, what)
        chains = function_chains(fn_role, binding, schedule_betas)
        # Table parameters are filled from the chain's β: the gate's schedules, or the user's betas=.
        comparisons = run_function(target, what, fn_role, binding, chains, unit, final, True, conventions, seed)
        outcomes = group_outcomes(comparisons, safety)
    subject = f"{fn_role.name} {_name(target)!r} ({fn_role.summary})"
    return GateResult.from_claims(
        subject, outcomes, role=fn_role.name, call=binding.signature_text(_name(target)),
        chains=[c.label for c in chains] if fn_role.kind != "elementwise" else [], seed=seed,
        conventions=_conventions_dict(conventions), safety=safety,
    )


def default_units(name: str) -> str:
    """improved-diffusion's `_vb_terms_bpd` reports bits per dimension; otherwise nats."""
    return "bits_per_dim" if "bpd" in name.lower() else "nats"


def resolve_conventions(prediction: str | None, variance: str | None, clip: float | None,
                        eps_from_clipped: bool | None, eta: float | None, cdf: str | None = None,
                        units: str | None = None) -> Conventions:
    if prediction is not None and prediction not in PREDICTIONS:
        aliases = {"eps": "epsilon", "x0": "sample", "x_start": "sample", "v": "v_prediction"}
        if prediction not in aliases:
            raise GateInputError(f"prediction: expected one of {PREDICTIONS} (or eps, x0, v), got {prediction!r}")
        prediction = aliases[prediction]
    if variance is not None and variance not in VARIANCES:
        raise GateInputError(f"variance: expected one of {VARIANCES}, got {variance!r}")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or not clip > 0):
        raise GateInputError(f"clip: expected a positive number r (x̂₀ clipped to [−r, r]) or None, got {clip!r}")
    if eps_from_clipped is not None and not isinstance(eps_from_clipped, bool):
        raise GateInputError(f"eps_from_clipped: expected True, False or None, got {eps_from_clipped!r}")
    if eta is not None and (isinstance(eta, bool) or not isinstance(eta, (int, float)) or not 0 <= eta <= 1):
        raise GateInputError(f"eta: expected a number in [0, 1], got {eta!r}")
    if cdf is not None and cdf not in CDFS:
        raise GateInputError(f"cdf: expected one of {CDFS}, got {cdf!r}")
    if units is not None and units not in UNITS:
        raise GateInputError(f"units: expected one of {UNITS}, got {units!r}")
    defaults = Conventions()
    return Conventions(
        cdf=cdf or defaults.cdf,
        units=units or defaults.units,
        prediction=prediction or defaults.prediction,
        variance=variance or defaults.variance,
        clip_range=None if clip is None else float(clip),
        eps_from_clipped=eps_from_clipped,
        etas=(float(eta),) if eta is not None else defaults.etas,
    )


def _explicit(prediction: Any, variance: Any, clip: Any, eps_from_clipped: Any, units: Any) -> set[str]:
    names = {"prediction": prediction, "variance": variance, "clip": clip, "eps_from_clipped": eps_from_clipped,
             "units": units}
    return {k for k, v in names.items() if v is not None}


def _conventions_dict(c: Conventions) -> dict[str, Any]:
    return {"prediction": c.prediction, "variance": c.variance, "clip": c.clip_range,
            "eps_from_clipped": c.eps_from_clipped, "etas": list(c.etas), "cdf": c.cdf, "units": c.units}


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


def resolve_role(fn: Callable[..., Any], role: str | None) -> R.Role:
    if role is not None:
        if role not in R.ROLES:
            raise GateInputError(f"role: expected one of {', '.join(R.ROLES)}, got {role!r}")
        return R.ROLES[role]
    name = getattr(fn, "__name__", "")
    try:
        parameters = set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        parameters = set()
    found = R.role_from_function_name(name, parameters)
    if found is None:
        raise GateInputError(
            f"role: the gate cannot tell what {name!r} computes from its name; pass role= one of "
            f"{', '.join(R.ROLES)}"
        )
    return R.ROLES[found]


def as_betas(value: Any, what: str) -> tuple[Tensor, float]:
    """A 1-D table of β in (0, 1] as float64, and the unit roundoff of the precision it came in."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, (list, tuple)):
        value = torch.tensor(value, dtype=torch.float64)
    if not isinstance(value, Tensor):
        raise GateInputError(f"{what}: expected a 1-D tensor or array of β_t, got {type(value).__name__}")
    if value.dtype not in UNIT_ROUNDOFF:
        raise GateInputError(f"{what}: expected float32 or float64 β_t, got dtype {value.dtype}")
    if value.dim() != 1 or value.shape[0] < 2:
        raise GateInputError(f"{what}: expected a 1-D table of at least 2 β_t, got shape {tuple(value.shape)}")
    unit = UNIT_ROUNDOFF[value.dtype]
    value = value.detach().to(torch.float64)
    if not bool(torch.isfinite(value).all()) or not bool(((value > 0) & (value <= 1)).all()):
        bad = value[~(torch.isfinite(value) & (value > 0) & (value <= 1))][:3].tolist()
        raise GateInputError(f"{what}: expected every β_t in (0, 1], got {bad}")
    return value, unit


def function_schedule(fn: Any, betas: Any, role: R.Role, binding: Binding, what: str) -> tuple[Tensor | None, float, float | None]:
    """(β, unit, final ᾱ) of the function's own schedule, or (None, float64, None) when it takes the gate's tables."""
    if betas is not None:
        table, unit = as_betas(betas, "betas")
        return table, unit, None
    owner = getattr(fn, "__self__", None)
    if owner is not None and getattr(owner, "betas", None) is not None:
        from elbo_suite.gate.diffusion.objects import object_schedule

        schedule = object_schedule(owner)
        return schedule.betas, schedule.alpha_bar.unit, schedule.final_alpha_bar
    if binding.tables() or role.kind == "elementwise":
        return None, FLOAT64_UNIT, None
    raise GateInputError(
        f"{what}: the gate cannot see your schedule: it takes no schedule table (betas, alphas_cumprod, ...) "
        "and is not a method of an object with `betas`; pass betas=<your β table> (--betas SPEC on the command line)"
    )


def function_chains(role: R.Role, binding: Binding, betas: Tensor | None) -> list[Chain]:
    if role.kind == "elementwise":
        return [consecutive_chain("elementwise", torch.linspace(1e-4, 0.02, 10, dtype=torch.float64), (1,))]
    takes_prev = R.T_PREV in binding.meanings()
    if betas is None:
        chains = list(gate_chains())
    else:
        T = int(betas.shape[0])
        chains = [consecutive_chain(f"your schedule, T={T}", betas, probe_timesteps(T))]
        if T >= 8:
            for spacing in ("linspace", "trailing"):
                steps = spaced_timesteps(T, 7, spacing)
                chains.append(strided_chain(f"your schedule, T={T}, 7 steps ({spacing})", betas, steps))
    # A step that takes no previous timestep runs t → t − 1 only; a timewise role has no t_prev.
    return [c for c in chains if not c.strided or (role.kind == "step" and takes_prev)]


def run_function(
    fn: Callable[..., Any], what: str, role: R.Role, binding: Binding, chains: list[Chain], unit: float,
    final: float | None, fill_tables: bool, conventions: Conventions, seed: int,
) -> list[tuple[str, Comparison]]:
    comparisons: list[tuple[str, Comparison]] = []
    for index, chain in enumerate(chains):
        schedule = Schedule.from_betas(chain.betas, unit, final)
        inputs = make_inputs(list(chain.steps), schedule.alpha_bar.value, schedule.final_alpha_bar, seed * 7919 + index)
        call_ = Call(fn, what, binding, schedule, chain.betas if fill_tables else None, conventions, seed * 7919 + index)
        EVALUATORS[role.kind](call_, role, inputs)
        comparisons.extend((chain.label, c) for c in call_.comparisons)
    return comparisons
