"""One call of the user's function on one chain, and the exact values its outputs must match.

Each `Comparison` pairs what the user returned for a claim with the exact value (an `Approx`, whose
error bound sets the tolerance) and says which timestep each row is at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

import math

from elbo_suite.gate.diffusion import formulas as F
from elbo_suite.gate.diffusion import likelihood as L
from elbo_suite.gate.diffusion import roles as R
from elbo_suite.gate.diffusion.approx import Approx, data
from elbo_suite.gate.diffusion.calling import Binding, call, read_outputs, require_tensor
from elbo_suite.gate.diffusion.cases import Inputs, learned_variance_values, network_output
from elbo_suite.gate.diffusion.formulas import Schedule, Step
from elbo_suite.gate.diffusion.tables import table


@dataclass(frozen=True)
class Conventions:
    """What the user's code assumes where codebases differ (all stated by options or read from an object)."""

    prediction: str = "epsilon"  # what the network outputs: epsilon, sample, v_prediction
    variance: str = "fixed_small"  # fixed_small (β̃), fixed_large (β), learned_range, learned
    clip_range: float | None = None  # x̂₀ clipped to [−r, r] when the function takes no clip flag
    # DDIM: ε̂ re-derived from the clipped x̂₀. None: as guided-diffusion's ddim_sample does when the
    # step calls a model (it re-derives ε̂ from p_mean_variance's x̂₀), else from the model output.
    eps_from_clipped: bool | None = None
    etas: tuple[float, ...] = (0.0, 0.6, 1.0)  # DDIM η values tried when the function takes `eta`
    cdf: str = "exact"  # Φ of the discretized decoder: exact, or improved-diffusion's tanh approximation
    units: str = "nats"  # a VLB term summed over dimensions in nats, or bits_per_dim (mean / ln 2)


@dataclass(frozen=True)
class Comparison:
    claim: str
    actual: Tensor  # (B, ...) float64, possibly non-finite
    expected: Approx
    where: list[str]  # per row: "t=1" or "step t=856 → 713"
    rows: Tensor | None = None  # (B,) bool: rows this claim covers (None: all)
    hint: str = ""  # said after a failure: e.g. which other convention the output matches


@dataclass
class Call:
    """Everything needed to call the function once on a block of rows."""

    fn: Callable[..., Any]
    what: str  # "your function 'q_sample'"
    binding: Binding
    schedule: Schedule
    tables_from: Tensor | None  # β table the gate's schedule tables come from (None: object's own)
    conventions: Conventions
    seed: int
    comparisons: list[Comparison] = field(default_factory=list)


def _where(kind: str, inputs: Inputs) -> list[str]:
    if kind == "step":
        return [f"step t={int(a)} → {'data' if int(b) < 0 else int(b)}" for a, b in zip(inputs.t, inputs.t_prev)]
    return [f"t={int(a)}" for a in inputs.t]


def _values(call_: Call, inputs: Inputs, rows: slice) -> dict[str, Any]:
    """Values by meaning for the rows `rows` (all rows, or one timestep's block for int-timestep functions)."""
    v: dict[str, Any] = {
        R.X_START: inputs.x_start[rows], R.NOISE: inputs.noise[rows], R.X_T: inputs.x_t[rows],
        R.T: inputs.t[rows], R.T_PREV: inputs.t_prev[rows],
    }
    if call_.binding.int_timestep:
        v[R.T], v[R.T_PREV] = int(inputs.t[rows][0]), int(inputs.t_prev[rows][0])
    if call_.tables_from is not None:
        for name in call_.binding.tables():
            v["table:" + name] = table(name, call_.tables_from)
    return v


