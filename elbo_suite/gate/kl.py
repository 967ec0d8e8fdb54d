"""Gate for a user's closed-form Gaussian KL divergence.

Contract. The user's function receives one Gaussian (against="standard_normal") or two
(against="gaussian", q first, then p) in the chosen convention (see `kl_conventions`), batched
over B rows with latent dimension k, and returns KL(q‖p) for each row: a float64 tensor of shape
(B,). With reduction="mean" or "sum" it may instead return the mean or the sum over the batch, a
scalar of shape (). It must be differentiable (autograd) in every argument.

Claims, every one an exact comparison with the closed form of `elbo_suite.estimators.kl` in float64 (no
Monte Carlo error; the only tolerance is rounding, |error| ≤ atol + rtol·|exact|):
1. "KL value":      on 9 seeded batches (k = 2, 3, 5; 3 seeds; 6 distinct rows each);
2. "KL gradient":   the gradient of Σ_b w_b KL_b (w_b fixed positive weights) in every
                    argument, against autograd on the closed form;
3. "KL(p‖p) = 0":   the value at q = p (or q = N(0, I) against the standard normal);
4. "KL(p‖p) gradient": finite, and equal to the exact gradient there (zero);
5. "KL value, stress" and "KL gradient, stress": the same comparisons where numerics break
   (k = 16, means ~ N(0, 10²), standard deviations from 0.03 to 33).
A NaN or inf returned on these finite inputs is a failed claim (overflow or underflow in the
function), not bad input. `seed` picks the batches: seeds seed, seed + 1, seed + 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.cases import KL_SEEDS, KLCase, kl_cases, kl_stress_cases, standard_normal_like
from elbo_suite.gate.compare import (
    GradientPair,
    Mismatch,
    exact_gradient_outcome,
    non_finite_note,
    pattern_hint,
    worst_mismatch,
)
from elbo_suite.gate.differentiate import gradients_of, missing_gradient_hint
from elbo_suite.gate.options import require_choice, require_int, require_tolerances
from elbo_suite.gate.kl_conventions import (
    UserGaussian,
    lower_triangle_only,
    require_convention,
    signature_text,
    to_user,
)
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.threads import single_threaded
from elbo_suite.gate.reductions import REDUCTIONS
from elbo_suite.estimators.kl import kl_divergence, kl_to_standard_normal

Against = Literal["standard_normal", "gaussian"]
Reduction = Literal["none", "mean", "sum"]
AGAINST = ("standard_normal", "gaussian")


def check_kl(
    fn: Callable[..., Any],
    *,
    convention: str = "mean_logvar",
    covariance: str = "diagonal",
    against: str = "standard_normal",
    reduction: str = "none",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    seed: int = 0,
) -> GateResult:
    """Check a user's Gaussian KL(q‖p) against the exact closed form; see the module docstring."""
    fn = require_callable("fn", fn)
    convention, covariance = require_convention(convention, covariance)
    require_choice("against", against, AGAINST)
    require_choice("reduction", reduction, REDUCTIONS)
    require_tolerances(rtol, atol)
    require_int("seed", seed, 0)
    seeds = tuple(seed + s for s in KL_SEEDS)
    subject = f"KL ({convention}, {covariance}, against {against}, reduction {reduction})"

    with single_threaded():
        outcomes = _claims(fn, convention, covariance, against, reduction, rtol, atol, seeds)
    return GateResult.from_claims(
        subject, outcomes, convention=convention, covariance=covariance, against=against,
        reduction=reduction, rtol=rtol, atol=atol, seed=seed, seeds=list(seeds),
    )


def _claims(
    fn: Callable[..., Any], convention: str, covariance: str, against: str, reduction: str,
    rtol: float, atol: float, seeds: tuple[int, ...],
) -> list[ClaimOutcome]:
    with_p = against == "gaussian"
    values: list[tuple[str, Tensor, Tensor]] = []
    gradients: list[tuple[str, str, Tensor | None, Tensor, str]] = []
    for case in kl_cases(covariance, against, seeds=seeds):
        run = _run_case(fn, case, convention, covariance, reduction)
        values.append((case.label, run.actual, run.expected))
        gradients.extend((case.label, *g) for g in run.gradients)
    outcomes = [
        _value_outcome("KL value", values, rtol, atol, reduction),
        _gradient_outcome("KL gradient", gradients, rtol, atol, scale=None),
    ]

    # KL(p‖p): the same Gaussian on both sides, or N(0, I) when p is the standard normal.
    first = next(iter(kl_cases(covariance, against, seeds=seeds[:1])))
    same = first.q if with_p else standard_normal_like(first.q.batch_size, first.q.latent_dim, covariance)
    run = _run_case(fn, KLCase(f"q = p, {first.label}", same, same if with_p else None), convention, covariance, reduction)
    zero_atol = atol + rtol * same.latent_dim  # the terms that cancel are of size k
    outcomes.append(_value_outcome("KL(p‖p) = 0", [(_same_label(first, with_p), run.actual, run.expected)], 0.0, zero_atol, reduction))
    outcomes.append(
        _gradient_outcome(
            "KL(p‖p) gradient finite and zero",
            [(_same_label(first, with_p), *g) for g in run.gradients],
            rtol,
            zero_atol,
            scale=1.0,
        )
    )

    stress_values: list[tuple[str, Tensor, Tensor]] = []
    stress_gradients: list[tuple[str, str, Tensor | None, Tensor, str]] = []
    for case in kl_stress_cases(covariance, against, seeds[0]):
        run = _run_case(fn, case, convention, covariance, reduction)
        stress_values.append((case.label, run.actual, run.expected))
        stress_gradients.extend((case.label, *g) for g in run.gradients)
    outcomes.append(_value_outcome("KL value, stress", stress_values, rtol, atol, reduction))
    outcomes.append(_gradient_outcome("KL gradient, stress", stress_gradients, rtol, atol, scale=None))
    return outcomes


