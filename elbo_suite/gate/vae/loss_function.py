"""Gate for a VAE loss written the PyTorch-examples way: `loss_function(recon_x, x, mu, logvar)`.

Contract. The gate calls the function positionally with, in the order its parameter names say
(`recon_x`/`x_hat`/`output`..., `x`/`input`/`target`..., `mu`/`mean`/`z_mean`...,
`logvar`/`log_var`/`z_log_var` | `log_std` | `std`/`sigma` | `var`; unreadable names are taken in
the PyTorch-example order recon_x, x, mu, logvar, or as `arguments=` says):
- recon_x: the decoder output for one draw z ~ q, shape (B, *data_shape), float64: probabilities
  ("bernoulli", "continuous_bernoulli"), logits ("bernoulli_logits") or the mean ("gaussian");
- x: the data, (B, *data_shape): binary for the Bernoulli likelihoods, in [0, 1] for the
  continuous Bernoulli, real for the Gaussian;
- mu, and q's spread as the fourth parameter names it: (B, k) each.
recon_x, mu and the spread are leaves requiring grad. The function returns the loss (a scalar, or
one value per data point (B,)), or a (loss, *parts) tuple, or a dict with a 'loss' entry. Keyword
parameters with defaults are left at their defaults; a KL weight default (`beta=4.0`) is read as
the β the user declares.

Claims (exact: the log-likelihood and KL of every draw are known in closed form):
1. "objective": on 6 draws, the loss is a · (−ELBO_{σ,β}) + c exactly (see `implied`): it names
   the scale a, the constant c and the decoder σ² (at β = 1, or the β declared) or the KL weight
   β. It fails when the loss is no such function, when a ≤ 0 (a sign error), or when it differs
   from what was declared: β (1, the ELBO, unless declared), σ when declared, the scale when
   `reduction` is declared ('sum': a = 1, 'mean' or 'batchmean': a = 1/B, 'none': per data point,
   a = 1).
   Without a declared σ a Gaussian loss passes with the σ² it implies: MSE is a Gaussian
   log-likelihood up to scale and constant.
2. "gradient on the same draw": the gradient in recon_x, mu and the spread is that objective's.
3. "value, stress" and "gradient, stress": the same objective where numerics break (decoder
   outputs at the edge of their range, |mu| ~ 10, standard deviations from 0.02 to 55); a NaN or
   inf there is a failed claim (overflow / underflow), not bad input.
Tolerance: |residual| ≤ atol + rtol · (size of the terms), rtol = 1e-5 by default: rounding is
~1e-15, real bugs are ≥ 1e-3, and the ε ≤ 1e-8 people add inside a log for safety stays within it
(a clamp of the probabilities to [ε, 1 − ε] with ε ≤ 1e-3 changes nothing the gate feeds in).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.compare import NON_FINITE, exact_gradient_outcome, non_finite_note, worst_mismatch
from elbo_suite.gate.differentiate import gradients_of, missing_gradient_hint
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.options import require_choice, require_int, require_positive_float, require_tolerances
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.threads import single_threaded
from elbo_suite.gate.vae.implied import AffineFit, ImpliedObjective, coprime_sizes, fit_affine, read_objective
from elbo_suite.gate.vae.likelihoods import LIKELIHOODS, Likelihood, require_likelihood
from elbo_suite.gate.vae.outputs import split_output
from elbo_suite.gate.vae.signatures import (
    Q_ROLES,
    VAE_LOSS_NAMES,
    declared_beta,
    declared_returns,
    read_signature,
    unsupported,
    vae_loss_roles,
)

REDUCTIONS = ("sum", "mean", "batchmean", "none")  # batchmean: the mean over the batch, as in F.kl_div
RETURNS = ("negative_elbo", "elbo")
DEFAULT_DATA_DIM = 7
MAIN_DRAWS = 6
STRESS_DRAWS = 3
ROLE_TEXT = {"logvar": "log σ²", "log_std": "log σ", "std": "σ", "var": "σ²"}


def check_vae_loss(
    fn: Callable[..., Any],
    *,
    likelihood: str | None = None,
    arguments: tuple[str, ...] | None = None,
    sigma: float | None = None,
    beta: float | None = None,
    reduction: str | None = None,
    returns: str | None = None,
    data_shape: tuple[int, ...] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-9,
    seed: int = 0,
) -> GateResult:
    """Check `loss(recon_x, x, mu, logvar)`-style VAE losses; see the module docstring.

    likelihood: what recon_x is (see `likelihoods`); None reads 'bernoulli_logits' when the
    decoder-output parameter is named as logits (`x_logits`), else 'bernoulli'. arguments: the role of each parameter, from
    ('recon_x', 'x', 'mu', 'logvar', 'log_std', 'std', 'var'), when the names do not say.
    sigma: the decoder standard deviation you mean (Gaussian). beta: the KL weight you mean
    (default: a `beta=` default of your function, else 1). reduction: 'sum', 'mean' (over the
    batch) or 'none' (per data point), or None to accept any positive scale. returns:
    'negative_elbo' (a loss) or 'elbo'; None reads the function's name. data_shape: the shape of
    one data point as your function expects it, e.g. (784,) for `x.view(-1, 784)`.
    """
    fn = require_callable("fn", fn)
    signature = read_signature(fn)
    roles, from_names = _roles(signature, arguments)
    if likelihood is None:  # recon_x named as logits (x_logits, logits) holds logits; else probabilities
        recon_name = dict(zip(roles, signature.positional)).get("recon_x", "") if signature is not None else ""
        likelihood = "bernoulli_logits" if "logit" in recon_name.lower() else "bernoulli"
    lik = require_likelihood(likelihood)
    if sigma is not None and not lik.has_scale:
        raise GateInputError(f"sigma: a decoder σ applies to likelihood='gaussian' only, got likelihood={likelihood!r}")
    require_positive_float("sigma", sigma, allow_none=True)
    beta_declared = beta is not None
    beta_source = "declared"
    if beta is None:
        from_signature = declared_beta(signature)
        if from_signature is not None:
            beta, beta_source, beta_declared = from_signature[0], f"your default {from_signature[1]}=", True
        else:
            beta, beta_source = 1.0, "the ELBO"
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta < 0:
        raise GateInputError(f"beta: expected a finite float ≥ 0, got {beta!r}")
    if reduction is not None:
        require_choice("reduction", reduction, REDUCTIONS)
    if returns is None:
        returns = declared_returns(signature, "negative_elbo")
    require_choice("returns", returns, RETURNS)
    shape = _require_data_shape(data_shape)
    require_tolerances(rtol, atol)
    require_int("seed", seed, 0)

    data_dim = math.prod(shape)
    batch, latent = coprime_sizes(data_dim)
    sizes = {"B": batch, "d": data_dim, "k": latent}
    call = _LossCall(fn, roles, signature, lik, reduction, returns, batch, shape, latent)
    with single_threaded():
        main = [call(_draw(lik, batch, shape, latent, roles, seed, i, stress=False)) for i in range(MAIN_DRAWS)]
        stress = [call(_draw(lik, batch, shape, latent, roles, seed, i, stress=True)) for i in range(STRESS_DRAWS)]
    subject = (
        f"VAE loss {call.text} ({lik.title} likelihood, recon_x = {lik.recon_meaning}, "
        f"{call.per_point_text}, B = {batch}, d = {data_dim}, k = {latent})"
    )
    objective_outcome, fit, implied = _objective(
        call, main, lik, beta=float(beta), beta_declared=beta_declared, beta_source=beta_source, sigma=sigma,
        reduction=reduction, sizes=sizes, rtol=rtol, atol=atol,
    )
    outcomes = [objective_outcome]
    if fit is not None and fit.affine:
        outcomes.append(_gradient(call, main, fit, rtol, atol, ""))
        outcomes.append(_stress_value(call, stress, fit, lik, rtol, atol))
        outcomes.append(_gradient(call, stress, fit, rtol, atol, ", stress"))
    return GateResult.from_claims(
        subject, outcomes, style="vae_loss", likelihood=lik.name, arguments=list(roles),
        arguments_from_names=from_names, sigma=sigma, beta=beta, beta_source=beta_source,
        reduction=reduction, returns=returns, data_shape=list(shape), batch_size=batch, latent_dim=latent,
        rtol=rtol, atol=atol, seed=seed, implied_objective=None if implied is None else implied.to_dict(),
    )


def _roles(signature, arguments) -> tuple[tuple[str, ...], bool]:
    if arguments is not None:
        roles = tuple(arguments) if isinstance(arguments, (tuple, list)) else None
        allowed = ("recon_x", "x", "mu", *Q_ROLES)
        if (
            roles is None or len(roles) != 4 or any(r not in allowed for r in roles)
            or {r for r in roles if r not in Q_ROLES} != {"recon_x", "x", "mu"}
            or sum(r in Q_ROLES for r in roles) != 1
        ):
            raise GateInputError(
                f"arguments: expected 4 roles, one each of recon_x, x, mu and one of {Q_ROLES}, "
                f"in your parameters' order, got {arguments!r}"
            )
        return roles, True
    if signature is None:
        from elbo_suite.gate.vae.signatures import PYTORCH_EXAMPLE_ORDER

        return PYTORCH_EXAMPLE_ORDER, False
    if len(signature.positional) != 4:
        raise unsupported(signature, "vae_loss")
    return vae_loss_roles(signature)


def _require_data_shape(data_shape: object) -> tuple[int, ...]:
    if data_shape is None:
        return (DEFAULT_DATA_DIM,)
    if isinstance(data_shape, int) and not isinstance(data_shape, bool):
        data_shape = (data_shape,)
    if (
        not isinstance(data_shape, (tuple, list)) or not data_shape
        or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in data_shape)
        or math.prod(data_shape) < 2
    ):
        raise GateInputError(
            f"data_shape: expected the shape of one data point as positive ints, e.g. (784,) or (1, 28, 28), "
            f"got {data_shape!r}"
        )
    return tuple(data_shape)


# ---------------------------------------------------------------------------------------------
# draws: the decoder output, the data and q, and the exact terms of −ELBO on them
# ---------------------------------------------------------------------------------------------
@dataclass
class _Draw:
    args: dict[str, Tensor]  # role -> the tensor the user's function receives
    leaves: dict[str, Tensor]  # role -> leaf requiring grad (recon_x, mu, the spread)
    recon: Tensor  # (B,) R per data point, differentiable in the leaves
    kl: Tensor  # (B,) KL(q‖N(0, I)) per data point, differentiable
    label: str
    q_role: str
    mean: Tensor
    spread: Tensor


def _log_std_from(role: str, value: Tensor) -> Tensor:
    return {"logvar": lambda v: 0.5 * v, "log_std": lambda v: v, "std": torch.log,
            "var": lambda v: 0.5 * torch.log(v)}[role](value)


def _spread_from(role: str, log_std: Tensor) -> Tensor:
    return {"logvar": lambda s: 2.0 * s, "log_std": lambda s: s, "std": torch.exp,
            "var": lambda s: torch.exp(2.0 * s)}[role](log_std)


def kl_standard_normal(mean: Tensor, log_std: Tensor) -> Tensor:  # (B,)
    return 0.5 * (torch.exp(2.0 * log_std) + mean.square() - 1.0).sum(-1) - log_std.sum(-1)


def _draw(lik: Likelihood, batch: int, shape: tuple[int, ...], latent: int, roles: tuple[str, ...],
          seed: int, index: int, *, stress: bool) -> _Draw:
    generator = torch.Generator().manual_seed(110_000 + 1000 * seed + index + (500 if stress else 0))
    x = lik.data((batch, *shape), generator)
    recon_x = lik.recon((batch, *shape), generator, stress).requires_grad_(True)
    if stress:
        mean = 10.0 * torch.randn(batch, latent, generator=generator, dtype=torch.float64)
        magnitude = 1.0 + 3.0 * torch.rand(batch, latent, generator=generator, dtype=torch.float64)
    else:
        mean = 0.3 + torch.randn(batch, latent, generator=generator, dtype=torch.float64)
        magnitude = 0.3 + 0.6 * torch.rand(batch, latent, generator=generator, dtype=torch.float64)
    sign = torch.where(torch.rand(batch, latent, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
    q_role = next(r for r in roles if r in Q_ROLES)
    mean = mean.requires_grad_(True)
    spread = _spread_from(q_role, sign * magnitude).detach().requires_grad_(True)
    log_std = _log_std_from(q_role, spread)
    data_dims = tuple(range(1, x.dim()))
    recon = lik.recon_feature(x, recon_x).sum(data_dims)
    label = f"{'stress ' if stress else ''}draw {index}"
    args = {"recon_x": recon_x, "x": x, "mu": mean, q_role: spread}
    return _Draw(args, {"recon_x": recon_x, "mu": mean, q_role: spread}, recon,
                 kl_standard_normal(mean, log_std), label, q_role, mean, spread)


# ---------------------------------------------------------------------------------------------
# calling the user's loss
# ---------------------------------------------------------------------------------------------
@dataclass
class _Run:
    draw: _Draw
    output: Tensor  # () or (B,), in the user's quantity, attached to the leaves
    parts: dict[str, Tensor]


class _LossCall:
    def __init__(self, fn, roles, signature, lik, reduction, returns, batch, shape, latent):
        self.fn, self.roles, self.lik = fn, roles, lik
        self.reduction, self.returns, self.batch = reduction, returns, batch
        self.sign = -1.0 if returns == "elbo" else 1.0  # loss = sign · output
        names = signature.positional if signature is not None and len(signature.positional) == 4 else roles
        self.names = dict(zip(roles, names))  # role -> the user's parameter name
        fn_name = signature.name if signature is not None else "fn"
        self.text = f"{fn_name}({', '.join(names)})"
        shapes = {"recon_x": (batch, *shape), "x": (batch, *shape), "mu": (batch, latent)}
        self.call_text = "fn(" + ", ".join(
            f"{self.names[r]} {shapes.get(r, (batch, latent))}" for r in roles
        ) + ")"
        self.per_point: bool | None = None if reduction is None else reduction == "none"

    @property
    def per_point_text(self) -> str:
        return "one loss per data point" if self.per_point else "one loss per batch"

    def __call__(self, draw: _Draw) -> _Run:
        args = tuple(draw.args[r] for r in self.roles)
        hint = "" if self.lik.name != "bernoulli" else (
            "; if recon_x holds logits, pass likelihood='bernoulli_logits'"
        )
        try:
            value = call_user(self.fn, args, "your loss", self.call_text, hint)
        except GateInputError as exc:
            view = _view_hint(exc, draw)
            if not view:
                raise
            raise GateInputError(f"{exc}{view}") from exc.__cause__
        loss, parts = split_output(value, "your loss")
        if self.per_point is None and isinstance(loss, Tensor) and tuple(loss.shape) == (self.batch,):
            self.per_point = True
        expected = (self.batch,) if self.per_point else ()
        meaning = "(B,), one loss per data point" if self.per_point else "(), the loss of the batch"
        hints = {
            (self.batch, 1): "drop the trailing dimension",
            (self.batch,): f"one loss per data point: you declared reduction={self.reduction!r}",
            (): f"a scalar: you declared reduction={self.reduction!r} (per data point)",
        }
        loss = require_tensor_output(loss, "your loss", expected, meaning, hints)
        if self.per_point is None:
            self.per_point = False
        return _Run(draw, loss, parts)


def _view_hint(exc: GateInputError, draw: _Draw) -> str:
    """A reshape to a fixed size failed (x.view(-1, 784)): say how to give the gate that shape."""
    cause = str(exc.__cause__ or "")
    match = re.search(r"shape '\[(-1, )?([\d, ]+)\]' is invalid", cause)
    if match is None and "invalid for input of size" not in cause:
        return ""
    size = match.group(2).replace(" ", "") if match is not None else "784"
    return (
        f"; your loss reshapes to a fixed size: pass data_shape=({size},) (command line: --data-shape {size}); "
        f"the gate used data_shape={tuple(draw.args['x'].shape[1:])}"
    )


# ---------------------------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------------------------
def _observations(call: _LossCall, runs: list[_Run]) -> tuple[Tensor, Tensor, Tensor]:
    """(y, R, K) per observation, y in loss terms: per data point, or per batch."""
    ys, rs, ks = [], [], []
    for run in runs:
        y = call.sign * run.output.detach()
        if call.per_point:
            ys.append(y.reshape(-1)), rs.append(run.draw.recon.detach()), ks.append(run.draw.kl.detach())
        else:
            ys.append(y.reshape(1)), rs.append(run.draw.recon.detach().sum().reshape(1))
            ks.append(run.draw.kl.detach().sum().reshape(1))
    return torch.cat(ys), torch.cat(rs), torch.cat(ks)


def _where(call: _LossCall, runs: list[_Run], observation: int) -> str:
    if call.per_point:
        run = runs[observation // call.batch]
        return f"data point {observation % call.batch} of {run.draw.label}"
    return runs[observation].draw.label


def _objective(call, runs, lik, *, beta, beta_declared, beta_source, sigma, reduction, sizes, rtol, atol):
    claim = "objective"
    quantity = "loss" if call.sign > 0 else "ELBO"
    y, recon, kl = _observations(call, runs)
    n = y.numel()
    size = (f"sample size {n} data points from {len(runs)} draws, exact fit" if call.per_point
            else f"sample size {n} draws, exact fit")
    bad = ~torch.isfinite(y)
    if bool(bad.any()):
        index = int(bad.nonzero()[0])
        message = (
            f"{claim}: expected a finite {quantity}, actual {float(call.sign * y[index])} at "
            f"{_where(call, runs, index)} ({NON_FINITE}); {size}"
        )
        return ClaimOutcome(claim, False, math.inf, 0.0, n, EXACT, message), None, None
    fit = fit_affine(y, recon, kl, rtol=rtol, atol=atol)
    if not fit.affine:
        where = _where(call, runs, fit.worst)
        diagnosis = _diagnose(call, runs, y, recon, rtol, atol)
        message = (
            f"{claim}: expected your {quantity} to be a·(−ELBO) + c for some scale a and constant c "
            f"(ELBO with a {lik.title} likelihood), actual: no such function fits — at {where} your "
            f"{'loss' if call.sign > 0 else 'negated value'} is {float(y[fit.worst]):.10g}, the closest such "
            f"function gives {float(fit.fitted[fit.worst]):.10g}; |residual| {fit.residual:.3g} > tolerance "
            f"{fit.tolerance:.3g}{diagnosis}; {size}"
        )
        return ClaimOutcome(claim, False, fit.residual, fit.tolerance, n, EXACT, message), fit, None
    scale = None if reduction is None else (1.0 / call.batch if reduction in ("mean", "batchmean") else 1.0)
    implied = read_objective(
        fit, has_scale=lik.has_scale, beta=beta, beta_declared=beta_declared, sigma=sigma, scale=scale,
        scale_text=str(reduction), sizes=sizes, quantity="loss" if call.sign > 0 else "ELBO",
        likelihood_text=lik.title, elements=(1 if call.per_point else call.batch) * math.prod(runs[0].draw.args["x"].shape[1:]),
    )
    exactly = f"exactly on {len(runs)} draws (largest |residual| {fit.residual:.3g}, tolerance {fit.tolerance:.3g})"
    if implied.as_declared:
        declared = f"; β = {beta:g} from {beta_source}" if beta_source != "the ELBO" else ""
        message = f"{claim}: {implied.words} {exactly}{declared}; {size}"
        return ClaimOutcome(claim, True, fit.residual, fit.tolerance, n, EXACT, message), fit, implied
    parts = _describe_parts(call, runs, recon, kl, rtol, atol)
    message = (
        f"{claim}: {'; '.join(implied.problems)} — {implied.words} {exactly}{parts}; {size}"
    )
    error = abs((implied.beta or 0.0) - beta) if implied.beta is not None else math.inf
    return ClaimOutcome(claim, False, error, 1e-6 * max(beta, 1e-12), n, EXACT, message), fit, implied


def _diagnose(call: _LossCall, runs: list[_Run], y: Tensor, recon: Tensor, rtol: float, atol: float) -> str:
    """Why the loss is not affine: q's spread read the wrong way, or a part that is off."""
    q_role = runs[0].draw.q_role
    name = call.names[q_role]
    for reading in Q_ROLES:
        if reading == q_role:
            continue
        values = []
        for run in runs:
            spread = run.draw.spread.detach()
            if reading in ("std", "var") and bool((spread <= 0).any()):
                values = None
                break
            kl = kl_standard_normal(run.draw.mean.detach(), _log_std_from(reading, spread))
            values.append(kl if call.per_point else kl.sum().reshape(1))
        if values is None:
            continue
        fit = fit_affine(y, recon, torch.cat(values), rtol=rtol, atol=atol)
        if fit.affine and fit.gamma > 0:
            return (
                f"; your {quantity_of(call)} matches a KL that reads {name} as {ROLE_TEXT[reading]} "
                f"where it is {ROLE_TEXT[q_role]}"
            )
    kl = torch.cat([run.draw.kl.detach() if call.per_point else run.draw.kl.detach().sum().reshape(1) for run in runs])
    for other in LIKELIHOODS.values():
        if other.name == call.lik.name:
            continue
        features = []
        for run in runs:
            x, recon_x = run.draw.args["x"], run.draw.args["recon_x"].detach()
            if other.name != "gaussian" and not bool(((recon_x > 0) & (recon_x < 1)).all()):
                features = None  # these decoder outputs are no probabilities
                break
            with torch.no_grad():
                feature = other.recon_feature(x, recon_x).sum(tuple(range(1, x.dim())))
            features.append(feature if call.per_point else feature.sum().reshape(1))
        if features is None:
            continue
        fit = fit_affine(y, torch.cat(features), kl, rtol=rtol, atol=atol)
        if fit.affine and fit.alpha > 0:
            return (
                f"; your {quantity_of(call)} matches a {other.title} likelihood with recon_x = "
                f"{other.recon_meaning}: pass likelihood='{other.name}'"
            )
    return _describe_parts(call, runs, recon, None, rtol, atol)


