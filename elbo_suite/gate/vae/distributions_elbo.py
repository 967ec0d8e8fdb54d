"""Gate for `elbo(x, encoder, decoder, prior)` written over torch.distributions (Pyro / TFP style).

Contract. The gate calls the function positionally, in the order its parameter names say
(`x`/`data`/`batch`..., `encoder`/`enc`/`guide`/`q`..., `decoder`/`dec`/`likelihood`...,
`prior`/`p_z`...), with
- x: the data batch (B, d), float64 (binary for a Bernoulli decoder);
- encoder: an nn.Module, encoder(x) -> q(z|x), a Normal over (B, k) (see `modules`);
- decoder: an nn.Module, decoder(z) -> p(x|z), a Normal(W z + b, σ) or a Bernoulli(logits=W z + b)
  over (..., B, d), for z of any leading shape;
- prior: the distribution N(0, I_k);
wrapped in Independent(·, 1) when events="independent" (log_prob per data point) and plain when
events="factorised" (log_prob per coordinate: your code sums). The function draws z from q with
rsample() / sample() (any sample shape), and returns the ELBO estimate (returns="elbo") or the loss
−ELBO (returns="negative_elbo"; None reads the function's name), per data point (B,) or reduced
over the batch (), as a tensor, a (loss, *parts) tuple or a dict with a 'loss' entry. kind="iwae":
the function draws K particles, q.rsample((K,)), and returns log (1/K) Σ_k p(x, z_k)/q(z_k|x).

Claims. The gate supplies q's noise, so every draw is known (`modules.NoiseSource`), and the
exact estimate on those draws is computed from the same modules:
1. "value on the same draw": equal, to rounding, to one of the exact estimates on your draws —
   log p(x|z) averaged over the draws minus β·KL(q‖p(z)) in closed form, or minus β times the
   Monte Carlo KL log q(z) − log p(z); for IWAE the log-mean-exp of the importance weights —
   with β as declared (default 1). A failure is explained by the objective your function does
   compute (`implied`): which weight the log-likelihood and the KL carry, KL(p‖q) for KL(q‖p).
2. "gradient on the same draw": the autograd gradient in every encoder and decoder parameter
   equals that estimate's (z from sample() instead of rsample() loses the encoder's path).
3. "value, stress" / "gradient, stress": the same on a high-dimensional set-up (k = 16, d = 256)
   with q far from the prior and a sharp decoder: log-weights thousands of nats from 0.
If your function draws its own noise (torch.randn_like, ...), the same-draw claims cannot apply:
the gate then repeats the call (`replicates` times, torch's generator seeded) and tests, at level
α each: "unbiased" and "gradient unbiased" (against the closed-form ELBO for a Gaussian decoder,
a 40 000-draw reference for a Bernoulli one), "bound ≤ log p(x)" and "gap identity" — these two
need the exact log p(x), so for a Bernoulli decoder they are skipped and the result says why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.distributions import Bernoulli, Normal

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.compare import NON_FINITE, exact_gradient_outcome, non_finite_note, worst_mismatch
from elbo_suite.gate.differentiate import gradients_of, missing_gradient_hint
from elbo_suite.gate.elbo import statistical_outcome
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.options import require_alpha, require_choice, require_int, require_tolerances
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.statistics import z_test
from elbo_suite.gate.threads import single_threaded
from elbo_suite.gate.vae.implied import coprime_sizes, fit_affine, number
from elbo_suite.gate.vae.loss_function import kl_standard_normal
from elbo_suite.gate.vae.modules import (
    DECODERS,
    EVENTS,
    GateDecoder,
    GateEncoder,
    NoiseSource,
    standard_normal_prior,
)
from elbo_suite.gate.vae.outputs import split_output
from elbo_suite.gate.vae.signatures import declared_beta, declared_returns, distribution_roles, read_signature
from elbo_suite.gate.reductions import REDUCTIONS, reduce_batch
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational import DiagonalGaussian

KINDS = ("elbo", "iwae")
RETURNS = ("elbo", "negative_elbo")
DATA_DIM = 7
NOISE_STD = 0.7
MAIN_SETTINGS = 4
STRESS = {"latent_dim": 16, "data_dim": 256, "shift": 4.0, "noise_std": 0.5}  # log-weights ≈ −10⁴ nats
REFERENCE_DRAWS = 40_000


def check_distributions_elbo(
    fn: Callable[..., Any],
    *,
    kind: str = "elbo",
    likelihood: str = "gaussian",
    events: str = "independent",
    beta: float | None = None,
    reduction: str | None = None,
    returns: str | None = None,
    arguments: tuple[str, ...] | None = None,
    gradient: str = "same_draw",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    alpha: float = 1e-6,
    replicates: int = 400,
    seed: int = 0,
) -> GateResult:
    """Check `elbo(x, encoder, decoder, prior)`; see the module docstring.

    likelihood: the decoder, "gaussian" (σ = 0.7) or "bernoulli". events: "independent" or
    "factorised" distributions. beta: the KL weight you mean (default: a `beta=` default of your
    function, else 1). reduction: "none", "mean", "sum", or None for per data point by shape, else
    whichever of the batch mean and sum your value is. arguments: your parameters' roles, from
    ('x', 'encoder', 'decoder', 'prior'), when the names do not say. gradient="none" skips the
    same-draw gradient claims, for a surrogate whose gradient is deliberately not that of its
    value (sticking the landing: log q(z) with q's parameters detached).
    """
    fn = require_callable("fn", fn)
    require_choice("kind", kind, KINDS)
    require_choice("likelihood", likelihood, DECODERS)
    require_choice("events", events, EVENTS)
    if reduction is not None:
        require_choice("reduction", reduction, REDUCTIONS)
    signature = read_signature(fn)
    if returns is None:
        returns = declared_returns(signature, "elbo")
    require_choice("returns", returns, RETURNS)
    beta_text = "the ELBO"
    if beta is None:
        found = declared_beta(signature)
        beta, beta_text = (found[0], f"your default {found[1]}=") if found is not None else (1.0, "the ELBO")
    else:
        beta_text = "declared"
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta < 0:
        raise GateInputError(f"beta: expected a finite float ≥ 0, got {beta!r}")
    require_tolerances(rtol, atol)
    require_alpha(alpha)
    require_int("replicates", replicates, 10)
    require_choice("gradient", gradient, ("same_draw", "none"))
    require_int("seed", seed, 0)
    roles = _roles(signature, arguments)
    call = _Call(fn, roles, signature, kind, likelihood, events, float(beta), reduction, returns)

    with single_threaded():
        main = [call(_setting(call, seed, i, stress=False)) for i in range(MAIN_SETTINGS)]
        if any(run.setting.source.draws for run in main):
            skipped: list[tuple[str, str]] = []
            call.settle_reduction(main)
            stress = [call(_setting(call, seed, i, stress=True)) for i in range(2)]
            value, matched = _value(call, main, rtol, atol, "")
            stress_value, stress_matched = _value(call, stress, rtol, atol, ", stress")
            outcomes = [value, stress_value]
            if gradient == "same_draw":
                outcomes = [value, _gradient(call, main, matched, rtol, atol, ""), stress_value,
                            _gradient(call, stress, stress_matched, rtol, atol, ", stress")]
        else:
            outcomes, skipped = _own_noise_claims(call, main, alpha, replicates, seed)
    subject = (
        f"{'IWAE' if kind == 'iwae' else 'ELBO'} {call.text} over torch.distributions ({likelihood} decoder, "
        f"{events} events, {call.reduction_text}, returns {returns}, β = {beta:g} from {beta_text})"
    )
    if skipped:
        subject += "; skipped: " + "; ".join(f"{claim} ({reason})" for claim, reason in skipped)
    return GateResult.from_claims(
        subject, outcomes, style="distributions", kind=kind, likelihood=likelihood, events=events, beta=beta,
        reduction=call.reduction, returns=returns, arguments=list(roles), gradient=gradient, rtol=rtol, atol=atol, alpha=alpha,
        seed=seed, skipped=[{"claim": c, "reason": r} for c, r in skipped],
    )


def _roles(signature, arguments) -> tuple[str, ...]:
    allowed = ("x", "encoder", "decoder", "prior")
    if arguments is not None:
        roles = tuple(arguments) if isinstance(arguments, (tuple, list)) else ()
        if sorted(roles) != sorted(allowed):
            raise GateInputError(
                f"arguments: expected the roles of your 4 parameters in order, each of {allowed} once, got {arguments!r}"
            )
        return roles
    if signature is None:
        return allowed
    return distribution_roles(signature)


# ---------------------------------------------------------------------------------------------
# settings and calls
# ---------------------------------------------------------------------------------------------
@dataclass
class _Setting:
    x: Tensor  # (B, d)
    encoder: GateEncoder
    decoder: GateDecoder
    prior: Any
    source: NoiseSource
    label: str
    leaves: dict[str, Tensor] = field(default_factory=dict)


def _setting(call: "_Call", seed: int, index: int, *, stress: bool) -> _Setting:
    base = 130_000 + 1000 * seed + index + (500 if stress else 0)
    generator = torch.Generator().manual_seed(base)
    data_dim = STRESS["data_dim"] if stress else DATA_DIM
    batch, latent = coprime_sizes(DATA_DIM)
    latent = STRESS["latent_dim"] if stress else latent
    noise_std = STRESS["noise_std"] if stress else NOISE_STD
    source = NoiseSource(torch.Generator().manual_seed(base + 7))
    encoder = GateEncoder(data_dim, latent, generator, call.events, source, shift=STRESS["shift"] if stress else 0.0)
    decoder = GateDecoder(latent, data_dim, generator, call.events, call.likelihood, noise_std)
    with torch.no_grad():
        z = torch.randn(batch, latent, generator=generator, dtype=torch.float64)
        mean = decoder.linear(z)
        if call.likelihood == "gaussian":
            x = mean + noise_std * torch.randn(batch, data_dim, generator=generator, dtype=torch.float64)
        else:
            x = (torch.rand(batch, data_dim, generator=generator, dtype=torch.float64) < torch.sigmoid(mean)).double()
    leaves = {f"encoder.{n}": p for n, p in encoder.named_parameters()}
    leaves.update({f"decoder.{n}": p for n, p in decoder.named_parameters()})
    label = (f"stress setting {index}: k={latent}, d={data_dim}, q {STRESS['shift']:g} away, σ = {noise_std:g}"
             if stress else f"setting {index}")
    return _Setting(x, encoder, decoder, standard_normal_prior(latent, call.events), source, label, leaves)


@dataclass
class _Run:
    setting: _Setting
    output: Tensor  # () or (B,), the user's quantity


class _Call:
    def __init__(self, fn, roles, signature, kind, likelihood, events, beta, reduction, returns):
        self.fn, self.roles, self.kind, self.likelihood, self.events = fn, roles, kind, likelihood, events
        self.beta, self.declared, self.reduction = beta, reduction, reduction
        self.sign = 1.0 if returns == "elbo" else -1.0  # user quantity = sign · estimate
        self.quantity = "estimate" if returns == "elbo" else "loss"
        names = signature.positional if signature is not None and len(signature.positional) == 4 else roles
        self.text = f"{signature.name if signature is not None else 'fn'}({', '.join(names)})"
        self.per_point: bool | None = None if reduction is None else reduction == "none"

    @property
    def reduction_text(self) -> str:
        return {"none": "per data point", "mean": "mean over the batch", "sum": "sum over the batch",
                None: "reduction read from your value"}[self.reduction]

    def signature_text(self, setting: _Setting) -> str:
        batch, data_dim = setting.x.shape
        kinds = {"x": f"x ({batch}, {data_dim})", "encoder": "encoder nn.Module", "decoder": "decoder nn.Module",
                 "prior": "prior N(0, I)"}
        return "fn(" + ", ".join(kinds[r] for r in self.roles) + ")"

    def __call__(self, setting: _Setting) -> _Run:
        objects = {"x": setting.x, "encoder": setting.encoder, "decoder": setting.decoder, "prior": setting.prior}
        hint = (
            "; the encoder and decoder return torch.distributions objects (q = encoder(x); z = q.rsample(); "
            "decoder(z).log_prob(x))"
        )
        if self.events == "independent":
            hint += "; events='factorised' gives plain Normal / Bernoulli (log_prob per coordinate)"
        if self.events == "independent":
            hint += ("; an Independent distribution keeps its parameters in .base_dist (q.base_dist.loc, "
                     "q.base_dist.scale; q.mean and q.stddev work as they are)")
        value = call_user(self.fn, tuple(objects[r] for r in self.roles), "your function",
                          self.signature_text(setting), hint)
        out, _ = split_output(value, "your function")
        batch = setting.x.shape[0]
        if self.per_point is None and isinstance(out, Tensor) and tuple(out.shape) == (batch,):
            self.per_point = True
        expected = (batch,) if self.per_point else ()
        hints = {(batch, 1): "drop the trailing dimension", (batch, setting.x.shape[1]):
                 "one value per data coordinate: sum log_prob over the event (or use Independent)"}
        out = require_tensor_output(out, "your function", expected,
                                    "(B,), one value per data point" if self.per_point else "(), the batch's value", hints)
        if self.per_point is None:
            self.per_point = False
        return _Run(setting, out)

    def reduce(self, per_point: Tensor, reduction: str | None = None) -> Tensor:
        reduction = reduction or self.reduction or "none"
        return reduce_batch(per_point, reduction)

    def settle_reduction(self, runs: list[_Run]) -> None:
        if self.reduction is not None:
            return
        if self.per_point:
            self.reduction = "none"
            return
        best = None
        for reduction in ("mean", "sum"):
            error = 0.0
            for run in runs:
                estimates = candidates(self, run.setting)
                if not estimates:
                    continue
                error = max(error, min(
                    abs(float(run.output.detach()) - self.sign * float(self.reduce(v.detach(), reduction)))
                    for v in estimates.values()
                ))
            if best is None or error < best[0]:
                best = (error, reduction)
        self.reduction = best[1] if best is not None else "mean"


# ---------------------------------------------------------------------------------------------
# exact estimates on the recorded draws
# ---------------------------------------------------------------------------------------------
@dataclass
class _Terms:
    recon: list[Tensor]  # per draw: log p(x|z) (*S, B)
    log_q: list[Tensor]
    log_p: list[Tensor]
    kl: Tensor  # (B,) closed form
    kl_swapped: Tensor  # (B,) KL(p‖q), the swapped arguments


def terms(setting: _Setting, likelihood: str) -> _Terms:
    loc, scale = setting.encoder.parts(setting.x)
    recon, log_q, log_p = [], [], []
    for draw in setting.source.draws:
        z = loc + scale * draw.eps  # differentiable in the encoder, whatever the user drew with
        out = setting.decoder.linear(z)
        if likelihood == "gaussian":
            recon.append(Normal(out, setting.decoder.noise_std).log_prob(setting.x).sum(-1))
        else:
            recon.append(Bernoulli(logits=out).log_prob(setting.x).sum(-1))
        log_q.append(Normal(loc, scale).log_prob(z).sum(-1))
        log_p.append(Normal(0.0, 1.0).log_prob(z).sum(-1))
    log_std = scale.log()
    kl = kl_standard_normal(loc, log_std)
    swapped = 0.5 * (1.0 / scale.square() + loc.square() / scale.square() - 1.0).sum(-1) + log_std.sum(-1)
    return _Terms(recon, log_q, log_p, kl, swapped)


def _mean_over_draws(values: Tensor) -> Tensor:  # (*S, B) -> (B,)
    return values.reshape(-1, values.shape[-1]).mean(0)


def candidates(call: _Call, setting: _Setting) -> dict[str, Tensor]:
    """Every exact estimate your draws support, per data point (B,), in ELBO terms."""
    t = terms(setting, call.likelihood)
    found: dict[str, Tensor] = {}
    draws = range(len(t.recon))
    if call.kind == "iwae":
        for i in draws:
            if t.recon[i].dim() >= 2:
                log_w = t.recon[i] + t.log_p[i] - t.log_q[i]  # (K, *S, B)
                bound = torch.logsumexp(log_w, 0) - math.log(log_w.shape[0])
                found[f"the IWAE bound on draw {i} (K = {log_w.shape[0]})"] = _mean_over_draws(bound)
        if len(t.recon) > 1 and len({tuple(r.shape) for r in t.recon}) == 1:  # K separate rsample() calls
            log_w = torch.stack([r + p - q for r, p, q in zip(t.recon, t.log_p, t.log_q)])  # (K, *S, B)
            bound = torch.logsumexp(log_w, 0) - math.log(log_w.shape[0])
            found[f"the IWAE bound over your {log_w.shape[0]} draws (K = {log_w.shape[0]})"] = _mean_over_draws(bound)
        return found
    if len(t.recon) > 1:  # every draw pooled: the average over all of them
        recon_all = torch.cat([r.reshape(-1, r.shape[-1]) for r in t.recon]).mean(0)
        mc_all = torch.cat([(q - p).reshape(-1, q.shape[-1]) for q, p in zip(t.log_q, t.log_p)]).mean(0)
        found["log p(x|z) averaged over all your draws − β·KL(q‖p(z)) in closed form"] = recon_all - call.beta * t.kl
        found["log p(x|z) − β·(log q(z) − log p(z)) averaged over all your draws"] = recon_all - call.beta * mc_all
    for i in draws:
        found[f"log p(x|z) on draw {i} − β·KL(q‖p(z)) in closed form"] = _mean_over_draws(t.recon[i]) - call.beta * t.kl
        for j in draws:
            mc = _mean_over_draws(t.log_q[j] - t.log_p[j])
            where = f"draw {i}" if i == j else f"draws {i} and {j}"
            found[f"log p(x|z) − β·(log q(z) − log p(z)), the Monte Carlo KL, on {where}"] = _mean_over_draws(t.recon[i]) - call.beta * mc
    return found


def _best(call: _Call, run: _Run, rtol: float, atol: float):
    estimates = candidates(call, run.setting)
    best = None
    for name, estimate in estimates.items():
        expected = call.sign * call.reduce(estimate)
        mismatch = worst_mismatch(run.output.detach(), expected.detach(), rtol=rtol, atol=atol)
        if best is None or mismatch.ratio < best[1].ratio:
            best = (name, mismatch, expected)
    return best


def _value(call: _Call, runs: list[_Run], rtol: float, atol: float, suffix: str):
    claim = "value on the same draw" + suffix
    unit = "data points" if call.reduction == "none" else "batches"
    worst, count, failures, matched = None, 0, 0, {}
    for run in runs:
        if not run.setting.source.draws:
            message = (
                f"{claim}: expected an estimate on draws of z from q, actual: your function drew no z with "
                f"q.rsample() / q.sample() on {run.setting.label} (z from q.mean alone is no ELBO estimate); "
                f"sample size {len(runs)} calls"
            )
            return ClaimOutcome(claim, False, math.inf, 0.0, len(runs), EXACT, message), matched
        best = _best(call, run, rtol, atol)
        if best is None:
            message = (
                f"{claim}: expected K particles drawn as q.rsample((K,)) for an IWAE bound, actual draws of shapes "
                f"{[tuple(d.eps.shape) for d in run.setting.source.draws]} on {run.setting.label}; sample size {len(runs)} calls"
            )
            return ClaimOutcome(claim, False, math.inf, 0.0, len(runs), EXACT, message), matched
        name, mismatch, expected = best
        matched[id(run)] = name
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[1].ratio:
            worst = (name, mismatch, run)
    name, mismatch, run = worst
    where = f"data point {mismatch.index[0]} of {run.setting.label}" if mismatch.index else run.setting.label
    reduced = "" if call.reduction == "none" else f", {call.reduction} over the batch"
    what = f"{'minus ' if call.sign < 0 else ''}{name}{reduced}"
    if not failures:
        message = (
            f"{claim}: all {count} {unit} equal the exact estimate on your draws ({what}; largest |error| "
            f"{mismatch.error:.3g}, tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
        return ClaimOutcome(claim, True, mismatch.error, mismatch.tolerance, count, EXACT, message), matched
    note = non_finite_note(mismatch.actual) or _diagnosis(call, runs)
    message = (
        f"{claim}: expected {mismatch.expected:.10g} (the closest exact estimate on your draws: {what}), actual "
        f"{mismatch.actual:.10g} at {where}{note}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; "
        f"{failures} of {count} {unit} outside tolerance; sample size {count} {unit}, exact comparison"
    )
    return ClaimOutcome(claim, False, mismatch.error, mismatch.tolerance, count, EXACT, message), matched


def _diagnosis(call: _Call, runs: list[_Run]) -> str:
    """The objective the function does compute: weights of log p(x|z) and of the KL it uses."""
    if call.kind == "iwae" or any(len(r.setting.source.draws) != 1 for r in runs):
        return ""
    batch, latent = coprime_sizes(DATA_DIM)
    sizes = {"B": batch, "d": runs[0].setting.x.shape[1], "k": runs[0].setting.encoder.loc.out_features}
    ys, recon, kls, swapped = [], [], [], []  # in loss terms: y = α·(−log p(x|z)) + γ·KL + c
    for run in runs:
        t = terms(run.setting, call.likelihood)
        r, k, s = -_mean_over_draws(t.recon[0]).detach(), t.kl.detach(), t.kl_swapped.detach()
        y = -call.sign * run.output.detach()  # in loss terms
        if call.reduction == "none":
            ys.append(y), recon.append(r), kls.append(k), swapped.append(s)
        else:
            ys.append(y.reshape(1)), recon.append(r.sum().reshape(1)), kls.append(k.sum().reshape(1))
            swapped.append(s.sum().reshape(1))
    y, recon_t = torch.cat(ys), torch.cat(recon)
    scale = 1.0 / batch if call.reduction == "mean" else 1.0
    quantity = "value" if call.sign > 0 else "loss"
    for swapped_kl, kl in ((False, torch.cat(kls)), (True, torch.cat(swapped))):
        fit = fit_affine(y, recon_t, kl, rtol=1e-9, atol=1e-9)
        if not fit.affine:
            continue
        notes = []
        negated = not swapped_kl and all(
            abs(w / e + 1.0) <= 1e-6 for w, e in ((fit.alpha, scale), (fit.gamma, scale * call.beta)) if e
        )
        if negated:
            other = "negative_elbo" if call.sign > 0 else "elbo"
            return (f"; your {quantity} is the negative of the estimate: it returns "
                    f"{'the loss' if call.sign > 0 else 'the ELBO'} (pass returns='{other}')")
        if swapped_kl:
            notes.append("uses KL(p(z)‖q) where KL(q‖p(z)) belongs: the arguments of kl_divergence are swapped")
        for term, weight, expected, what in (
            ("log p(x|z)", fit.alpha, scale, "the log-likelihood"),
            ("the KL", fit.gamma, scale * call.beta, "the KL"),
        ):
            ratio = weight / expected if expected else math.inf
            if abs(ratio - 1.0) > 1e-6:
                notes.append(f"weights {term} by {number(weight, sizes)} where {number(expected, sizes)} belongs"
                             + _reading(ratio, sizes, what))
        if notes:
            return f"; your {quantity} " + "; it ".join(notes)
    return ""


def _reading(ratio: float, sizes: dict[str, int], what: str) -> str:
    readings = {
        1.0 / sizes["d"]: f" ({what} averaged over the d data coordinates: a missing Independent or sum over the event axis)",
        1.0 / sizes["k"]: f" ({what} averaged over the k latent coordinates: a missing Independent or sum over the event axis)",
        float(sizes["B"]): f" ({what} summed over the batch: a sum over the wrong axis)",
        sizes["B"] / sizes["d"]: f" ({what} summed over the batch axis and averaged over the data axis: the sum over the wrong axis)",
        1.0 / sizes["B"]: f" ({what} averaged over the batch once more)",
        -1.0: f" ({what} with the wrong sign)",
    }
    for value, text in readings.items():
        if abs(ratio - value) <= 1e-6 * abs(value):
            return text
    return ""


def _gradient(call: _Call, runs: list[_Run], matched: dict[int, str], rtol: float, atol: float, suffix: str) -> ClaimOutcome:
    pairs = []
    weights = torch.linspace(0.6, 1.4, runs[0].setting.x.shape[0], dtype=torch.float64) if runs else None
    for run in runs:
        estimates = candidates(call, run.setting)
        name = matched.get(id(run)) or next(iter(estimates), None)
        if name is None:
            continue
        expected = call.sign * call.reduce(estimates[name])
        user = run.output
        if user.dim() == 1:
            user, expected = (weights * user).sum(), (weights * expected).sum()
        user_grads = gradients_of(user, run.setting.leaves)
        exact_grads = gradients_of(expected, run.setting.leaves)
        sampled = any(not d.reparameterised for d in run.setting.source.draws)
        hint = missing_gradient_hint(user) + (
            "; your function drew z with sample(), which cuts the gradient path to the encoder: use rsample()"
            if sampled else ""
        )
        for leaf, exact in exact_grads.items():
            if exact is not None:
                pairs.append((run.setting.label, leaf, user_grads[leaf], exact, hint))
    claim = "gradient on the same draw" + suffix
    if not pairs:
        return ClaimOutcome(claim, False, math.inf, 0.0, 0, EXACT, f"{claim}: no draws to compare on; sample size 0")
    outcome = exact_gradient_outcome(claim, pairs, rtol=rtol, atol=atol, scale=None,
                                     reference="autograd of the exact estimate on your draws")
    if not outcome.passed and any(not d.reparameterised for r in runs for d in r.setting.source.draws):
        outcome = ClaimOutcome(outcome.claim, False, outcome.error, outcome.tolerance, outcome.n, EXACT,
                               outcome.message + " (your function drew z with sample(), which cuts the gradient path "
                               "through z to the encoder: use rsample())")
    return outcome


# ---------------------------------------------------------------------------------------------
# the user's own noise: statistical claims
# ---------------------------------------------------------------------------------------------
def _own_noise_claims(call: _Call, main: list[_Run], alpha: float, replicates: int, seed: int):
    if call.kind == "iwae":
        raise GateInputError(
            "your function drew no z from the encoder's q (no q.rsample((K,)) call): draw the K particles with "
            "q.rsample((K,)) so the gate can compute the IWAE bound on the same draws"
        )
    settings = [run.setting for run in main[:2]]
    first = main[0].output.detach()
    with torch.random.fork_rng():
        torch.manual_seed(1_000_003 + seed)
        again = call(_setting(call, seed, 0, stress=False)).output.detach()
    if torch.equal(torch.nan_to_num(first), torch.nan_to_num(again)):
        claim = "value on the same draw"
        message = (
            f"{claim}: expected an estimate on draws of z from q, actual: your function drew no z (no "
            f"q.rsample() / q.sample(), and the same value on every call): z from q.mean alone is no ELBO estimate; "
            f"sample size 2 calls"
        )
        return [ClaimOutcome(claim, False, math.inf, 0.0, 2, EXACT, message)], []
    values, grads, references, where = [], [], [], []
    skipped: list[tuple[str, str]] = []
    for i, setting in enumerate(settings):
        v, g = _replicate(call, setting, replicates, seed + i)
        bad = ~torch.isfinite(v)
        if bool(bad.any()):
            message = (f"finite values: expected finite values, actual {float(v[bad][0])} on {setting.label} "
                       f"({NON_FINITE}); sample size {replicates} calls")
            return [ClaimOutcome("finite values", False, math.inf, 0.0, replicates, EXACT, message)], skipped
        values.append(v), grads.append(g), references.append(_expectation(call, setting, seed + i))
        where += [f"{'data point ' + str(b) + ' of ' if call.per_point else ''}{setting.label}" for b in range(v.shape[1])]
    if call.reduction is None:
        call.reduction = "none" if call.per_point else _closest_reduction(call, values, references)
        # The reference gradients depend on the reduction: compute them again now it is settled.
        references = [_expectation(call, setting, seed + i) for i, setting in enumerate(settings)]
    value_samples = torch.cat(values, 1)
    expected = torch.cat([call.sign * call.reduce(r["elbo"]).reshape(-1) for r in references]).detach()
    expected_se = torch.cat([call.reduce(r["elbo_se"]).reshape(-1) for r in references]).detach()
    at = lambda i: where[i]  # noqa: E731
    outcomes = [statistical_outcome("unbiased", z_test(value_samples, expected, alpha=alpha, expected_standard_error=expected_se),
                                    "E[estimate]" if call.sign > 0 else "E[loss]", at, alpha, "calls")]
    grad_samples = torch.cat(grads, 1)
    grad_expected = torch.cat([r["gradient"] for r in references]).detach()
    grad_se = torch.cat([r["gradient_se"] for r in references]).detach()
    names = [f"d/d {n} [{s.label}]" for s, r in zip(settings, references) for n in r["names"]]
    outcomes.append(statistical_outcome("gradient unbiased", z_test(grad_samples, grad_expected, alpha=alpha,
                                        expected_standard_error=grad_se), "the exact gradient", lambda i: names[i], alpha, "calls"))
    if call.likelihood == "gaussian":
        log_marginal = torch.cat([call.sign * call.reduce(r["log_marginal"]).reshape(-1) for r in references]).detach()
        side = "less" if call.sign > 0 else "greater"
        outcomes.append(statistical_outcome("bound ≤ log p(x)" if call.sign > 0 else "loss ≥ −log p(x)",
                                            z_test(value_samples, log_marginal, alpha=alpha, side=side),
                                            "at most log p(x)" if call.sign > 0 else "at least −log p(x)", at, alpha, "calls"))
        gap = torch.cat([call.reduce(r["gap"]).reshape(-1) for r in references]).detach()
        outcomes.append(statistical_outcome("gap identity", z_test(call.sign * (log_marginal - value_samples), gap, alpha=alpha),
                                            "log p(x) − E[estimate] = KL(q‖p(z|x))", at, alpha, "calls"))
    else:
        reason = "needs the exact log p(x), which a Bernoulli decoder does not have in closed form"
        skipped = [("bound ≤ log p(x)", reason), ("gap identity", reason)]
    return outcomes, skipped


def _replicate(call: _Call, setting: _Setting, replicates: int, seed: int) -> tuple[Tensor, Tensor]:
    values, grads = [], []
    leaves = setting.leaves
    with torch.random.fork_rng():
        torch.manual_seed(2_000_003 + seed)
        for _ in range(replicates):
            run = call(setting)
            out = run.output
            scalar = (torch.linspace(0.6, 1.4, out.shape[0], dtype=torch.float64) * out).sum() if out.dim() else out
            g = gradients_of(scalar, leaves)
            values.append(out.detach().reshape(-1))
            grads.append(torch.cat([(g[n] if g[n] is not None else torch.zeros_like(p)).reshape(-1) for n, p in leaves.items()]))
    return torch.stack(values), torch.stack(grads)


def _expectation(call: _Call, setting: _Setting, seed: int) -> dict[str, Any]:
    """E[estimate] per data point, its gradient in every parameter (for the user's
    reduction and sign), log p(x) and KL(q‖p(z|x)) where exact."""
    leaves = setting.leaves
    loc, scale = setting.encoder.parts(setting.x)
    kl = kl_standard_normal(loc, scale.log())
    result: dict[str, Any] = {"names": [
        f"{name}{[int(i) for i in index]}" for name, p in leaves.items() for index in torch.cartesian_prod(
            *[torch.arange(n) for n in p.shape]).reshape(p.numel(), -1)
    ]}
    if call.likelihood == "gaussian":
        model = LinearGaussianModel(setting.decoder.linear.weight, setting.decoder.linear.bias, setting.decoder.noise_std)
        q = DiagonalGaussian(loc, scale.log())
        elbo = model.reconstruction(setting.x, q) - call.beta * kl
        se = torch.zeros_like(elbo)
        result.update(log_marginal=model.log_marginal(setting.x).detach(), gap=_gap(model, setting, loc, scale))
        scalars = [elbo]
    else:
        generator = torch.Generator().manual_seed(140_000 + seed)
        chunks = []
        for _ in range(20):
            eps = torch.randn(REFERENCE_DRAWS // 20, *loc.shape, generator=generator, dtype=torch.float64)
            out = setting.decoder.linear(loc + scale * eps)
            chunks.append(Bernoulli(logits=out).log_prob(setting.x).sum(-1).mean(0) - call.beta * kl)  # (B,)
        stacked = torch.stack(chunks)
        elbo = stacked.mean(0)
        se = stacked.detach().std(0) / math.sqrt(len(chunks))
        scalars = chunks
    weights = lambda v: (torch.linspace(0.6, 1.4, v.shape[0], dtype=torch.float64) * v).sum() if call.reduce(v).dim() else call.reduce(v)  # noqa: E731
    per_chunk = []
    for value in scalars:
        g = gradients_of(call.sign * weights(value), leaves)
        per_chunk.append(torch.cat([(g[n] if g[n] is not None else torch.zeros_like(p)).reshape(-1) for n, p in leaves.items()]))
    stacked_g = torch.stack(per_chunk)
    result.update(elbo=elbo.detach(), elbo_se=se, gradient=stacked_g.mean(0),
                  gradient_se=(stacked_g.std(0) / math.sqrt(len(per_chunk))) if len(per_chunk) > 1 else torch.zeros(stacked_g.shape[1], dtype=torch.float64))
    return result


def _gap(model: LinearGaussianModel, setting: _Setting, loc: Tensor, scale: Tensor) -> Tensor:
    from elbo_suite.estimators.kl import kl_divergence

    return kl_divergence(DiagonalGaussian(loc.detach(), scale.log().detach()), model.posterior(setting.x.detach())).detach()


def _closest_reduction(call: _Call, values: list[Tensor], references: list[dict[str, Any]]) -> str:
    errors = {}
    for reduction in ("mean", "sum"):
        errors[reduction] = max(
            abs(float(v.mean()) - call.sign * float(call.reduce(r["elbo"], reduction))) for v, r in zip(values, references)
        )
    return min(errors, key=errors.get)
