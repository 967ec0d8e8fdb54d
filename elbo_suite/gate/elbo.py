"""Gate for a user's Monte Carlo ELBO or IWAE estimator.

Contract. The gate calls `fn(model, q, x, eps)` (noise="injected") or `fn(model, q, x, generator)`
(noise="generator"), positionally, with
- model: the exact linear-Gaussian model, and q: a Gaussian per data point, batched (B, k) —
  what a function may use of them is listed once, in `elbo_suite.gate.contract`;
- x: the data batch (B, d), float64, B distinct rows;
- eps: standard-normal noise, (L, B, k) for the ELBO kinds and (K, B, k) for IWAE; z = q.rsample(eps);
- generator: a seeded torch.Generator to draw all the noise from (L is then the user's choice,
  and K must be `num_particles`).
It returns the estimate for each data point, a float64 tensor of shape (B,) (the mean over the L
draws for the ELBO kinds; (L, B) per-draw values are accepted too and averaged). With
reduction="mean" or "sum" it may return the mean or the sum over the batch, shape (). With
returns="negative_elbo" it returns the loss −estimate. The estimate must be differentiable in
q's parameters (and the model's W, b) through the reparameterised draw.

kind:
- "elbo":             1/L Σ_l [log p(x, z_l) − log q(z_l)];
- "elbo_analytic_kl": 1/L Σ_l log p(x|z_l) − KL(q‖N(0, I));
- "iwae":             log 1/K Σ_k p(x, z_k)/q(z_k), K = num_particles ≥ 2.

Claims with injected noise, exact (no Monte Carlo error; |error| ≤ atol + rtol·|reference|):
"value on the same draw" (per data point, against the reference on the same eps) and "gradient
on the same draw" (autograd of the user's estimate against autograd of the reference, in q's
mean, log_std / scale_tril and the model's W, b). A wrong value or gradient on one draw is a bug.
Claims with a generator, statistical with false-alarm rate α each (Bonferroni over coordinates)
and power stated: "tight at the posterior" (exact: at q = p(z|x) every ELBO / IWAE draw equals
log p(x)), "unbiased", "bound ≤ log p(x)", "gap identity" (ELBO kinds), "IWAE ≥ ELBO" (IWAE),
"gradient unbiased" (the mean over calls of the autograd gradient in q's parameters).

Sizes: one setup per q family (B = 4, k = 3, d = 5, see `setups`); L = num_samples = 3 or
K = num_particles = 5 draws on injected noise; with a generator, `replicates` = 1000 independent
calls per setup, and 5 calls per setup at the posterior. gradient="none" skips the same-draw
gradient claim, for a surrogate whose gradient is deliberately not that of its value (DReG).

Stress (every check runs there too): two set-ups with k = 16 and d = 256 or 512 where the
log-weights sit 1000–2000 nats from 0 — q far from p(z|x), or a sharp likelihood — so exp of a
log-weight underflows or overflows. With injected noise: "value on the same draw, stress" and
"gradient on the same draw, stress", exact; with a generator: "finite under stress". A NaN or inf
is a failed claim (overflow / underflow), not bad input. Messages and claims are in the user's
own quantity: with returns="negative_elbo" a loss is shown as a loss (and "loss ≥ −log p(x)").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.compare import (
    NON_FINITE,
    Mismatch,
    exact_gradient_outcome,
    non_finite_note,
    pattern_hint,
    worst_mismatch,
)
from elbo_suite.gate.differentiate import gradients_of, missing_gradient_hint
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.options import require_alpha, require_choice, require_int, require_tolerances
from elbo_suite.gate.references import ESTIMATOR_KINDS, reference_estimate
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.setups import (
    FAMILIES,
    LATENT_DIM,
    STRESS_SCENARIOS,
    LiveSetup,
    Setup,
    live,
    make_setup,
    stress_setups,
)
from elbo_suite.gate.statistics import ZTest, z_test
from elbo_suite.gate.threads import single_threaded
from elbo_suite.gate.reductions import REDUCTIONS
from elbo_suite.estimators.iwae import iwae_samples
from elbo_suite.estimators.kl import kl_divergence

NOISES = ("injected", "generator")
RETURNS = ("elbo", "negative_elbo")
GRADIENT_CHECKS = ("same_draw", "none")
Q_FAMILIES = ("diagonal", "full", "both")


def check_elbo_estimator(
    fn: Callable[..., Any],
    *,
    kind: str = "elbo",
    num_particles: int = 5,
    num_samples: int = 3,
    noise: str = "injected",
    q_family: str = "both",
    reduction: str = "none",
    returns: str = "elbo",
    gradient: str = "same_draw",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    alpha: float = 1e-6,
    replicates: int = 1000,
    seed: int = 0,
) -> GateResult:
    """Check a user's ELBO / IWAE estimator against the exact model; see the module docstring.

    num_samples is L for the ELBO kinds with injected noise; num_particles is K for IWAE.
    gradient="none" skips the same-draw gradient claim (for an estimator whose gradient is
    deliberately not the autograd gradient of its value, e.g. a DReG surrogate).
    """
    fn = require_callable("fn", fn)
    require_choice("kind", kind, ESTIMATOR_KINDS)
    require_choice("noise", noise, NOISES)
    require_choice("q_family", q_family, Q_FAMILIES)
    require_choice("reduction", reduction, REDUCTIONS)
    require_choice("returns", returns, RETURNS)
    require_choice("gradient", gradient, GRADIENT_CHECKS)
    require_int("num_particles", num_particles, 2)
    require_int("num_samples", num_samples, 1)
    require_int("replicates", replicates, 10)
    require_int("seed", seed, 0)
    require_tolerances(rtol, atol)
    require_alpha(alpha)
    families = FAMILIES if q_family == "both" else (q_family,)
    setups = [make_setup(family, seed + i) for i, family in enumerate(families)]
    stress = stress_setups(families, seed)
    draws = num_particles if kind == "iwae" else num_samples
    call = _UserEstimator(fn, kind, draws, reduction, returns, noise)
    subject = (
        f"{kind.upper() if kind == 'iwae' else kind} estimator ({noise} noise, "
        + (f"K = {num_particles}, " if kind == "iwae" else "")
        + f"q {q_family}, reduction {reduction}, returns {returns})"
    )
    with single_threaded():
        if noise == "injected":
            outcomes = _injected_claims(call, setups, draws, gradient, rtol, atol, seed)
            outcomes += _injected_claims(call, stress, draws, gradient, rtol, atol, seed, stress=True)
        else:
            outcomes = _generator_claims(call, setups, num_particles, rtol, atol, alpha, replicates, seed)
            outcomes.append(_finite_under_stress(call, stress, seed))
    return GateResult.from_claims(
        subject, outcomes, kind=kind, noise=noise, num_particles=num_particles,
        num_samples=num_samples, q_family=q_family, reduction=reduction, returns=returns,
        rtol=rtol, atol=atol, alpha=alpha, seed=seed,
        setups=[s.label for s in setups + stress],
    )


class _UserEstimator:
    """Calls the user's function and brings its output to one value per data point (B,) or (),
    in the user's own quantity (the loss −estimate when returns="negative_elbo")."""

    def __init__(self, fn: Callable[..., Any], kind: str, draws: int, reduction: str, returns: str, noise: str):
        self.fn, self.kind, self.draws = fn, kind, draws
        self.reduction, self.returns, self.noise = reduction, returns, noise
        self.sign = -1.0 if returns == "negative_elbo" else 1.0  # user quantity = sign · estimate
        self.quantity = "loss" if returns == "negative_elbo" else "estimate"

    def __call__(self, setup: LiveSetup, noise: Tensor | torch.Generator) -> Tensor:
        batch, dim = setup.x.shape[0], setup.q.latent_dim
        family = "DiagonalGaussian" if "q.log_std" in setup.leaves else "FullCovGaussian"
        last = (
            f"eps ({self.draws}, {batch}, {dim})" if isinstance(noise, Tensor) else "generator"
        )
        signature = f"fn(model LinearGaussianModel, q {family} ({batch}, {dim}), x ({batch}, {setup.x.shape[1]}), {last})"
        hint = "" if family == "DiagonalGaussian" else (
            "; if your function only handles a diagonal q, pass q_family='diagonal'"
        )
        output = call_user(self.fn, (setup.model, setup.q, setup.x, noise), "your estimator", signature, hint)
        if self.reduction == "none":
            meaning = "(B,), one estimate per data point"
            expected = (batch,)
            if isinstance(output, Tensor) and self.kind != "iwae" and output.dim() == 2 and output.shape[1] == batch:
                expected = tuple(output.shape)  # (L, B) per-draw values: averaged below
                meaning = "(L, B) per-draw values"
        else:
            meaning = f"(), the {self.reduction} over the batch"
            expected = ()
        hints = {
            (): "a scalar: if you reduce over the batch on purpose, pass reduction='mean' or 'sum'",
            (batch,): f"one value per data point: pass reduction='none' (you declared {self.reduction!r})",
            (batch, 1): "drop the trailing dimension",
            (self.draws, batch): "per-draw values: reduce over the draws (log-mean-exp for IWAE)",
        }
        output = require_tensor_output(output, "your estimator", expected, meaning, hints)
        return output.mean(0) if output.dim() == 2 else output

    def reduce(self, per_point: Tensor) -> Tensor:
        if self.reduction == "mean":
            return per_point.mean()
        if self.reduction == "sum":
            return per_point.sum()
        return per_point

    def user(self, per_point: Tensor) -> Tensor:
        """A per-data-point reference (an ELBO or a log p(x)) in the user's quantity and reduction."""
        return self.sign * self.reduce(per_point)