def _same_label(case: KLCase, with_p: bool) -> str:
    return f"q = p, {case.label}" if with_p else f"q = N(0, I), k={case.q.latent_dim}"


@dataclass(frozen=True)
class _CaseRun:
    actual: Tensor  # the user's KL, (B,) or ()
    expected: Tensor  # the closed form, same shape
    gradients: list[tuple[str, Tensor | None, Tensor, str]]  # (leaf, user gradient or None, exact, hint)


def _run_case(fn: Callable[..., Any], case: KLCase, convention: str, covariance: str, reduction: str) -> _CaseRun:
    q = to_user(case.q, convention, covariance)
    p: UserGaussian | None = to_user(case.p, convention, covariance) if case.p is not None else None
    batch, dim = case.q.batch_size, case.q.latent_dim
    args = q.args + (p.args if p is not None else ())
    signature = signature_text(convention, covariance, p is not None, batch, dim)
    output = call_user(fn, args, "your KL function", signature)
    expected_shape: tuple[int, ...] = (batch,) if reduction == "none" else ()
    meaning = "(B,), one KL per row" if reduction == "none" else f"(), the {reduction} over the batch"
    hints = {
        (): "a scalar: if you reduce over the batch on purpose, pass reduction='mean' or 'sum'",
        (batch, dim): "one value per latent coordinate: sum over the last dimension",
        (batch, 1): "drop the trailing dimension (keepdim=False)",
        (batch,): f"one KL per row: pass reduction='none' (you declared reduction={reduction!r})",
    }
    output = require_tensor_output(output, "your KL function", expected_shape, meaning, hints)

    reference = kl_divergence(q.reference, p.reference) if p is not None else kl_to_standard_normal(q.reference)
    weights = _row_weights(batch)
    if reduction == "none":
        actual_scalar, expected_scalar = (weights * output).sum(), (weights * reference).sum()
        expected_value = reference
    else:
        expected_value = reference.mean() if reduction == "mean" else reference.sum()
        actual_scalar, expected_scalar = output, expected_value
    if p is None:
        leaves = dict(q.leaves)
    else:  # name each side's leaves: mean_q, logvar_q, mean_p, logvar_p
        leaves = {**{f"{n}_q": v for n, v in q.leaves.items()}, **{f"{n}_p": v for n, v in p.leaves.items()}}
    user_grads = gradients_of(actual_scalar, leaves)
    exact_grads = gradients_of(expected_scalar, leaves)
    hint = missing_gradient_hint(actual_scalar)
    gradients = []
    for name, leaf in leaves.items():
        exact = exact_grads[name]
        exact = torch.zeros_like(leaf) if exact is None else exact
        user = user_grads[name]
        base = name.removesuffix("_q").removesuffix("_p")
        gradients.append(
            (name, None if user is None else lower_triangle_only(base, user), lower_triangle_only(base, exact), hint)
        )
    return _CaseRun(output.detach(), expected_value.detach(), gradients)


def _row_weights(batch: int) -> Tensor:
    # Fixed, distinct, positive weights: a gradient that leaks between rows cannot cancel out.
    return torch.linspace(0.6, 1.4, batch, dtype=torch.float64)


def _value_outcome(
    claim: str, values: list[tuple[str, Tensor, Tensor]], rtol: float, atol: float, reduction: str
) -> ClaimOutcome:
    worst: tuple[Mismatch, str, Tensor, Tensor] | None = None
    count = failures = 0
    for label, actual, expected in values:
        mismatch = worst_mismatch(actual, expected, rtol=rtol, atol=atol)
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, label, actual, expected)
    if worst is None:  # every check compares at least one case
        raise RuntimeError('no values were compared')
    mismatch, label, _, _ = worst
    # The pattern of the error (a constant factor or offset) shows best over every value compared.
    actual = torch.cat([a.reshape(-1) for _, a, _ in values])
    expected = torch.cat([e.reshape(-1) for _, _, e in values])
    where = f"row {mismatch.index[0]} of batch [{label}]" if mismatch.index else f"batch [{label}] ({reduction})"
    unit = "rows" if reduction == "none" else "batches"
    if failures:
        message = (
            f"{claim}: expected {mismatch.expected:.10g} (exact closed form), actual {mismatch.actual:.10g} "
            f"at {where}{non_finite_note(mismatch.actual)}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; "
            f"{failures} of {count} {unit} outside tolerance{pattern_hint(actual, expected)}; "
            f"sample size {count} {unit}, exact comparison"
        )
    else:
        message = (
            f"{claim}: all {count} {unit} within tolerance (largest |error| {mismatch.error:.3g} at {where}, "
            f"tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
    return ClaimOutcome(claim, failures == 0, mismatch.error, mismatch.tolerance, count, EXACT, message)


def _gradient_outcome(
    claim: str, gradients: list[GradientPair], rtol: float, atol: float, scale: float | None
) -> ClaimOutcome:
    pairs = [(f"in batch {label}", name, user, exact, hint) for label, name, user, exact, hint in gradients]
    return exact_gradient_outcome(
        claim, pairs, rtol=rtol, atol=atol, scale=scale, reference="autograd on the exact closed form"
    )