def run_blocks(call_: Call, role: R.Role, inputs: Inputs, extra: dict[str, Any], invoke: Callable[[dict[str, Any], slice], Any]) -> list[tuple[slice, Any]]:
    """Call once with every row, or once per timestep block when the function takes an int timestep."""
    n = inputs.t.shape[0]
    if not call_.binding.int_timestep:
        blocks = [slice(0, n)]
    else:
        starts = [0] + [i for i in range(1, n) if (inputs.t[i], inputs.t_prev[i]) != (inputs.t[i - 1], inputs.t_prev[i - 1])]
        blocks = [slice(a, b) for a, b in zip(starts, [*starts[1:], n])]
    results = []
    for block in blocks:
        values = {**_values(call_, inputs, block), **{k: (v[block] if isinstance(v, Tensor) and v.dim() > 0 and v.shape[0] == n else v) for k, v in extra.items()}}
        results.append((block, invoke(values, block)))
    return results


def _stack(outputs: list[tuple[slice, Tensor]], like: Tensor) -> Tensor:
    full = torch.empty_like(like)
    for block, value in outputs:
        full[block] = value
    return full


# -- timewise roles ---------------------------------------------------------------------------------
_TIMEWISE_OUTPUTS = {
    "q_sample": ("x_t",),
    "q_mean_variance": ("mean", "variance", "log_variance"),
    "q_posterior": ("mean", "variance", "log_variance"),
    "x_start_from_eps": ("x_start",),
    "eps_from_x_start": ("eps",),
    "velocity": ("v",),
    "x_start_from_v": ("x_start",),
    "eps_from_v": ("eps",),
    "x_start_from_x_prev": ("x_start",),
}


def evaluate_timewise(call_: Call, role: R.Role, inputs: Inputs) -> None:
    ab = call_.schedule.at(inputs.t).view_rows(4)
    step = Step.of(call_.schedule, inputs.t, inputs.t_prev, 4)
    x0, xt, noise = data(inputs.x_start), data(inputs.x_t), data(inputs.noise)
    # The "other" input of a conversion: an ε, an x̂₀, a v or an x_{t−1} that is not the true one.
    other = inputs.noise + inputs.output_noise
    extra: dict[str, Any] = {R.EPS: other, R.V: other, R.X_PREV: other}
    if role.name == "eps_from_x_start":
        extra[R.X_START] = inputs.x_start + inputs.output_noise
    o = data(other)
    expected: dict[str, Approx] = {
        "q_sample": {"x_t": F.q_sample(ab, x0, noise)},
        "q_mean_variance": {"mean": ab.sqrt() * x0, "variance": 1.0 - ab, "log_variance": (1.0 - ab).log()},
        "q_posterior": {"mean": step.posterior_mean(x0, xt), "variance": step.posterior_variance,
                        "log_variance": step.posterior_variance.log()},
        "x_start_from_eps": {"x_start": F.x_start_from_eps(ab, xt, o)},
        "eps_from_x_start": {"eps": F.eps_from_x_start(ab, xt, data(extra.get(R.X_START, inputs.x_start)))},
        "velocity": {"v": F.velocity(ab, x0, noise)},
        "x_start_from_v": {"x_start": F.x_start_from_v(ab, xt, o)},
        "eps_from_v": {"eps": F.eps_from_v(ab, xt, o)},
        "x_start_from_x_prev": {"x_start": F.x_start_from_x_prev(step, xt, o)},
    }[role.name]
    order = _TIMEWISE_OUTPUTS[role.name]
    outputs = run_blocks(call_, role, inputs, extra, lambda values, block: call(call_.fn, call_.binding, values, call_.what))
    where = _where("timewise", inputs)
    names = {"x_t": "x_t", "mean": "mean", "variance": "variance", "log_variance": "log-variance", "x_start": "x̂₀",
             "eps": "ε̂", "v": "v"}
    read = [(block, read_outputs(value, order, call_.what)) for block, value in outputs]
    for key in order:
        if not all(key in r for _, r in read):
            continue  # a posterior that returns (mean, variance) only: nothing to compare for log-variance
        broadcast = key in ("variance", "log_variance")
        parts = [(block, require_tensor(r[key], f"output {key}", inputs.x_t[block], call_.what, broadcast)) for block, r in read]
        actual = _stack(parts, inputs.x_t)
        claim = f"{_ROLE_TITLES[role.name]} {names[key]}" if len(order) > 1 else _ROLE_TITLES[role.name]
        exp = _broadcast(expected[key], inputs.x_t)
        if role.name == "q_posterior" and key == "log_variance":
            _posterior_log_variance(call_, claim, actual, exp, inputs, where)
            continue
        call_.comparisons.append(Comparison(claim, actual, exp, where))