def _row_weights(batch: int) -> Tensor:
    # Distinct positive weights per data point: a gradient leaking between data points shows.
    return torch.linspace(0.6, 1.4, batch, dtype=torch.float64)


def _scalar(values: Tensor) -> Tensor:
    return (_row_weights(values.shape[0]) * values).sum() if values.dim() == 1 else values


# ---------------------------------------------------------------------------------------------
# injected noise: exact comparisons on the same draw
# ---------------------------------------------------------------------------------------------
def _injected_claims(
    call: _UserEstimator, setups: list[Setup], draws: int, gradient: str, rtol: float, atol: float, seed: int,
    stress: bool = False,
) -> list[ClaimOutcome]:
    value_runs = []
    gradient_runs = []
    for i, setup in enumerate(setups):
        generator = torch.Generator().manual_seed(10_000 + seed + i + (500 if stress else 0))
        eps = torch.randn(draws, *setup.q.mean.shape, generator=generator, dtype=torch.float64)
        state = live(setup)
        actual = call(state, eps.clone())
        expected = call.user(reference_estimate(call.kind, state.model, state.q, state.x, eps))
        others = {
            kind: call.user(reference_estimate(kind, state.model, state.q, state.x, eps)).detach()
            for kind in ESTIMATOR_KINDS
            if kind != call.kind
        }
        value_runs.append((setup.label, actual.detach(), expected.detach(), others))
        user_scalar, exact_scalar = _scalar(actual), _scalar(expected)
        user_grads = gradients_of(user_scalar, state.leaves)
        exact_grads = gradients_of(exact_scalar, state.leaves)
        gradient_runs.append((setup.label, user_grads, exact_grads, missing_gradient_hint(user_scalar)))
    suffix = ", stress" if stress else ""
    outcomes = [_same_draw_value(call, value_runs, draws, rtol, atol, suffix)]
    if gradient == "same_draw":
        outcomes.append(_same_draw_gradient(gradient_runs, rtol, atol, suffix))
    return outcomes


