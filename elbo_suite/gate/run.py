"""One entry point for the command line: run a gate check on the code a spec names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elbo_suite.gate.callables import load_attribute, load_callable, require_callable
from elbo_suite.gate.elbo import check_elbo_estimator
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.gradients import check_gradient_estimator
from elbo_suite.gate.kl import check_kl
from elbo_suite.gate.options import require_known_options
from elbo_suite.gate.result import GateResult
from elbo_suite.gate.styles import check_loss

GATE_KINDS = ("kl", "elbo", "iwae", "gradient", "loss", "diffusion")


def run_gate(kind: str, spec: str | Callable[..., Any], **options: Any) -> GateResult:
    """Check the callable named by `spec` ('package.module:function' or 'path/to/file.py:function',
    or a callable itself).

    kind "kl" -> check_kl; "elbo" -> check_elbo_estimator (option kind="elbo" or
    "elbo_analytic_kl"; `estimator` is the same option); "iwae" -> check_elbo_estimator(kind="iwae");
    "gradient" -> check_gradient_estimator; "loss" -> check_loss (any style, see `styles`);
    "diffusion" -> check_diffusion (the spec may also name an object, or a class built with no
    arguments; `betas` may be a spec naming the β table). Options set to None take the check's default. Raises GateInputError for an unknown kind, an
    unknown option, or any bad input.
    """
    if kind not in GATE_KINDS:
        raise GateInputError(f"kind: expected one of {GATE_KINDS}, got {kind!r}")
    options = {name: value for name, value in options.items() if value is not None}
    if kind == "diffusion":
        return _diffusion(spec, options)
    fn = load_callable(spec) if isinstance(spec, str) else require_callable("spec", spec)
    if kind == "kl":
        return _call(check_kl, fn, options)
    if kind == "gradient":
        return _call(check_gradient_estimator, fn, options)
    if kind == "loss":
        return check_loss(fn, **options)
    if "estimator" in options:
        if "kind" in options:
            raise GateInputError("options 'estimator' and 'kind' are the same option: give one")
        options["kind"] = options.pop("estimator")
    if kind == "iwae":
        if "kind" in options:
            raise GateInputError("option 'kind' is not accepted for an IWAE estimator: it is kind='iwae'")
        return _call(check_elbo_estimator, fn, {"kind": "iwae", **options})
    if options.get("kind") == "iwae":
        raise GateInputError("estimator='iwae': use kind 'iwae' (it takes num_particles)")
    return _call(check_elbo_estimator, fn, options)


def _diffusion(spec: Any, options: dict[str, Any]) -> GateResult:
    from elbo_suite.gate.diffusion.check import check_diffusion
    from elbo_suite.gate.diffusion.run import load_target

    if isinstance(options.get("betas"), str):
        options["betas"] = load_attribute(options["betas"])
    return _call(check_diffusion, load_target(spec) if isinstance(spec, str) else spec, options)


def _call(check: Callable[..., GateResult], target: Any, options: dict[str, Any]) -> GateResult:
    require_known_options(check, options, check.__name__)
    return check(target, **options)