def quantity_of(call: _LossCall) -> str:
    return "loss" if call.sign > 0 else "value"


def _describe_parts(call: _LossCall, runs: list[_Run], recon: Tensor, kl: Tensor | None, rtol: float, atol: float) -> str:
    if not runs[0].parts:
        return ""
    if kl is None:
        _, recon, kl = _observations(call, runs)
    described = []
    for name in runs[0].parts:
        values = []
        for run in runs:
            part = run.parts.get(name)
            if part is None or part.numel() not in (1, call.batch):
                values = None
                break
            if call.per_point and part.numel() == call.batch:
                values.append(part.reshape(-1))
            elif not call.per_point and part.numel() == 1:
                values.append(part.reshape(1))
            else:
                values = None
                break
        if values is None:
            continue
        fit = fit_affine(torch.cat(values), recon, kl, rtol=rtol, atol=atol)
        if fit.affine:
            terms = [f"{fit.alpha:.6g}·R" if abs(fit.alpha) > 1e-12 else "", f"{fit.gamma:.6g}·KL" if abs(fit.gamma) > 1e-12 else ""]
            text = " + ".join(t for t in terms if t) or "0"
            described.append(f"'{name}' = {text}" + (f" + {fit.constant:.6g}" if abs(fit.constant) > 1e-9 else ""))
        else:
            described.append(f"'{name}' is no affine function of R and KL")
    if not described:
        return ""
    return f"; your parts (R = −log p(x|z) or ½‖x − recon_x‖², KL = KL(q‖N(0, I))): {', '.join(described)}"


