"""Gate for an IWAE loss written over (K, B) log-probability tensors.

Contract. The gate calls the function positionally with the tensors its parameter names ask for
(see `signatures`): `(log_p_x_given_z, log_p_z, log_q_z_given_x)`, `(log_p_xz, log_q)` or
`(log_w)`, each (K, B) float64 leaves requiring grad (layout="BK": (B, K)), plus K itself for a
parameter named `k` / `num_samples` / ...; unreadable names are taken in those orders, or as
`arguments=` says. It returns the loss −IWAE_K (returns="negative_elbo", the default unless the
function's name says 'elbo' / 'bound') or the bound IWAE_K, per data point (B,) or reduced over the
batch (), as a tensor, a (loss, *parts) tuple or a dict with a 'loss' entry, where

    IWAE_K = log (1/K) Σ_k exp(log p(x|z_k) + log p(z_k) − log q(z_k|x))   per data point.

Claims, exact (|error| ≤ atol + rtol·|reference|): "value on the same draw" and "gradient on the
same draw" (in every tensor passed) on 4 draws with log-weights a few nats apart, then "value,
stress" and "gradient, stress" with log-weights near −1000 and +1000 nats, where exp underflows
or overflows in float64: an unshifted log(mean(exp(log_w))) returns ∓inf there and fails (a NaN
or inf is a failed claim, not bad input). reduction=None accepts the mean or the sum over the
batch and says which; a declared one is enforced. A failing value is compared with the usual
slips: no −log K, the mean of the log-weights (the ELBO), the log-mean-exp over the batch axis,
the wrong sign.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.compare import exact_gradient_outcome, non_finite_note, worst_mismatch
from elbo_suite.gate.differentiate import gradients_of, missing_gradient_hint
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.options import require_choice, require_int, require_tolerances
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.threads import single_threaded
from elbo_suite.gate.vae.outputs import split_output
from elbo_suite.gate.vae.signatures import IWAE_NAMES, declared_returns, iwae_roles, read_signature, unsupported
from elbo_suite.gate.reductions import REDUCTIONS, reduce_batch

LAYOUTS = ("KB", "BK")
RETURNS = ("negative_elbo", "elbo")
GRADIENT_CHECKS = ("same_draw", "none")
BATCH = 3
MAIN_DRAWS = 4
STRESS_LEVELS = {"log-weights ≈ −1000 nats: exp underflows": -1000.0, "log-weights ≈ +1000 nats: exp overflows": 1000.0}
TENSOR_ROLES = ("log_likelihood", "log_prior", "log_q", "log_joint", "log_weights")


def check_iwae_loss(
    fn: Callable[..., Any],
    *,
    num_particles: int = 5,
    arguments: tuple[str, ...] | None = None,
    layout: str = "KB",
    reduction: str | None = None,
    returns: str | None = None,
    gradient: str = "same_draw",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    seed: int = 0,
) -> GateResult:
    """Check an IWAE loss over (K, B) log-probabilities; see the module docstring.

    arguments: the role of each parameter, from ('log_likelihood', 'log_prior', 'log_q',
    'log_joint', 'log_weights', 'num_particles'), when the names do not say.
    """
    fn = require_callable("fn", fn)
    require_int("num_particles", num_particles, 2)
    require_choice("layout", layout, LAYOUTS)
    if reduction is not None:
        require_choice("reduction", reduction, REDUCTIONS)
    signature = read_signature(fn)
    if returns is None:
        returns = declared_returns(signature, "negative_elbo")
    require_choice("returns", returns, RETURNS)
    require_choice("gradient", gradient, GRADIENT_CHECKS)
    require_tolerances(rtol, atol)
    require_int("seed", seed, 0)
    roles = _roles(signature, arguments)
    names = signature.positional if signature is not None and len(signature.positional) == len(roles) else roles
    call = _Call(fn, roles, tuple(names), signature, num_particles, layout, reduction, returns)
    with single_threaded():
        main = [call(_draw(roles, num_particles, seed, i, None)) for i in range(MAIN_DRAWS)]
        stress = [call(_draw(roles, num_particles, seed, i, level)) for i, level in enumerate(STRESS_LEVELS.values())]
    call.settle_reduction(main)
    outcomes = [_value(call, main, rtol, atol, "")]
    if gradient == "same_draw":
        outcomes.append(_gradient(call, main, rtol, atol, ""))
    outcomes.append(_value(call, stress, rtol, atol, ", stress"))
    if gradient == "same_draw":
        outcomes.append(_gradient(call, stress, rtol, atol, ", stress"))
    subject = (
        f"IWAE loss {call.text} (K = {num_particles}, B = {BATCH}, layout {layout}, "
        f"{'per data point' if call.reduction == 'none' else f'{call.reduction} over the batch'}, returns {returns})"
    )
    return GateResult.from_claims(
        subject, outcomes, style="iwae", arguments=list(roles), num_particles=num_particles, layout=layout,
        reduction=call.reduction, reduction_declared=reduction is not None, returns=returns, rtol=rtol,
        atol=atol, seed=seed,
    )


def _roles(signature, arguments) -> tuple[str, ...]:
    allowed = (*TENSOR_ROLES, "num_particles")
    if arguments is not None:
        roles = tuple(arguments) if isinstance(arguments, (tuple, list)) else ()
        tensors = sorted(r for r in roles if r != "num_particles")
        valid = tensors in (["log_weights"], ["log_joint", "log_q"], ["log_likelihood", "log_prior", "log_q"])
        if not roles or any(r not in allowed for r in roles) or not valid or roles.count("num_particles") > 1:
            raise GateInputError(
                f"arguments: expected the roles of your parameters in order, one of (log_weights,), "
                f"(log_joint, log_q), (log_likelihood, log_prior, log_q), each optionally with num_particles; "
                f"got {arguments!r}"
            )
        return roles
    if signature is None:
        return ("log_likelihood", "log_prior", "log_q")
    roles = iwae_roles(signature)
    if roles is None:
        raise unsupported(signature, "iwae")
    return roles


# ---------------------------------------------------------------------------------------------
@dataclass
class _Draw:
    tensors: dict[str, Tensor]  # role -> (K, B) leaf (layout KB) as the gate made it
    log_weights: Tensor  # (K, B), differentiable in the leaves
    label: str


def _draw(roles: tuple[str, ...], particles: int, seed: int, index: int, level: float | None) -> _Draw:
    generator = torch.Generator().manual_seed(120_000 + 1000 * seed + index + (500 if level is not None else 0))

    def normal(mean: float, std: float) -> Tensor:
        return mean + std * torch.randn(particles, BATCH, generator=generator, dtype=torch.float64)

    centre = -30.0 if level is None else level
    parts = {
        "log_likelihood": normal(centre, 4.0 if level is None else 25.0),
        "log_prior": normal(-4.0, 1.5),
        "log_q": normal(-2.0, 1.5),
    }
    tensors: dict[str, Tensor] = {}
    wanted = [r for r in roles if r != "num_particles"]
    if "log_weights" in wanted:
        tensors["log_weights"] = (parts["log_likelihood"] + parts["log_prior"] - parts["log_q"]).requires_grad_(True)
        log_w = tensors["log_weights"]
    elif "log_joint" in wanted:
        tensors["log_joint"] = (parts["log_likelihood"] + parts["log_prior"]).requires_grad_(True)
        tensors["log_q"] = parts["log_q"].requires_grad_(True)
        log_w = tensors["log_joint"] - tensors["log_q"]
    else:
        tensors = {role: parts[role].requires_grad_(True) for role in ("log_likelihood", "log_prior", "log_q")}
        log_w = tensors["log_likelihood"] + tensors["log_prior"] - tensors["log_q"]
    stress = next((name for name, value in STRESS_LEVELS.items() if value == level), None)
    return _Draw(tensors, log_w, f"stress draw {index}: {stress}" if stress else f"draw {index}")


def iwae_bound(log_weights: Tensor) -> Tensor:  # (K, B) -> (B,)
    return torch.logsumexp(log_weights, dim=0) - math.log(log_weights.shape[0])


@dataclass
class _Run:
    draw: _Draw
    output: Tensor  # () or (B,), the user's quantity


class _Call:
    def __init__(self, fn, roles, names, signature, particles, layout, reduction, returns):
        self.fn, self.roles, self.particles, self.layout = fn, roles, particles, layout
        self.declared = reduction
        self.reduction = reduction
        self.sign = -1.0 if returns == "negative_elbo" else 1.0
        self.quantity = "loss" if returns == "negative_elbo" else "bound"
        self.names = dict(zip(roles, names))
        shape = (particles, BATCH) if layout == "KB" else (BATCH, particles)
        self.text = f"{signature.name if signature is not None else 'fn'}({', '.join(names)})"
        self.call_text = "fn(" + ", ".join(
            f"{self.names[r]} = {particles}" if r == "num_particles" else f"{self.names[r]} {shape}" for r in roles
        ) + ")"
        self.per_point: bool | None = None if reduction is None else reduction == "none"

    def __call__(self, draw: _Draw) -> _Run:
        def arg(role: str) -> Any:
            if role == "num_particles":
                return self.particles
            tensor = draw.tensors[role]
            return tensor if self.layout == "KB" else tensor.T

        layout_hint = "; if your tensors are (B, K), pass layout='BK'" if self.layout == "KB" else ""
        value = call_user(self.fn, tuple(arg(r) for r in self.roles), "your IWAE loss", self.call_text, layout_hint)
        loss, _ = split_output(value, "your IWAE loss")
        if self.per_point is None and isinstance(loss, Tensor) and tuple(loss.shape) == (BATCH,):
            self.per_point = True
        expected = (BATCH,) if self.per_point else ()
        hints = {
            (self.particles,): "one value per particle: reduce over the K axis (log-mean-exp), not the batch"
            + layout_hint,
            (self.particles, BATCH): "per-particle values: reduce over K with a log-mean-exp",
            (BATCH, 1): "drop the trailing dimension",
        }
        meaning = "(B,), one value per data point" if self.per_point else "(), the batch's value"
        loss = require_tensor_output(loss, "your IWAE loss", expected, meaning, hints)
        if self.per_point is None:
            self.per_point = False
        return _Run(draw, loss)

    def reduce(self, per_point: Tensor, reduction: str | None = None) -> Tensor:
        reduction = reduction or self.reduction
        return reduce_batch(per_point, reduction)

    def settle_reduction(self, runs: list[_Run]) -> None:
        """reduction=None: per data point by shape, else the mean or the sum, whichever matches."""
        if self.reduction is not None:
            return
        if self.per_point:
            self.reduction = "none"
            return
        errors = {}
        for reduction in ("mean", "sum"):
            errors[reduction] = max(
                float((run.output.detach() - self.sign * self.reduce(iwae_bound(run.draw.log_weights.detach()), reduction)).abs())
                / (1.0 + float(iwae_bound(run.draw.log_weights.detach()).abs().sum()))
                for run in runs
            )
        self.reduction = min(errors, key=lambda r: (errors[r] if math.isfinite(errors[r]) else math.inf, r))


def _value(call: _Call, runs: list[_Run], rtol: float, atol: float, suffix: str) -> ClaimOutcome:
    claim = "value on the same draw" + suffix
    worst = None
    count = failures = 0
    for run in runs:
        expected = call.sign * call.reduce(iwae_bound(run.draw.log_weights.detach()))
        mismatch = worst_mismatch(run.output.detach(), expected, rtol=rtol, atol=atol)
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, run)
    mismatch, run = worst
    where = f"data point {mismatch.index[0]} of {run.draw.label}" if mismatch.index else run.draw.label
    unit = "data points" if call.reduction == "none" else "batches"
    reference = f"{'−' if call.sign < 0 else ''}IWAE_K = {'−' if call.sign < 0 else ''}log-mean-exp of the log-weights over K"
    reduced = "" if call.reduction == "none" else f", {call.reduction} over the batch"
    if not failures:
        message = (
            f"{claim}: all {count} {unit} equal {reference}{reduced} (largest |error| {mismatch.error:.3g}, "
            f"tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
        return ClaimOutcome(claim, True, mismatch.error, mismatch.tolerance, count, EXACT, message)
    note = non_finite_note(mismatch.actual) or _diagnosis(call, runs, rtol, atol)
    message = (
        f"{claim}: expected {mismatch.expected:.10g} ({reference}{reduced}), actual {mismatch.actual:.10g} at "
        f"{where}{note}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; {failures} of {count} "
        f"{unit} outside tolerance; sample size {count} {unit}, exact comparison"
    )
    return ClaimOutcome(claim, False, mismatch.error, mismatch.tolerance, count, EXACT, message)


def _slips(log_w: Tensor, particles: int) -> dict[str, Tensor]:
    """Per-data-point values (or per-particle values for the axis slips) of the usual mistakes."""
    batch = log_w.shape[1]
    return {
        "a log-sum-exp without the −log K": torch.logsumexp(log_w, 0),
        "the mean of the log-weights (the ELBO) instead of their log-mean-exp": log_w.mean(0),
        "a division by K − 1 (−log(K − 1))": torch.logsumexp(log_w, 0) - math.log(particles - 1),
        "a log-mean-exp over the batch axis instead of the K axis": torch.logsumexp(log_w, 1) - math.log(batch),
        "a log-sum-exp over the batch axis minus log K": torch.logsumexp(log_w, 1) - math.log(particles),
    }


def _diagnosis(call: _Call, runs: list[_Run], rtol: float, atol: float) -> str:
    for slip in _slips(runs[0].draw.log_weights.detach(), call.particles):
        matches = True
        for run in runs:
            value = _slips(run.draw.log_weights.detach(), call.particles)[slip]
            actual = run.output.detach()
            candidates = []
            for sign in (call.sign, -call.sign):
                if value.shape == actual.shape or call.reduction != "none":
                    for reduction in (("none",) if call.reduction == "none" else ("mean", "sum")):
                        reduced = call.reduce(value, reduction)
                        if reduced.shape == actual.shape:
                            candidates.append(sign * reduced)
            if not any(bool(torch.allclose(actual, c, rtol=1e-9, atol=1e-12)) for c in candidates):
                matches = False
                break
        if matches:
            layout = ("; if your tensors are (B, K), pass layout='BK'"
                      if "batch axis" in slip and call.layout == "KB" else "")
            return f" (your values match {slip}{layout})"
    for run in runs:
        expected = call.sign * call.reduce(iwae_bound(run.draw.log_weights.detach()))
        if not bool(torch.allclose(run.output.detach(), -expected, rtol=1e-9, atol=1e-12)):
            break
    else:
        other = "the bound" if call.sign < 0 else "the loss"
        return f" (your values are {other}: the sign is flipped; pass returns= to say which you return)"
    return ""


def _gradient(call: _Call, runs: list[_Run], rtol: float, atol: float, suffix: str) -> ClaimOutcome:
    pairs = []
    weights = torch.linspace(0.6, 1.4, BATCH, dtype=torch.float64)
    for run in runs:
        expected = call.sign * call.reduce(iwae_bound(run.draw.log_weights))
        user = run.output
        if user.dim() == 1:
            user, expected = (weights * user).sum(), (weights * expected).sum()
        user_grads = gradients_of(user, run.draw.tensors)
        exact_grads = gradients_of(expected, run.draw.tensors)
        for role, exact in exact_grads.items():
            if exact is not None:
                # The leaf is (K, B) even when the user saw its transpose: autograd maps back.
                pairs.append((run.draw.label, call.names[role], user_grads[role], exact, missing_gradient_hint(user)))
    return exact_gradient_outcome(
        "gradient on the same draw" + suffix, pairs, rtol=rtol, atol=atol, scale=None,
        reference="autograd of the reference IWAE on the same tensors",
    )


__all__ = ["check_iwae_loss", "iwae_bound", "IWAE_NAMES"]