def _same_draw_value(call: _UserEstimator, runs: list, draws: int, rtol: float, atol: float, suffix: str = "") -> ClaimOutcome:
    claim = "value on the same draw" + suffix
    unit = "data points" if call.reduction == "none" else "batches"
    worst = None
    count = failures = 0
    for label, actual, expected, others in runs:
        mismatch = worst_mismatch(actual, expected, rtol=rtol, atol=atol)
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, label, actual, expected, others)
    if worst is None:  # every check compares at least one case
        raise RuntimeError('no values were compared')
    mismatch, label, actual, expected, others = worst
    where = f"data point {mismatch.index[0]} [{label}]" if mismatch.index else f"[{label}]"
    reference = {"elbo": "log p(x,z) − log q(z)", "elbo_analytic_kl": "log p(x|z) − KL(q‖prior)", "iwae": "log-mean-exp of the weights"}[call.kind]
    if call.sign < 0:
        reference = f"the loss −[{reference}]"
    if not failures:
        message = (
            f"{claim}: all {count} {unit} within tolerance (largest |error| {mismatch.error:.3g} at {where}, "
            f"tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
        return ClaimOutcome(claim, True, mismatch.error, mismatch.tolerance, count, EXACT, message)
    diagnosis = (
        non_finite_note(mismatch.actual) if not math.isfinite(mismatch.actual)
        else _diagnosis(call, actual, expected, others, draws)
    )
    message = (
        f"{claim}: expected {mismatch.expected:.10g} (reference {reference} on your eps), actual "
        f"{mismatch.actual:.10g} at {where}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; "
        f"{failures} of {count} {unit} outside tolerance{diagnosis}; "
        f"sample size {count} {unit}, exact comparison"
    )
    return ClaimOutcome(claim, False, mismatch.error, mismatch.tolerance, count, EXACT, message)


def _diagnosis(call: _UserEstimator, actual: Tensor, expected: Tensor, others: dict[str, Tensor], draws: int) -> str:
    for kind, values in others.items():
        if bool(torch.allclose(actual, values, rtol=1e-9, atol=1e-12)):
            if call.kind == "iwae" and kind == "elbo":
                return "; your values equal the plain ELBO on the same K draws: mean of log-weights instead of log-mean-exp?"
            return f"; your values match kind={kind!r} on every data point: is that the estimator you meant?"
    offset = actual - expected
    if actual.numel() > 1 and float((offset - offset.mean()).abs().max()) <= 1e-8 * (1.0 + float(expected.abs().max())):
        constant = float(offset.mean())
        named = {
            "log K": math.log(draws), "−log K": -math.log(draws),
            "log K − log(K−1), a division by K−1": math.log(draws) - math.log(max(draws - 1, 1)),
            "log K − log(K+1), a division by K+1": math.log(draws) - math.log(draws + 1),
        } if call.kind == "iwae" else {}
        for name, value in named.items():
            if abs(call.sign * constant - value) <= 1e-8:
                return f"; actual − expected = {constant:.6g} = {'' if call.sign > 0 else 'minus '}{name} everywhere (the −log K normaliser)"
    if draws > 1 and actual.numel() > 1 and bool((expected.abs() > 1e-12).all()):
        # Only a factor of exactly L (at L ≥ 2) is a sum over the draws; a ratio near 1 is not.
        ratio = actual / expected
        if float((ratio - ratio.mean()).abs().max()) <= 1e-6 * float(ratio.abs().mean()):
            r = float(ratio.mean())
            if abs(r - draws) <= 1e-9 * draws:
                return f"; actual/expected = {r:.6g} = L everywhere: a sum over the draws where the mean belongs"
    return pattern_hint(actual, expected)


def _flatten_leaf(name: str, tensor: Tensor) -> Tensor:
    if name.endswith("scale_tril"):
        return torch.tril(tensor)
    return tensor


def _same_draw_gradient(runs: list, rtol: float, atol: float, suffix: str = "") -> ClaimOutcome:
    hint = "sample z with q.rsample(eps), not a detached sample"
    pairs = [
        (label, name, None if user_grads[name] is None else _flatten_leaf(name, user_grads[name]),
         _flatten_leaf(name, exact), f"{missing} — {hint}")
        for label, user_grads, exact_grads, missing in runs
        for name, exact in exact_grads.items()
        if exact is not None
    ]
    return exact_gradient_outcome(
        "gradient on the same draw" + suffix, pairs, rtol=rtol, atol=atol, scale=None,
        reference="autograd of the reference on your eps",
    )


# ---------------------------------------------------------------------------------------------
# generator noise: tightness (exact) and statistical claims
# ---------------------------------------------------------------------------------------------
TIGHTNESS_CALLS = 5
REFERENCE_GROUPS = 40_000  # draws of the reference IWAE, for its expectation and gradient
REFERENCE_CHUNKS = 20


def _generator_claims(
    call: _UserEstimator, setups: list[Setup], num_particles: int, rtol: float, atol: float,
    alpha: float, replicates: int, seed: int,
) -> list[ClaimOutcome]:
    """Every claim in the user's own quantity: for a loss, "loss ≥ −log p(x)" and so on."""
    for i, setup in enumerate(setups):
        _require_uses_generator(call, setup, 20_000 + seed + i)
    outcomes: list[ClaimOutcome] = []
    if call.kind in ("elbo", "iwae"):
        outcomes.append(_tightness(call, setups, rtol, atol, seed))
    samples = [_replicate(call, setup, replicates, 30_000 + seed + i) for i, setup in enumerate(setups)]
    # Each statistical claim tests all setups together at level α (Bonferroni inside z_test).
    values = torch.cat([v for v, _ in samples], dim=-1)  # (R, S·B) or (R, S)
    grads = torch.cat([g for _, g in samples], dim=-1)
    labels = [s.label for s in setups]
    per_setup = values.shape[1] // len(setups)

    def where(index: int) -> str:
        setup = labels[index // per_setup]
        return f"data point {index % per_setup} [{setup}]" if call.reduction == "none" else f"[{setup}]"

    broken = _non_finite_replicates(values, where, "calls")
    if broken is not None:
        return outcomes + [broken]
    log_marginal = torch.cat([call.user(s.model.log_marginal(s.x)).reshape(-1) for s in setups]).detach()
    closed_elbo = torch.cat([call.user(s.model.elbo(s.x, s.q)).reshape(-1) for s in setups]).detach()
    loss = call.sign < 0
    # For a loss every inequality turns round: loss ≥ −log p(x), IWAE loss ≤ −ELBO.
    below, above = ("greater", "less") if loss else ("less", "greater")
    bound = ("loss ≥ −log p(x)", "at least −log p(x)") if loss else ("bound ≤ log p(x)", "at most log p(x)")
    if call.kind == "iwae":
        reference, reference_se, reference_grad, reference_grad_se = _reference_iwae(call, setups, num_particles, seed)
        outcomes.append(statistical_outcome("unbiased", z_test(values, reference, alpha=alpha, expected_standard_error=reference_se), "E[reference IWAE_K]" if not loss else "E[reference IWAE_K loss]", where, alpha, "calls"))
        outcomes.append(statistical_outcome(bound[0], z_test(values, log_marginal, alpha=alpha, side=below), bound[1], where, alpha, "calls"))
        ordering = ("IWAE loss ≤ −ELBO", "at most the closed-form −ELBO") if loss else ("IWAE ≥ ELBO", "at least the closed-form ELBO")
        outcomes.append(statistical_outcome(ordering[0], z_test(values, closed_elbo, alpha=alpha, side=above), ordering[1], where, alpha, "calls"))
        outcomes.append(statistical_outcome("gradient unbiased", z_test(grads, reference_grad, alpha=alpha, expected_standard_error=reference_grad_se), "E[gradient of the reference IWAE_K]", _gradient_where(setups), alpha, "calls"))
        return outcomes
    outcomes.append(statistical_outcome("unbiased", z_test(values, closed_elbo, alpha=alpha), "closed-form −ELBO" if loss else "closed-form ELBO", where, alpha, "calls"))
    outcomes.append(statistical_outcome(bound[0], z_test(values, log_marginal, alpha=alpha, side=below), bound[1], where, alpha, "calls"))
    gap = torch.cat([call.reduce(kl_divergence(s.q, s.model.posterior(s.x))).reshape(-1) for s in setups]).detach()
    gap_text = "E[loss] − (−log p(x)) = KL(q‖p(z|x))" if loss else "log p(x) − E[estimate] = KL(q‖p(z|x))"
    outcomes.append(statistical_outcome("gap identity", z_test(call.sign * (log_marginal - values), gap, alpha=alpha), gap_text, where, alpha, "calls"))
    exact = torch.cat([_exact_gradient(call, s) for s in setups])
    outcomes.append(statistical_outcome("gradient unbiased", z_test(grads, exact, alpha=alpha), "autograd of the closed-form " + ("−ELBO" if loss else "ELBO"), _gradient_where(setups), alpha, "calls"))
    return outcomes


def _non_finite_replicates(values: Tensor, where: Callable[[int], str], unit: str) -> ClaimOutcome | None:
    bad = ~torch.isfinite(values)
    if not bool(bad.any()):
        return None
    call_index, coordinate = (int(i) for i in bad.nonzero()[0])
    claim = "finite values"
    message = (
        f"{claim}: expected finite values, actual {float(values[call_index, coordinate])} on call {call_index} at "
        f"{where(coordinate)} ({NON_FINITE}); {int(bad.any(1).sum())} of {values.shape[0]} {unit} non-finite; "
        f"sample size {values.shape[0]} {unit}"
    )
    return ClaimOutcome(claim, False, float("inf"), 0.0, values.shape[0], EXACT, message)


def _finite_under_stress(call: _UserEstimator, setups: list[Setup], seed: int) -> ClaimOutcome:
    """With a generator the draws are the user's, so under stress only finiteness is exact."""
    claim = "finite under stress"
    calls = 3
    for i, setup in enumerate(setups):
        for r in range(calls):
            state = live(setup)
            values = call(state, torch.Generator().manual_seed(80_000 + seed + 10 * i + r)).detach()
            bad = ~torch.isfinite(values.reshape(-1))
            if bool(bad.any()):
                index = int(bad.nonzero()[0])
                where = f"data point {index}" if call.reduction == "none" else "the batch"
                message = (
                    f"{claim}: expected a finite {call.quantity}, actual {float(values.reshape(-1)[index])} at "
                    f"{where} [{setup.label}; {STRESS_SCENARIOS[_scenario(setup)].log_weights}] ({NON_FINITE}); "
                    f"sample size {calls} calls per stress set-up"
                )
                return ClaimOutcome(claim, False, float("inf"), 0.0, calls * len(setups), EXACT, message)
    message = (
        f"{claim}: every {call.quantity} finite on {len(setups)} stress set-ups "
        f"({'; '.join(s.label for s in setups)}); sample size {calls * len(setups)} calls"
    )
    return ClaimOutcome(claim, True, 0.0, 0.0, calls * len(setups), EXACT, message)


def _scenario(setup: Setup) -> str:
    return next(name for name in STRESS_SCENARIOS if name in setup.label)


def _require_uses_generator(call: _UserEstimator, setup: Setup, seed: int) -> None:
    first = call(live(setup), torch.Generator().manual_seed(seed)).detach()
    second = call(live(setup), torch.Generator().manual_seed(seed)).detach()
    if not torch.equal(torch.nan_to_num(first), torch.nan_to_num(second)):
        raise GateInputError(
            "your estimator returned different values for two generators with the same seed; "
            "expected all noise drawn from the generator argument (e.g. torch.randn(..., generator=generator))"
        )


def _tightness(call: _UserEstimator, setups: list[Setup], rtol: float, atol: float, seed: int) -> ClaimOutcome:
    claim = "tight at the posterior"
    worst: tuple[Mismatch, str] | None = None
    count = failures = 0
    for i, setup in enumerate(setups):
        for r in range(TIGHTNESS_CALLS):
            state = live(setup, setup.posterior_q)
            actual = call(state, torch.Generator().manual_seed(40_000 + seed + 100 * i + r)).detach()
            expected = call.user(setup.model.log_marginal(setup.x)).detach()
            mismatch = worst_mismatch(actual, expected, rtol=rtol, atol=atol)
            count += mismatch.count
            failures += mismatch.failures
            if worst is None or mismatch.ratio > worst[0].ratio:
                worst = (mismatch, setup.label)
    if worst is None:  # every check compares at least one case
        raise RuntimeError('no values were compared')
    mismatch, label = worst
    where = f"data point {mismatch.index[0]} [{label}]" if mismatch.index else f"[{label}]"
    if failures:
        message = (
            f"{claim}: expected {mismatch.expected:.10g} (exact {'−' if call.sign < 0 else ''}log p(x): at q = p(z|x) "
            f"every draw gives it), actual {mismatch.actual:.10g} at {where}{non_finite_note(mismatch.actual)}; "
            f"|error| {mismatch.error:.3g} > tolerance "
            f"{mismatch.tolerance:.3g}; {failures} of {count} values outside tolerance; sample size {count} "
            f"values from {TIGHTNESS_CALLS} calls per setup, exact comparison"
        )
    else:
        message = (
            f"{claim}: all {count} values equal {'−' if call.sign < 0 else ''}log p(x) within tolerance (largest |error| {mismatch.error:.3g}); "
            f"sample size {count}, exact comparison"
        )
    return ClaimOutcome(claim, failures == 0, mismatch.error, mismatch.tolerance, count, EXACT, message)


def _q_leaf_names(setup: Setup) -> list[str]:
    return ["q.mean", "q.log_std" if setup.family == "diagonal" else "q.scale_tril"]


def _flat_q_gradient(grads: dict[str, Tensor | None], setup: Setup, leaves: dict[str, Tensor]) -> Tensor:
    parts = []
    for name in _q_leaf_names(setup):
        g = grads[name]
        g = torch.zeros_like(leaves[name]) if g is None else g
        if name == "q.scale_tril":
            rows, cols = torch.tril_indices(LATENT_DIM, LATENT_DIM)
            g = g[:, rows, cols]
        parts.append(g.reshape(-1))
    return torch.cat(parts)


def _gradient_where(setups: list[Setup]) -> Callable[[int], str]:
    names: list[str] = []
    for setup in setups:
        for name in _q_leaf_names(setup):
            if name == "q.scale_tril":
                rows, cols = torch.tril_indices(LATENT_DIM, LATENT_DIM).tolist()
                names += [f"d/d {name}[{b}, {r}, {c}] [{setup.label}]" for b in range(setup.x.shape[0]) for r, c in zip(rows, cols)]
            else:
                names += [f"d/d {name}[{b}, {j}] [{setup.label}]" for b in range(setup.x.shape[0]) for j in range(LATENT_DIM)]
    return lambda index: names[index]


def _replicate(call: _UserEstimator, setup: Setup, replicates: int, seed: int) -> tuple[Tensor, Tensor]:
    """(R, B) or (R, 1) values and (R, P) gradients in q's parameters from R independent calls."""
    generator = torch.Generator().manual_seed(seed)
    values, grads = [], []
    for _ in range(replicates):
        state = live(setup)
        output = call(state, generator)
        grad = gradients_of(_scalar(output), {n: state.leaves[n] for n in _q_leaf_names(setup)})
        values.append(output.detach().reshape(-1))
        grads.append(_flat_q_gradient(grad, setup, state.leaves))
    return torch.stack(values), torch.stack(grads)


def _exact_gradient(call: _UserEstimator, setup: Setup) -> Tensor:
    state = live(setup)
    value = _scalar(call.user(state.model.elbo(state.x, state.q)))
    return _flat_q_gradient(gradients_of(value, state.leaves), setup, state.leaves)


def _reference_iwae(
    call: _UserEstimator, setups: list[Setup], num_particles: int, seed: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """E[IWAE_K] per data point and its gradient in q's parameters, estimated from many draws."""
    means, ses, grad_means, grad_ses = [], [], [], []
    for i, setup in enumerate(setups):
        generator = torch.Generator().manual_seed(50_000 + seed + i)
        per_chunk = REFERENCE_GROUPS // REFERENCE_CHUNKS
        chunk_values, chunk_grads = [], []
        for _ in range(REFERENCE_CHUNKS):
            eps = torch.randn(per_chunk, num_particles, *setup.q.mean.shape, generator=generator, dtype=torch.float64)
            state = live(setup)
            values = call.user(iwae_samples(state.model, state.q, state.x, eps=eps).mean(0))  # (B,)
            grad = gradients_of(_scalar(values), {n: state.leaves[n] for n in _q_leaf_names(setup)})
            chunk_values.append(values.detach().reshape(-1))
            chunk_grads.append(_flat_q_gradient(grad, setup, state.leaves))
        v, g = torch.stack(chunk_values), torch.stack(chunk_grads)  # (chunks, B), (chunks, P)
        means.append(v.mean(0))
        ses.append(v.std(0) / math.sqrt(REFERENCE_CHUNKS))
        grad_means.append(g.mean(0))
        grad_ses.append(g.std(0) / math.sqrt(REFERENCE_CHUNKS))
    return torch.cat(means), torch.cat(ses), torch.cat(grad_means), torch.cat(grad_ses)


def statistical_outcome(claim: str, test: ZTest, reference: str, where: Callable[[int], str], alpha: float, unit: str) -> ClaimOutcome:
    side = f"Bonferroni over {test.coordinates} coordinates"
    if test.side == "two-sided":
        statistic, bound = f"|z| = {abs(test.z):.3g}", f"{test.critical:.3g}"
    elif test.side == "less":
        statistic, bound = f"z = {test.z:.3g}", f"{test.critical:.3g} (one-sided)"
    else:
        statistic, bound = f"z = {test.z:.3g}", f"−{test.critical:.3g} (one-sided)"
    if test.passed:
        relation = "≥" if test.side == "greater" else "≤"
        message = (
            f"{claim}: worst {statistic} {relation} {bound} at {where(test.index)} "
            f"(estimate {test.estimate:.6g} ± {test.standard_error:.2g}, {reference} {test.expected:.6g}); "
            f"α = {alpha:g} ({side}); detects a bias ≥ {test.detectable:.3g} with probability {test.power:g}; "
            f"sample size {test.n} {unit}"
        )
    else:
        message = (
            f"{claim}: expected {reference} = {test.expected:.6g}, actual {test.estimate:.6g} ± "
            f"{test.standard_error:.2g} (SE) at {where(test.index)}; {statistic} beyond {bound} "
            f"(α = {alpha:g}, {side}); sample size {test.n} {unit}"
        )
    error = abs(test.estimate - test.expected)
    return ClaimOutcome(claim, test.passed, error, test.critical * test.standard_error, test.n, alpha, message)