def _posterior_log_variance(call_: Call, claim: str, actual: Tensor, exp: Approx, inputs: Inputs, where: list[str]) -> None:
    """log β̃_t exactly where β̃_t > 0; at t = 0 (β̃_0 = 0) any finite clip at or below log β̃_1."""
    zero = (inputs.t == 0)
    call_.comparisons.append(Comparison(claim, actual, exp, where, rows=~zero))
    if bool(zero.any()):
        step1 = Step.of(call_.schedule, torch.ones_like(inputs.t), torch.zeros_like(inputs.t), 4).posterior_variance.log()
        bound = _broadcast(step1, inputs.x_t)
        # One-sided: finite and ≤ log β̃_1 (within its tolerance); report against log β̃_1.
        clipped = torch.where(torch.isfinite(actual) & (actual <= bound.value + 4 * bound.error), bound.value, actual)
        call_.comparisons.append(
            Comparison(f"{claim} at t=0 (a finite clip ≤ log β̃_1)", clipped, bound, where, rows=zero)
        )


def _broadcast(a: Approx, like: Tensor) -> Approx:
    return Approx(a.value.expand_as(like), a.error.expand_as(like), a.unit)


_ROLE_TITLES = {
    "q_sample": "q_sample x_t", "q_mean_variance": "q(x_t|x₀)", "q_posterior": "posterior",
    "x_start_from_eps": "x̂₀ from ε", "eps_from_x_start": "ε̂ from x̂₀", "velocity": "v from (x₀, ε)",
    "x_start_from_v": "x̂₀ from v", "eps_from_v": "ε̂ from v", "x_start_from_x_prev": "x̂₀ from x_{t−1}",
}


# -- elementwise roles: normal_kl and the discretized Gaussian log-likelihood ----------------------
def evaluate_elementwise(call_: Call, role: R.Role, inputs: Inputs) -> None:
    if role.name == "normal_kl":
        evaluate_normal_kl(call_, role, inputs)
    else:
        evaluate_discretized(call_, role, inputs)


def evaluate_discretized(call_: Call, role: R.Role, inputs: Inputs) -> None:
    x = on_grid(inputs.x_start)
    g = torch.Generator().manual_seed(call_.seed)
    log_scales = torch.empty_like(x).uniform_(math.log(0.003), math.log(0.03), generator=g)
    means = x + 0.7 * torch.exp(log_scales) * torch.randn(x.shape, generator=g, dtype=torch.float64)
    value = call(call_.fn, call_.binding, {R.X_START: x, R.MEANS: means, R.LOG_SCALES: log_scales}, call_.what)
    actual = require_tensor(read_outputs(value, ("log_likelihood",), call_.what)["log_likelihood"], "output", x, call_.what)
    cdf = call_.conventions.cdf
    expected = L.discretized_gaussian_log_likelihood(x, means, log_scales, cdf)
    other = "tanh" if cdf == "exact" else "exact"
    hint = _matches(actual, L.discretized_gaussian_log_likelihood(x, means, log_scales, other),
                    f"your output matches the {other} Φ: pass cdf={other!r} if that is what you intend")
    where = [f"row {i}" for i in range(x.shape[0])]
    call_.comparisons.append(Comparison("discretized Gaussian log-likelihood", actual, expected, where, hint=hint))


def on_grid(x: Tensor) -> Tensor:
    """x snapped to the 256 levels of [−1, 1] (2/255 apart), edges included."""
    return torch.round((x.clamp(-1, 1) + 1) * 127.5) / 127.5 - 1


def _matches(actual: Tensor, alternative: Approx, hint: str, safety: float = 4.0) -> str:
    close = (actual - alternative.value).abs() <= safety * alternative.error + 4 * 2.0**-53 * alternative.value.abs()
    return hint if bool(close.all()) else ""