def _fitted(fit: AffineFit, run: _Run, per_point: bool) -> Tensor:
    value = fit.alpha * run.draw.recon + fit.gamma * run.draw.kl + fit.constant
    return value if per_point else value.sum() - (run.draw.recon.shape[0] - 1) * fit.constant


def _row_weights(batch: int) -> Tensor:
    return torch.linspace(0.6, 1.4, batch, dtype=torch.float64)


def _gradient(call: _LossCall, runs: list[_Run], fit: AffineFit, rtol: float, atol: float, suffix: str) -> ClaimOutcome:
    pairs = []
    for run in runs:
        user = call.sign * run.output
        expected = _fitted(fit, run, call.per_point)
        if call.per_point:
            weights = _row_weights(call.batch)
            user, expected = (weights * user).sum(), (weights * expected).sum()
        user_grads = gradients_of(user, run.draw.leaves)
        exact_grads = gradients_of(expected, run.draw.leaves)
        hint = missing_gradient_hint(user)
        for role, exact in exact_grads.items():
            if exact is None:
                continue
            grad = user_grads[role]
            pairs.append((run.draw.label, call.names[role], grad, exact, hint))
    return exact_gradient_outcome(
        "gradient on the same draw" + suffix, pairs, rtol=rtol, atol=atol, scale=None,
        reference="autograd of the objective your loss implies, on the same draw",
    )


