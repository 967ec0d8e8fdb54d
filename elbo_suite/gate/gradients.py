"""Gate for a user's per-draw gradient estimator of the ELBO (or of IWAE_K).

Contract (the one `elbo_suite.estimators.gradients` states for its own estimators). The gate calls
`fn(log_joint, q, eps)` positionally, with
- log_joint: a callable z (N, k) -> (N,), log p(x, z) for one data point x of an exact
  linear-Gaussian model, row n depending on z[n] only; it also has `.log_likelihood(z)` and
  `.log_prior(z)` for estimators that use the analytic KL, and `.model`, `.x`;
- q: the variational parameters φ as `MeanLogStd` (φ = mean, log_std; P = 2k) or `MeanCholesky`
  (φ = mean, log of L's diagonal, L's strictly lower entries; P = 2k + k(k−1)/2), with
  q.path(eps), q.log_prob(eps), q.score(eps), q.path_vjp(eps, v), q.grad_z_log_prob(eps);
- eps: standard-normal noise, (N, k); or (N, K, k) with group_size=K (leave-one-out baselines)
  and for objective="iwae" (K = num_particles).
It returns per-draw gradient estimates, a float64 tensor (N, P): row n is an unbiased estimate of
∇_φ ELBO(φ) (or ∇_φ E[IWAE_K]) made from draw (or group) n alone.

Claims, statistical, each with false-alarm rate α (Bonferroni over the coordinates and
configurations tested together) and its power stated:
- "unbiased away from the optimum": the mean of the N rows equals the exact gradient (autograd
  on the closed-form ELBO; for IWAE, the mean of the doubly reparameterised reference on 4 N
  fresh groups) at q away from the posterior, for two data points;
- "stationary at the optimum": at q = p(z|x) the exact gradient is 0; the mean must be 0.
- "unbiased, exact by quadrature" (ELBO, single-draw estimators): the estimator's expectation over
  ε by a Gauss–Hermite rule, exact for these polynomial integrands, equals the exact gradient to
  rounding, so a bias of any size is caught; it applies when each row depends on its own draw
  alone and the rule has converged (see `quadrature`), and is skipped, not failed, otherwise.
- "finite rows" and "finite under stress": every row is finite, on the configurations above and
  on stress configurations (k = 16, log-weights hundreds to thousands of nats from 0, where an
  unshifted exp of the log-weights overflows or underflows); a NaN or inf row is a failed claim.
A coordinate with zero sample variance (e.g. sticking-the-landing at the optimum) is compared
to rounding. With same_as="<name of an estimator of elbo_suite.estimators.gradients>" the gate first checks,
exactly, that every per-draw row equals that estimator's on the same eps ("same rows as
<name>"): no Monte Carlo error, so even a 1e-6 relative slip is caught. The per-coordinate
variance is reported beside the pathwise estimator's on the same draws (for IWAE, the standard
reparameterised gradient).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.callables import call_user, require_callable, require_tensor_output
from elbo_suite.gate.compare import NON_FINITE, Mismatch, worst_mismatch
from elbo_suite.gate.errors import GateInputError
from elbo_suite.gate.options import require_alpha, require_int, require_tolerances
from elbo_suite.gate.quadrature import quadrature_claim
from elbo_suite.gate.result import EXACT, ClaimOutcome, GateResult
from elbo_suite.gate.setups import STRESS_SCENARIOS, make_setup, make_stress_setup
from elbo_suite.gate.statistics import z_test
from elbo_suite.gate.threads import single_threaded
from elbo_suite.estimators.gradients import (
    GaussianParameterisation,
    LinearGaussianTarget,
    MeanCholesky,
    MeanLogStd,
    iwae_dreg,
    iwae_reparameterised,
    iwae_sticking_the_landing,
    kl_to_standard_normal_prior,
    pathwise,
    pathwise_analytic_kl,
    score_function,
    score_function_optimal_baseline,
    score_function_rloo,
    sticking_the_landing,
)
from elbo_suite.estimators.variational import DiagonalGaussian, GaussianQ

PARAMETERISATIONS = ("mean_log_std", "mean_cholesky", "both")
PARAMETERISATION_HINT = (
    "; if your estimator handles only a mean / log-std q, pass parameterisation='mean_log_std' "
    "(command line: --parameterisation mean_log_std)"
)
OBJECTIVES = ("elbo", "iwae")
AWAY_DATA_POINTS = (0, 1)
REFERENCE_FACTOR = 4  # the IWAE reference uses this many times N groups

# The suite's estimators a user's rows can be held against exactly (same_as=...).
SUITE_ESTIMATORS: dict[str, Callable[..., Tensor]] = {
    "pathwise": pathwise,
    "pathwise_analytic_kl": lambda target, q, eps: pathwise_analytic_kl(
        target.log_likelihood, q, eps, kl_to_standard_normal_prior
    ),
    "score_function": score_function,
    "score_function_without_zero_mean_term": lambda target, q, eps: score_function(
        target, q, eps, keep_zero_mean_term=False
    ),
    "score_function_optimal_baseline": score_function_optimal_baseline,
    "sticking_the_landing": sticking_the_landing,
    "score_function_rloo": score_function_rloo,
    "iwae_reparameterised": iwae_reparameterised,
    "iwae_dreg": iwae_dreg,
    "iwae_sticking_the_landing": iwae_sticking_the_landing,
}
GROUPED = ("score_function_rloo", "iwae_reparameterised", "iwae_dreg", "iwae_sticking_the_landing")


@dataclass(frozen=True, eq=False)
class CallableTarget(LinearGaussianTarget):
    """A data point's log p(x, z) as a callable z (N, k) -> (N,), keeping the target's methods."""

    def __call__(self, z: Tensor) -> Tensor:
        return self.log_joint(z)


@dataclass(frozen=True)
class _Config:
    label: str
    target: CallableTarget
    q: GaussianParameterisation
    at_optimum: bool


def check_gradient_estimator(
    fn: Callable[..., Any],
    *,
    objective: str = "elbo",
    num_particles: int = 5,
    group_size: int | None = None,
    parameterisation: str = "both",
    num_draws: int = 20_000,
    alpha: float = 1e-6,
    same_as: str | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    seed: int = 0,
) -> GateResult:
    """Check a user's per-draw gradient estimator; see the module docstring."""
    fn = require_callable("fn", fn)
    if objective not in OBJECTIVES:
        raise GateInputError(f"objective: expected one of {OBJECTIVES}, got {objective!r}")
    if parameterisation not in PARAMETERISATIONS:
        raise GateInputError(f"parameterisation: expected one of {PARAMETERISATIONS}, got {parameterisation!r}")
    for name, value, minimum in (("num_particles", num_particles, 2), ("num_draws", num_draws, 100)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise GateInputError(f"{name}: expected an int ≥ {minimum}, got {value!r}")
    if group_size is not None and (isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 2):
        raise GateInputError(f"group_size: expected None or an int ≥ 2, got {group_size!r}")
    require_int("seed", seed, 0)
    require_tolerances(rtol, atol)
    require_alpha(alpha)
    group = num_particles if objective == "iwae" else group_size
    if same_as is not None:
        if same_as not in SUITE_ESTIMATORS:
            raise GateInputError(f"same_as: expected None or one of {tuple(SUITE_ESTIMATORS)}, got {same_as!r}")
        if (same_as in GROUPED) != (group is not None):
            takes, fix = (
                ("grouped eps (N, K, k)", "pass objective='iwae' or group_size")
                if same_as in GROUPED else ("eps (N, k)", "drop group_size")
            )
            raise GateInputError(f"same_as={same_as!r} takes {takes}: {fix}")
    families = ("mean_log_std", "mean_cholesky") if parameterisation == "both" else (parameterisation,)
    subject = (
        f"gradient estimator ({objective}"
        + (f", K = {num_particles}" if objective == "iwae" else "")
        + (f", groups of {group_size}" if group_size and objective == "elbo" else "")
        + f", {parameterisation}, N = {num_draws})"
    )
    with single_threaded():
        configs = [c for i, family in enumerate(families) for c in _configs(family, seed + i)]
        runs = [_run(fn, config, objective, group, num_draws, seed + 100 * j) for j, config in enumerate(configs)]
        exact = quadrature_claim(fn, configs) if objective == "elbo" and group is None else None
        stress = [_stress_run(fn, config, group, seed + j) for j, config in enumerate(_stress_configs(families, seed))]
    away = [r for r in runs if not r.config.at_optimum]
    optimum = [r for r in runs if r.config.at_optimum]
    outcomes = [_same_rows(runs, same_as, rtol, atol)] if same_as is not None else []
    outcomes.append(_non_finite_rows("finite under stress", stress) or _finite_stress_outcome(stress))
    if same_as is not None:
        outcomes.append(_same_rows(stress, same_as, rtol, atol, suffix=", stress"))
    broken = _non_finite_rows("finite rows", runs)
    if broken is not None:
        outcomes.append(broken)
    else:
        outcomes += [exact] if exact is not None else []
        outcomes += [
            _claim("unbiased away from the optimum", away, alpha, objective),
            _claim("stationary at the optimum", optimum, alpha, objective),
        ]
    variance = {
        r.config.label: {
            "variance": r.samples.var(0).tolist(),
            "pathwise_variance": r.pathwise.var(0).tolist(),
            "parameters": r.config.q.param_names(),
        }
        for r in runs
    }
    return GateResult.from_claims(
        subject, outcomes, objective=objective, num_particles=num_particles, group_size=group_size,
        parameterisation=parameterisation, num_draws=num_draws, alpha=alpha, same_as=same_as, seed=seed,
        variance=variance,
    )


STRESS_DRAWS = 500


def _stress_configs(families: tuple[str, ...], seed: int) -> list[_Config]:
    configs = []
    for i, scenario in enumerate(STRESS_SCENARIOS):
        family = families[i % len(families)]
        setup = make_stress_setup("diagonal" if family == "mean_log_std" else "full", scenario, seed + i)
        q = (MeanLogStd.from_parts(setup.q.mean[0].detach(), setup.q.log_std[0].detach())
             if isinstance(setup.q, DiagonalGaussian)
             else MeanCholesky.from_parts(setup.q.mean[0].detach(), setup.q.scale_tril[0].detach()))
        configs.append(_Config(f"{family}, data point 0, {setup.label}", CallableTarget(setup.model, setup.x[0]), q, False))
    return configs


def _stress_run(fn: Callable[..., Any], config: _Config, group: int | None, seed: int) -> _Run:
    """The user's rows on a stress configuration (no reference mean: only finiteness and same_as)."""
    generator = torch.Generator().manual_seed(65_000 + seed)
    k, P = config.q.latent_dim, config.q.num_params
    shape = (STRESS_DRAWS, k) if group is None else (STRESS_DRAWS, group, k)
    eps = torch.randn(shape, generator=generator, dtype=torch.float64)
    kind = type(config.q).__name__
    signature = f"fn(log_joint z (N, {k}) -> (N,), q {kind} with P = {P}, eps {tuple(shape)})"
    output = call_user(fn, (config.target, config.q, eps.clone()), "your gradient estimator", signature)
    samples = require_tensor_output(output, "your gradient estimator", (STRESS_DRAWS, P), "(N, P) per-draw gradients").detach()
    empty = torch.zeros(P, dtype=torch.float64)
    return _Run(config, samples, empty, None, torch.zeros_like(samples), eps)


def _non_finite_rows(claim: str, runs: list[_Run]) -> ClaimOutcome | None:
    for run in runs:
        bad = ~torch.isfinite(run.samples)
        if bool(bad.any()):
            draw, column = (int(i) for i in bad.nonzero()[0])
            rows = int(bad.any(1).sum())
            message = (
                f"{claim}: expected finite gradient rows, actual {float(run.samples[draw, column])} at draw {draw}, "
                f"d/d {run.config.q.param_names()[column]} [{run.config.label}] ({NON_FINITE}); {rows} of "
                f"{run.samples.shape[0]} rows non-finite; sample size {run.samples.shape[0]} draws"
            )
            return ClaimOutcome(claim, False, float("inf"), 0.0, run.samples.shape[0], EXACT, message)
    return None


def _finite_stress_outcome(runs: list[_Run]) -> ClaimOutcome:
    n = sum(r.samples.shape[0] for r in runs)
    labels = "; ".join(r.config.label for r in runs)
    message = f"finite under stress: all {n} rows finite on {len(runs)} stress configurations ({labels}); sample size {n} draws"
    return ClaimOutcome("finite under stress", True, 0.0, 0.0, n, EXACT, message)


def _configs(family: str, seed: int) -> list[_Config]:
    setup = make_setup("diagonal" if family == "mean_log_std" else "full", seed)

    def params(q: GaussianQ, row: int) -> GaussianParameterisation:
        if isinstance(q, DiagonalGaussian):
            return MeanLogStd.from_parts(q.mean[row].detach(), q.log_std[row].detach())
        return MeanCholesky.from_parts(q.mean[row].detach(), q.scale_tril[row].detach())

    configs = [
        _Config(f"{family}, data point {row}, q away from p(z|x), seed {seed}",
                CallableTarget(setup.model, setup.x[row]), params(setup.q, row), False)
        for row in AWAY_DATA_POINTS
    ]
    configs.append(
        _Config(f"{family}, data point 0, q = p(z|x), seed {seed}",
                CallableTarget(setup.model, setup.x[0]), params(setup.posterior_q, 0), True)
    )
    return configs


@dataclass(frozen=True)
class _Run:
    config: _Config
    samples: Tensor  # (N, P) the user's per-draw gradients
    expected: Tensor  # (P,) the exact gradient (or the reference mean for IWAE)
    expected_se: Tensor | None  # (P,) SE of an estimated reference
    pathwise: Tensor  # (N, P) the pathwise estimator on the same draws
    eps: Tensor  # the draws the user's estimator saw


def _run(fn: Callable[..., Any], config: _Config, objective: str, group: int | None, num_draws: int, seed: int) -> _Run:
    generator = torch.Generator().manual_seed(60_000 + seed)
    k, P = config.q.latent_dim, config.q.num_params
    shape = (num_draws, k) if group is None else (num_draws, group, k)
    eps = torch.randn(shape, generator=generator, dtype=torch.float64)
    kind = type(config.q).__name__
    signature = f"fn(log_joint z (N, {k}) -> (N,), q {kind} with P = {P}, eps {tuple(shape)})"
    output = call_user(fn, (config.target, config.q, eps.clone()), "your gradient estimator", signature,
                       PARAMETERISATION_HINT if kind == "MeanCholesky" else "")
    hints = {
        (P,): "the mean gradient: return one row per draw (N, P) instead",
        (num_draws,): "one value per draw: return the gradient rows (N, P), not a surrogate",
        (num_draws, k): "a gradient in z: return the gradient in φ (P columns)",
    }
    samples = require_tensor_output(output, "your gradient estimator", (num_draws, P), "(N, P) per-draw gradients", hints).detach()
    if objective == "iwae":
        pathwise_rows = iwae_reparameterised(config.target, config.q, eps)
        reference_eps = torch.randn((REFERENCE_FACTOR * num_draws, group, k), generator=generator, dtype=torch.float64)
        reference = iwae_dreg(config.target, config.q, reference_eps)
        expected = reference.mean(0)
        expected_se = reference.std(0) / reference.shape[0] ** 0.5
        if config.at_optimum:  # the exact gradient at the posterior is 0 (IWAE_K = log p(x) there)
            expected, expected_se = torch.zeros_like(expected), None
    else:
        flat = eps if group is None else eps.reshape(-1, k)
        pathwise_rows = pathwise(config.target, config.q, flat)
        if group is not None:
            pathwise_rows = pathwise_rows.reshape(num_draws, group, P).mean(1)
        expected = config.target.exact_elbo_gradient(config.q)
        expected_se = None
    return _Run(config, samples, expected.detach(), expected_se, pathwise_rows.detach(), eps)


def _claim(claim: str, runs: list[_Run], alpha: float, objective: str) -> ClaimOutcome:
    samples = torch.cat([r.samples for r in runs], dim=1)  # (N, Σ P)
    expected = torch.cat([r.expected for r in runs])
    ses = [r.expected_se if r.expected_se is not None else torch.zeros_like(r.expected) for r in runs]
    names = [f"d/d {name} [{r.config.label}]" for r in runs for name in r.config.q.param_names()]
    test = z_test(samples, expected, alpha=alpha, expected_standard_error=torch.cat(ses))
    user_variance = sum(float(r.samples.var(0).sum()) for r in runs)
    pathwise_variance = sum(float(r.pathwise.var(0).sum()) for r in runs)
    reference = (
        "0 (the exact gradient at the optimum)" if runs[0].config.at_optimum
        else ("the exact gradient (autograd on the closed-form ELBO)" if objective == "elbo"
              else "the doubly reparameterised reference mean")
    )
    variance = (
        f"variance summed over coordinates {user_variance:.4g} vs pathwise {pathwise_variance:.4g} "
        f"on the same draws"
    )
    where = names[test.index]
    if test.passed:
        message = (
            f"{claim}: worst |z| = {abs(test.z):.3g} ≤ {test.critical:.3g} at {where} (estimate "
            f"{test.estimate:.6g} ± {test.standard_error:.2g}, expected {reference} {test.expected:.6g}); "
            f"α = {alpha:g} (Bonferroni over {test.coordinates} coordinates); detects a bias ≥ "
            f"{test.detectable:.3g} with probability {test.power:g}; {variance}; sample size {test.n} draws"
        )
    else:
        zero = " (zero variance there: compared to rounding)" if test.standard_error < 1e-9 else ""
        message = (
            f"{claim}: expected {reference} = {test.expected:.6g}, actual mean {test.estimate:.6g} ± "
            f"{test.standard_error:.2g} (SE) at {where}{zero}; |z| = {abs(test.z):.3g} > {test.critical:.3g} "
            f"(α = {alpha:g}, Bonferroni over {test.coordinates} coordinates); {variance}; "
            f"sample size {test.n} draws"
        )
    return ClaimOutcome(
        claim, test.passed, abs(test.estimate - test.expected), test.critical * test.standard_error,
        test.n, alpha, message,
    )


def _same_rows(runs: list[_Run], same_as: str, rtol: float, atol: float, suffix: str = "") -> ClaimOutcome:
    claim = f"same rows as {same_as}{suffix}"
    worst: tuple[Mismatch, _Run] | None = None
    count = failures = 0
    for run in runs:
        expected = SUITE_ESTIMATORS[same_as](run.config.target, run.config.q, run.eps).detach()
        mismatch = worst_mismatch(run.samples, expected, rtol=rtol, atol=atol, scale=None)
        count += mismatch.count
        failures += mismatch.failures
        if worst is None or mismatch.ratio > worst[0].ratio:
            worst = (mismatch, run)
    if worst is None:  # every check compares at least one case
        raise RuntimeError('no values were compared')
    mismatch, run = worst
    draw, column = mismatch.index
    where = f"draw {draw}, d/d {run.config.q.param_names()[column]} [{run.config.label}]"
    if failures:
        message = (
            f"{claim}: expected {mismatch.expected:.10g} ({same_as} on your eps), actual {mismatch.actual:.10g} "
            f"at {where}; |error| {mismatch.error:.3g} > tolerance {mismatch.tolerance:.3g}; {failures} of "
            f"{count} entries outside tolerance; sample size {count} gradient entries, exact comparison"
        )
    else:
        message = (
            f"{claim}: all {count} entries within tolerance (largest |error| {mismatch.error:.3g} at {where}, "
            f"tolerance {mismatch.tolerance:.3g}); sample size {count}, exact comparison"
        )
    return ClaimOutcome(claim, failures == 0, mismatch.error, mismatch.tolerance, count, EXACT, message)