# -- normal_kl ------------------------------------------------------------------------------------
def evaluate_normal_kl(call_: Call, role: R.Role, inputs: Inputs) -> None:
    mean1, logvar1, mean2, logvar2 = inputs.gaussians
    values = {R.MEAN1: mean1, R.LOGVAR1: logvar1, R.MEAN2: mean2, R.LOGVAR2: logvar2}
    value = call(call_.fn, call_.binding, values, call_.what)
    actual = require_tensor(read_outputs(value, ("kl",), call_.what)["kl"], "output", mean1, call_.what)
    expected = F.normal_kl(data(mean1), data(logvar1), data(mean2), data(logvar2))
    where = [f"row {i}" for i in range(mean1.shape[0])]
    call_.comparisons.append(Comparison("normal_kl", actual, expected, where))
    # KL(p‖p) = 0, with a finite value where the two Gaussians coincide.
    same = call(call_.fn, call_.binding, {R.MEAN1: mean1, R.LOGVAR1: logvar1, R.MEAN2: mean1, R.LOGVAR2: logvar1}, call_.what)
    actual_same = require_tensor(read_outputs(same, ("kl",), call_.what)["kl"], "output", mean1, call_.what)
    zero = F.normal_kl(data(mean1), data(logvar1), data(mean1), data(logvar1))
    call_.comparisons.append(Comparison("normal_kl(p‖p) = 0", actual_same, zero, where))


# -- reverse steps ----------------------------------------------------------------------------------
def evaluate_step(call_: Call, role: R.Role, inputs: Inputs) -> None:
    conv = call_.conventions
    ndim = inputs.x_t.dim()
    step = Step.of(call_.schedule, inputs.t, inputs.t_prev, ndim)
    ab_t = call_.schedule.at(inputs.t).value
    output = network_output(conv.prediction, inputs, ab_t)
    learned = conv.variance in ("learned_range", "learned")
    var_values = None
    model_output = output
    if learned:
        log_small = step.posterior_variance.log().value.expand_as(inputs.x_t)
        log_large = step.beta.log().value.expand_as(inputs.x_t)
        log_small = torch.where(torch.isfinite(log_small), log_small, log_large)
        var_values = learned_variance_values(conv.variance, inputs, log_small, log_large)
        model_output = torch.cat([output, var_values], dim=1)
    meanings = call_.binding.meanings()
    clip_flags = [False, True] if R.CLIP in meanings else [None]
    auto = R.MODEL in meanings and R.MODEL_OUTPUT not in meanings
    eps_flags = [False, True] if R.EPS_FROM_CLIPPED in meanings else [auto if conv.eps_from_clipped is None else conv.eps_from_clipped]
    etas = (conv.etas if R.ETA in meanings else conv.etas[:1]) if role.name == "ddim_step" else (None,)
    where = _where("step", inputs)
    not_final = inputs.t_prev >= 0
    for clip_flag in clip_flags:
        clip_range = conv.clip_range if clip_flag is None else (1.0 if clip_flag else None)
        for eps_flag in eps_flags:
            for eta in etas:
                label = _step_label(role, clip_flag, eps_flag if R.EPS_FROM_CLIPPED in meanings else None, eta)
                extra: dict[str, Any] = {R.MODEL_OUTPUT: model_output}
                if clip_flag is not None:
                    extra[R.CLIP] = clip_flag
                if eta is not None:
                    extra[R.ETA] = eta
                if R.EPS_FROM_CLIPPED in meanings:
                    extra[R.EPS_FROM_CLIPPED] = eps_flag
                noises: list[tuple[slice, Tensor]] = []
                outputs = run_blocks(call_, role, inputs, extra, lambda values, block: _call_step(call_, values, block, inputs, model_output, noises))
                z = _stack(noises, inputs.x_t)
                vv = data(var_values) if var_values is not None else None
                if role.name == "ddim_step":
                    ref = F.ddim_step(step, conv.prediction, float(eta), data(inputs.x_t), data(output), data(z), clip_range, eps_flag)
                else:
                    ref = F.ddpm_step(step, conv.prediction, conv.variance, data(inputs.x_t), data(output), vv, data(z), clip_range)
                if role.name == "p_mean_variance":
                    order = ("mean", "variance", "log_variance", "pred_x_start")
                else:
                    order = ("sample", "pred_x_start")
                read = [(block, read_outputs(value, order, call_.what)) for block, value in outputs]
                expected = {"sample": ref.sample, "pred_x_start": ref.pred_x_start, "mean": ref.mean}
                if ref.log_variance is not None:
                    expected["log_variance"] = ref.log_variance
                    expected["variance"] = ref.log_variance.exp()
                names = {"sample": "x_{t'}", "pred_x_start": "x̂₀", "mean": "mean", "variance": "variance", "log_variance": "log-variance"}
                for key in order:
                    if not all(key in r for _, r in read):
                        continue
                    parts = [(block, require_tensor(r[key], f"output {key}", inputs.x_t[block], call_.what, broadcast=key in ("variance", "log_variance"))) for block, r in read]
                    actual = _stack(parts, inputs.x_t)
                    rows = not_final if key in ("variance", "log_variance") else None
                    call_.comparisons.append(
                        Comparison(f"{label} {names[key]}", actual, _broadcast(expected[key], inputs.x_t), where, rows)
                    )