def _stress_value(call: _LossCall, runs: list[_Run], fit: AffineFit, lik: Likelihood, rtol: float, atol: float) -> ClaimOutcome:
    claim = "value, stress"
    worst = None
    count = failures = 0
    for run in runs:
        actual = (call.sign * run.output).detach().reshape(-1)
        expected = _fitted(fit, run, call.per_point).detach().reshape(-1)
        mismatch = worst_mismatch(actual, expected, rtol=rtol, atol=atol)
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, run)
    mismatch, run = worst
    where = f"data point {mismatch.index[0]} of {run.draw.label}" if call.per_point else run.draw.label
    quantity = quantity_of(call)
    sign = call.sign
    setting = f"{lik.stress}, |mu| ~ 10, σ from 0.02 to 55"
    if failures:
        message = (
            f"{claim}: expected {sign * mismatch.expected:.10g} (the objective your {quantity} implies, on the "
            f"same draw), actual {sign * mismatch.actual:.10g} at {where} [{setting}]"
            f"{non_finite_note(mismatch.actual)}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; "
            f"{failures} of {count} values outside tolerance; sample size {count}, exact comparison"
        )
    else:
        message = (
            f"{claim}: all {count} values equal the implied objective [{setting}] (largest |error| "
            f"{mismatch.error:.3g}, tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
    return ClaimOutcome(claim, failures == 0, mismatch.error, mismatch.tolerance, count, EXACT, message)


__all__ = ["check_vae_loss", "kl_standard_normal", "VAE_LOSS_NAMES", "ImpliedObjective"]