def evaluate_vlb(call_: Call, role: R.Role, inputs: Inputs) -> None:
    """The per-t VLB term on data on the 256-level grid: from the model's own p(x_{t−1}|x_t) when the
    function calls a model, or from the model mean and log-variance the gate hands it."""
    conv = call_.conventions
    schedule = call_.schedule
    x0 = on_grid(inputs.x_start)
    ab = schedule.at(inputs.t)
    x_t = F.q_sample(data(ab.value).view_rows(4), data(x0), data(inputs.noise)).value
    step = Step.of(schedule, inputs.t, inputs.t_prev, 4)
    final = step.final.expand_as(x0)
    meanings = call_.binding.meanings()
    where = _where("timewise", inputs)
    units = conv.units
    claim = f"VLB term L_t ({'bits/dim' if units == 'bits_per_dim' else 'nats'})"
    like = torch.empty(x0.shape[0], dtype=torch.float64)
    if R.MODEL in meanings:
        output = network_output(conv.prediction, inputs, ab.value)
        var_values, model_output = None, output
        if conv.variance in ("learned_range", "learned"):
            var_values = inputs.var_values
            model_output = torch.cat([output, var_values], dim=1)
        vv = data(var_values) if var_values is not None else None
        clip_flags = [False, True] if R.CLIP in meanings else [None]
        for clip_flag in clip_flags:
            clip_range = conv.clip_range if clip_flag is None else (1.0 if clip_flag else None)
            ref = F.ddpm_step(step, conv.prediction, conv.variance, data(x_t), data(output), vv,
                              data(torch.zeros_like(x0)), clip_range)
            decoder = L.decoder_log_variance(conv.variance, schedule, inputs.t, vv, 4)
            log_variance = _where_approx(final, _broadcast(decoder, x0), _broadcast(ref.log_variance, x0))
            expected = L.vlb_term(step, data(x0), data(x_t), ref.mean, log_variance, conv.cdf, units)
            values = {**_values(call_, inputs, slice(None)), R.X_START: x0, R.X_T: x_t, R.MODEL: _ProbeModel(model_output)}
            if clip_flag is not None:
                values[R.CLIP] = clip_flag
            value = call(call_.fn, call_.binding, values, call_.what)
            actual = require_tensor(read_outputs(value, ("vlb",), call_.what)["vlb"], "output", like, call_.what)
            label = claim + ("" if clip_flag is None else (" (clipped)" if clip_flag else " (unclipped)"))
            hint = _vlb_hint(actual, step, x0, x_t, ref.mean, log_variance, conv)
            call_.comparisons.append(Comparison(label, actual, expected, where, hint=hint))
        return
    small = step.posterior_variance.log()
    decoder = L.decoder_log_variance("fixed_small", schedule, inputs.t, None, 4)
    true_log_variance = torch.where(final, _broadcast(decoder, x0).value, _broadcast(small, x0).value)
    model_log_variance = true_log_variance + 0.5 * inputs.var_values
    model_mean = step.posterior_mean(data(x0), data(x_t)).value + 0.5 * torch.exp(0.5 * true_log_variance) * inputs.output_noise / 0.3
    values = {**_values(call_, inputs, slice(None)), R.X_START: x0, R.X_T: x_t, R.MODEL_MEAN: model_mean,
              R.MODEL_LOG_VARIANCE: model_log_variance}
    value = call(call_.fn, call_.binding, values, call_.what)
    actual = require_tensor(read_outputs(value, ("vlb",), call_.what)["vlb"], "output", like, call_.what)
    expected = L.vlb_term(step, data(x0), data(x_t), data(model_mean), data(model_log_variance), conv.cdf, units)
    hint = _vlb_hint(actual, step, x0, x_t, data(model_mean), data(model_log_variance), conv)
    call_.comparisons.append(Comparison(claim, actual, expected, where, hint=hint))


def _vlb_hint(actual: Tensor, step: Step, x0: Tensor, x_t: Tensor, mean: Approx, log_variance: Approx, conv: Conventions) -> str:
    for cdf in L.CDFS:
        for units in L.UNITS:
            if (cdf, units) == (conv.cdf, conv.units):
                continue
            alternative = L.vlb_term(step, data(x0), data(x_t), mean, log_variance, cdf, units)
            hint = _matches(actual, alternative, f"your output matches cdf={cdf!r}, units={units!r}: pass those if that is what you intend")
            if hint:
                return hint
    return ""


def _where_approx(mask: Tensor, a: Approx, b: Approx) -> Approx:
    return Approx(torch.where(mask, a.value, b.value), torch.where(mask, a.error, b.error), min(a.unit, b.unit))


def _step_label(role: R.Role, clip_flag: bool | None, eps_flag: bool | None, eta: float | None) -> str:
    title = {"ddpm_step": "DDPM step", "ddim_step": "DDIM step", "p_mean_variance": "p(x_{t−1}|x_t)"}[role.name]
    notes = []
    if eta is not None:
        notes.append(f"η={eta:g}")
    if clip_flag is not None:
        notes.append("clipped" if clip_flag else "unclipped")
    if eps_flag is not None:
        notes.append("ε̂ from clipped x̂₀" if eps_flag else "ε̂ from the model")
    return title + (f" ({', '.join(notes)})" if notes else "")


def _call_step(call_: Call, values: dict[str, Any], block: slice, inputs: Inputs, model_output: Tensor, noises: list[tuple[slice, Tensor]]) -> Any:
    """Call a step; record the noise z it used: injected, replayed from the generator, or replayed
    from the global RNG (a step that draws torch.randn_like(x) once)."""
    meanings = call_.binding.meanings()
    x = values[R.X_T]
    block_output = model_output[block]
    values[R.MODEL_OUTPUT] = block_output
    values[R.MODEL] = _ProbeModel(block_output)
    seed = call_.seed * 1000 + block.start
    if R.STEP_NOISE in meanings:
        values[R.STEP_NOISE] = inputs.step_noise[block]
        values.pop(R.GENERATOR, None)
        noises.append((block, inputs.step_noise[block]))
        return call(call_.fn, call_.binding, values, call_.what)
    if R.GENERATOR in meanings:
        values[R.GENERATOR] = torch.Generator().manual_seed(seed)
        result = call(call_.fn, call_.binding, values, call_.what)
        noises.append((block, torch.randn(x.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)))
        return result
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        result = call(call_.fn, call_.binding, values, call_.what)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        noises.append((block, torch.randn(x.shape, dtype=torch.float64)))
    return result


class _ProbeModel:
    """Stands in for the network in p_sample / p_mean_variance / ddim_sample: returns the gate's output."""

    def __init__(self, output: Tensor) -> None:
        self.output = output

    def __call__(self, x: Tensor, t: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return self.output.clone()
