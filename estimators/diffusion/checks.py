"""The diffusion ELBO claims, checked on the exact Gaussian diffusion, for any estimator that follows
the contract in estimators/diffusion/__init__.py, and the default run over the seeded case set.

Statistical claims (z-tests of estimators/stats, per data point, Bonferroni over the batch):
  bound           E[joint ELBO] ≤ log p_θ(x₀)                                  one-sided
  gap identity    E[joint ELBO] + KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) = log p_θ(x₀)   two-sided
  unbiased        E[estimate] = closed-form ELBO (or, for the simple loss, the reweighted bound)
Exact claims (α = 0; the tolerance is float64 rounding, stated in each message):
  tightness       at the true reverse with p(x_T) = q(x_T), every single-draw joint log-ratio equals
                  log p_θ(x₀) (zero variance), and so does the closed-form ELBO
  decompositions  the joint, consistency and denoising closed forms agree
  gap identity    log p_θ(x₀) − ELBO = KL of the chain posteriors, by its precision-matrix route
  weight identity per draw, ℓ_t = C_t + Σ_d w_t (target − prediction)² for ε, x₀, v and score
  SNR weight      with σ_t² = β̃_t the ELBO weights are the SNR forms
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor

from elbo_suite.estimators.diffusion.case_set import DEFAULT_PROCESSES, default_diffusion_cases
from elbo_suite.estimators.diffusion.elbo_estimators import joint_elbo, sampled_elbo, simple_loss
from elbo_suite.estimators.diffusion.loss_aware_sampler import warmed_up_sampler
from elbo_suite.estimators.diffusion.prediction_losses import (
    Weight,
    elbo_weight,
    regression_target,
    simple_loss_as_reweighted_bound,
    snr_weight,
    weighted_vlb_term_samples,
)
from elbo_suite.estimators.diffusion.timestep_samplers import (
    AntitheticTimestep,
    EveryTimestep,
    StratifiedTimestep,
    UniformTimestep,
)
from elbo_suite.estimators.diffusion.vlb_term import vlb_term_samples
from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    chain_posterior_kl,
    closed_form_elbo,
)
from elbo_suite.estimators.models.diffusion_elbo import ELBO_CLOSED_FORMS
from elbo_suite.estimators.models.diffusion_targets import TARGETS
from elbo_suite.estimators.stats import (
    GAP_IDENTITY,
    TIGHTNESS,
    CheckResult,
    bonferroni,
    bound_claim,
    gap_identity_claim,
    tightness_claim,
    unbiased_claim,
)
from elbo_suite.estimators.stats.claims import first_largest
from elbo_suite.estimators.variational.noise import standard_normal
from elbo_suite.numbers import EXACT_ZERO, number

DiffusionEstimator = Callable[..., Tensor]  # estimator(process, reverse, x0, *, generator, num_samples) -> (L, B)
Progress = Callable[[str, int, int], None]

NUM_SAMPLES = 2**14  # per data point, for the single-t estimators (as the VAE checks)
SAMPLE_BUDGET = 2**22  # per-step noise values one statistical check may draw: caps L for the chain estimators
MIN_SAMPLES = 2**8  # a chain estimator sums T per-step terms, so its values are close to normal already
TIGHTNESS_SAMPLES = 64
IDENTITY_SAMPLES = 2**10
NUM_STRATA = 4
DEFAULT_ALPHA = 1e-6
ROUNDING_ULPS = 1024  # exact claims: tolerance in units of float64 epsilon times the size of the terms

DECOMPOSITIONS_AGREE = "decompositions agree"
WEIGHT_IDENTITY = "weight identity"
SNR_WEIGHT = "SNR weight"
TARGET_NAMES = {"eps": "ε", "x0": "x₀", "v": "v", "score": "score"}


def samples_for(process: GaussianDiffusion, x0: Tensor, steps_per_sample: int) -> int:
    """L for an estimator that evaluates `steps_per_sample` per-step terms per sample: NUM_SAMPLES,
    cut so that L · steps · B · d stays within SAMPLE_BUDGET, and never below MIN_SAMPLES."""
    per_sample = steps_per_sample * x0.numel()
    return max(MIN_SAMPLES, min(NUM_SAMPLES, 1 << max(0, (SAMPLE_BUDGET // per_sample).bit_length() - 1)))


def _values(estimator: DiffusionEstimator, process, reverse, x0, generator, num_samples) -> Tensor:
    values = estimator(process, reverse, x0, generator=generator, num_samples=num_samples)
    expected = (num_samples, x0.shape[0])
    if not isinstance(values, Tensor) or tuple(values.shape) != expected:
        got = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(f"estimator: expected per-sample values of shape (L, B) = {expected}, got {got}")
    return values.detach()


def _tolerance(*scales: Tensor | float) -> float:
    largest = max(float(torch.as_tensor(s).abs().max()) for s in scales)
    return ROUNDING_ULPS * torch.finfo(torch.float64).eps * max(1.0, largest)


def exact_result(claim: str, subject: str, model: str, values: Tensor, reference: Tensor, tolerance: float,
                 what: str) -> CheckResult:
    """An exact claim: every value (n, B) equals its reference (B,) within `tolerance`; α = 0.

    As for tightness (estimators/stats/claims.py): deviations within the tolerance are rounding
    noise, so they never pick the data point reported (the first beyond the tolerance, else the
    first of the batch) and a claim that holds has a standard error of exactly zero."""
    values, reference = values.detach().double(), reference.detach().double()
    if values.dim() == 1:
        values = values.unsqueeze(0)
    n, batch_size = values.shape
    deviation = (values - reference).abs().max(0).values  # (B,)
    worst = first_largest(deviation.tolist(), tolerance)
    largest = float(deviation[worst])
    passed = largest <= tolerance
    if passed:
        stderr = EXACT_ZERO
        message = (f"{claim} holds for {subject}: {what} equals its exact value to rounding (tolerance "
                   f"{number(tolerance, 2)}) at each of the {batch_size} data points; {model}; n = {n}")
    else:
        stderr = float(values[:, worst].std(correction=1)) if n > 1 else 0.0
        message = (f"{claim} FAILS for {subject}: {what} differs by up to {largest:.3g} from "
                   f"{float(reference[worst]):.6g} (tolerance {number(tolerance, 2)}) at data point {worst} of "
                   f"{batch_size}; {model}; n = {n}")
    return CheckResult(
        claim=claim, subject=subject, model=model, estimate=float(values[:, worst].mean()), stderr=stderr,
        exact=float(reference[worst]), passed=passed, alpha=0.0, n=n, detectable_error=tolerance,
        message=message, data_point=worst,
    )


# ---- statistical claims ----------------------------------------------------------------------------
def check_bound(estimator: DiffusionEstimator, process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor,
                *, generator: torch.Generator, num_samples: int, alpha: float = DEFAULT_ALPHA,
                subject: str = "joint ELBO", description: str = "") -> CheckResult:
    """E[estimate] ≤ log p_θ(x₀), one-sided."""
    values = _values(estimator, process, reverse, x0, generator, num_samples)
    return bound_claim(values, reverse.log_marginal(x0), alpha=alpha, subject=subject, model=description)


def check_gap_identity(estimator: DiffusionEstimator, process: GaussianDiffusion, reverse: LinearGaussianReverse,
                       x0: Tensor, *, generator: torch.Generator, num_samples: int, alpha: float = DEFAULT_ALPHA,
                       subject: str = "joint ELBO + KL(q(x_{1:T}|x₀)‖p_θ(x_{1:T}|x₀))",
                       description: str = "") -> CheckResult:
    """E[estimate] + KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) = log p_θ(x₀), two-sided, the KL by its
    precision-matrix route (independent of the ELBO code)."""
    values = _values(estimator, process, reverse, x0, generator, num_samples)
    return gap_identity_claim(values, chain_posterior_kl(process, reverse, x0), reverse.log_marginal(x0),
                              alpha=alpha, subject=subject, model=description)


def check_unbiased(estimator: DiffusionEstimator, process: GaussianDiffusion, reverse: LinearGaussianReverse,
                   x0: Tensor, *, generator: torch.Generator, num_samples: int, exact: Tensor | None = None,
                   alpha: float = DEFAULT_ALPHA, subject: str = "ELBO estimator",
                   description: str = "") -> CheckResult:
    """E[estimate] = exact (default: the closed-form ELBO), two-sided."""
    values = _values(estimator, process, reverse, x0, generator, num_samples)
    reference = closed_form_elbo(process, reverse, x0) if exact is None else exact
    return unbiased_claim(values, reference, alpha=alpha, subject=subject, model=description)


# ---- exact claims --------------------------------------------------------------------------------
def check_tightness(estimator: DiffusionEstimator, process: GaussianDiffusion, x0: Tensor, *,
                    generator: torch.Generator, num_samples: int = TIGHTNESS_SAMPLES, subject: str = "joint ELBO",
                    description: str = "") -> CheckResult:
    """At the true reverse with p(x_T) = q(x_T) every single-draw value equals log p_θ(x₀) = log q(x₀)."""
    reverse = LinearGaussianReverse.true_reverse(process)
    values = _values(estimator, process, reverse, x0, generator, num_samples)
    log_p = reverse.log_marginal(x0)
    # rounding: the T log-factors summed per draw, each of order |log N| ≲ d(1 + |log β|)
    tolerance = _tolerance(log_p) * process.num_steps * process.data_dim
    return tightness_claim(values, log_p, tolerance, subject=f"{subject} at the true reverse", model=description)


def check_closed_form_tightness(process: GaussianDiffusion, x0: Tensor, *, tolerance: float = 1e-10,
                                description: str = "") -> CheckResult:
    """At the true reverse every closed form of the ELBO equals log p_θ(x₀) = log q(x₀) to `tolerance`."""
    reverse = LinearGaussianReverse.true_reverse(process)
    forms = torch.stack([form(process, reverse, x0) for form in ELBO_CLOSED_FORMS.values()])  # (3, B)
    return exact_result(TIGHTNESS, "closed-form ELBO (3 decompositions) at the true reverse", description,
                        forms, process.log_data_density(x0), tolerance, "the ELBO")


def check_decompositions(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, *,
                         forms: Mapping[str, Callable[..., Tensor]] = ELBO_CLOSED_FORMS, subject: str = "",
                         description: str = "") -> CheckResult:
    """Every closed form in `forms` equals the joint one (the first) to rounding."""
    values = {name: form(process, reverse, x0) for name, form in forms.items()}
    names = list(values)
    reference = values[names[0]]
    others = torch.stack([values[name] for name in names[1:]])
    tolerance = _tolerance(reference) * process.num_steps
    return exact_result(DECOMPOSITIONS_AGREE, subject or f"{', '.join(names[1:])} vs {names[0]}", description,
                        others, reference, tolerance, "the ELBO")


def check_exact_gap(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, *,
                    elbo: Callable[..., Tensor] = closed_form_elbo, subject: str = "closed-form ELBO + chain KL",
                    description: str = "") -> CheckResult:
    """log p_θ(x₀) − ELBO = KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)), the KL by its precision-matrix
    route. Tolerance: rounding of T terms of the size of |log p| + KL."""
    log_p, kl = reverse.log_marginal(x0), chain_posterior_kl(process, reverse, x0)
    total = elbo(process, reverse, x0) + kl
    tolerance = _tolerance(log_p.abs() + kl.abs()) * process.num_steps
    return exact_result(GAP_IDENTITY, subject, description, total, log_p, tolerance, "ELBO + KL")


def check_weight_identity(process: GaussianDiffusion, reverse: LinearGaussianReverse, x0: Tensor, target: str, *,
                          generator: torch.Generator, num_samples: int = IDENTITY_SAMPLES,
                          weight: Weight = elbo_weight, description: str = "") -> CheckResult:
    """On the same draws (t uniform, ε), the analytic-KL ℓ_t equals C_t + Σ_d w_t (target −
    prediction)² for the weight `weight`: an exact identity per draw, not only in expectation.

    Tolerance: both sides square a difference of larger numbers (μ̃ − μ_θ; target − prediction,
    the prediction itself from (μ_θ − k_t x_t)/k₀_t), so their rounding is that of the squares of
    the terms before they cancel, Σ_d (|μ̃| + |μ_θ| + |k_t x_t| + |k₀_t x₀|)²/(2σ²) +
    Σ_d w (|target| + |prediction|)², not of the result (2¹⁰ ulps of the largest over the draws)."""
    B, d = x0.shape
    t = torch.randint(1, process.num_steps + 1, (num_samples, B), generator=generator)
    eps = standard_normal((num_samples, B, d), generator, x0)
    kl_form = vlb_term_samples(process, reverse, x0, t, eps)
    weighted = weighted_vlb_term_samples(process, reverse, x0, t, eps, target, weight)
    name = TARGET_NAMES.get(target, target)
    return exact_result(WEIGHT_IDENTITY, f"ℓ_t as the weighted {name}-prediction loss", description,
                        weighted - kl_form, torch.zeros(B, dtype=x0.dtype),
                        _tolerance(kl_form, weighted, _cancellation_scale(process, reverse, x0, t, eps, target, weight)),
                        "C_t + w‖target − prediction‖² − KL")


def _cancellation_scale(process, reverse, x0, t, eps, target, weight) -> Tensor:  # (n, B)
    x_t = process.q_sample(x0, t, eps)
    coef_x0, coef_xt, _ = process.posterior_coefficients(t)
    posterior_mean, _ = process.posterior(x0, x_t, t)
    model_mean = reverse.mean(x_t, t)
    _, _, variance = reverse.step(t)
    terms = posterior_mean.abs() + model_mean.abs() + (coef_xt * x_t).abs() + (coef_x0 * x0).abs()
    alpha_bar = process.schedule.alpha_bar[t].unsqueeze(-1)
    regression = regression_target(target, x0, eps, alpha_bar).abs() + reverse.predict(process, x_t, t, target).abs()
    return (terms.square() / (2.0 * variance) + weight(process, reverse, t, target) * regression.square()).sum(-1)


def check_snr_weights(process: GaussianDiffusion, reverse: LinearGaussianReverse, *,
                      snr_form: Callable[..., Tensor] = snr_weight, description: str = "") -> CheckResult:
    """With σ_t² = β̃_t (t ≥ 2) the exact ELBO weight of each target is its SNR form; reported as
    the largest relative difference over targets, t and dimensions."""
    t = torch.arange(2, process.num_steps + 1)
    worst = torch.zeros((), dtype=torch.float64)
    for target in TARGETS:
        exact = elbo_weight(process, reverse, t, target)  # (T − 1, d)
        snr = snr_form(process.schedule, t, target).unsqueeze(-1)
        worst = torch.maximum(worst, ((snr - exact).abs() / exact.abs()).max())
    return exact_result(SNR_WEIGHT, "ELBO weights of ε, x₀, v, score vs their SNR forms (σ² = β̃)", description,
                        worst.reshape(1, 1), torch.zeros(1, dtype=torch.float64), 1e-9, "relative difference")


# ---- estimators of the default run ----------------------------------------------------------------
def sampler_estimator(make_sampler: Callable[..., object], target: str | None = None) -> DiffusionEstimator:
    """The sampled_elbo estimator for the sampler make_sampler(process, reverse, x0, generator)."""

    def estimator(process, reverse, x0, *, generator, num_samples):
        sampler = make_sampler(process, reverse, x0, generator)
        return sampled_elbo(process, reverse, x0, sampler=sampler, generator=generator, num_samples=num_samples,
                            target=target)

    return estimator


SAMPLED_ESTIMATORS: dict[str, tuple[Callable[..., object], str | None]] = {
    "every-t ELBO (full sum)": (lambda p, r, x, g: EveryTimestep(p.num_steps), None),
    "uniform-t ELBO (T·ℓ_t)": (lambda p, r, x, g: UniformTimestep(p.num_steps), None),
    "loss-aware importance-t ELBO": (warmed_up_sampler, None),
    f"stratified-t ELBO (K={NUM_STRATA})": (lambda p, r, x, g: StratifiedTimestep(p.num_steps, min(NUM_STRATA, p.num_steps)), None),
    "antithetic-t ELBO": (lambda p, r, x, g: AntitheticTimestep(p.num_steps), None),
    **{
        f"uniform-t ELBO as the weighted {TARGET_NAMES[target]} loss": (lambda p, r, x, g: UniformTimestep(p.num_steps), target)
        for target in TARGETS
    },
}


def _draws_per_estimate(name: str, process: GaussianDiffusion) -> int:
    if name.startswith("every-t"):
        return process.num_steps
    return NUM_STRATA if name.startswith("stratified") else 2 if name.startswith("antithetic") else 1


def diffusion_check_plan(seed: int = 0, processes: Sequence[tuple[str, int]] = DEFAULT_PROCESSES,
                         ) -> list[tuple[str, Callable[[float, torch.Generator], CheckResult]]]:
    """Every check of the default diffusion run, as (label, run(alpha, generator)), in a fixed order;
    `processes` ((schedule name, d) pairs of case_set.py) narrows the case set (the report's quick mode)."""
    plan: list[tuple[str, Callable[[float, torch.Generator], CheckResult]]] = []
    for case in default_diffusion_cases(seed, processes):
        p, x0, d = case.process, case.x0, case.description
        joint_samples = samples_for(p, x0, p.num_steps)
        plan += [
            (f"tightness joint ELBO: {d}", lambda a, g, p=p, x0=x0, d=d:
             check_tightness(joint_elbo, p, x0, generator=g, description=d)),
            (f"tightness closed forms: {d}", lambda a, g, p=p, x0=x0, d=d:
             check_closed_form_tightness(p, x0, description=d)),
        ]
        for name, reverse in case.reverses.items():
            rd = f"{d}, {name} reverse"
            plan.append((f"decompositions: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd:
                         check_decompositions(p, r, x0, description=rd)))
            if name == "true":
                continue
            plan += [
                (f"exact gap identity: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd:
                 check_exact_gap(p, r, x0, description=rd)),
                (f"bound: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd, n=joint_samples:
                 check_bound(joint_elbo, p, r, x0, generator=g, num_samples=n, alpha=a, description=rd)),
                (f"gap identity: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd, n=joint_samples:
                 check_gap_identity(joint_elbo, p, r, x0, generator=g, num_samples=n, alpha=a, description=rd)),
            ]
            for subject, (make_sampler, target) in SAMPLED_ESTIMATORS.items():
                n = samples_for(p, x0, _draws_per_estimate(subject, p))
                plan.append((f"unbiased {subject}: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd, n=n, s=subject,
                             e=sampler_estimator(make_sampler, target):
                             check_unbiased(e, p, r, x0, generator=g, num_samples=n, alpha=a, subject=s, description=rd)))
            plan.append((f"unbiased simple ε loss: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd:
                         check_unbiased(simple_loss, p, r, x0, generator=g, num_samples=NUM_SAMPLES, alpha=a,
                                        exact=simple_loss_as_reweighted_bound(p, r, x0),
                                        subject="simple ε loss (for its reweighted bound, not −ELBO)",
                                        description=rd)))
            plan += [
                (f"weight identity {target}: {rd}", lambda a, g, p=p, r=reverse, x0=x0, rd=rd, target=target:
                 check_weight_identity(p, r, x0, target, generator=g, description=rd))
                for target in TARGETS
            ]
            if name == "DDPM":
                plan.append((f"SNR weights: {rd}", lambda a, g, p=p, r=reverse, rd=rd:
                             check_snr_weights(p, r, description=rd)))
    return plan


def run_diffusion_checks(progress: Progress | None = None, *, seed: int = 0, family_alpha: float = DEFAULT_ALPHA,
                         processes: Sequence[tuple[str, int]] = DEFAULT_PROCESSES) -> list[CheckResult]:
    """All diffusion claims on the default case set. The family-wise false-alarm rate over all
    statistical checks is `family_alpha` (Bonferroni); each check gets its own seeded generator."""
    plan = diffusion_check_plan(seed, processes)
    alpha = bonferroni(family_alpha, len(plan))
    results = []
    with one_thread():
        for index, (label, run) in enumerate(plan):
            if progress is not None:
                progress(label, index, len(plan))
            generator = torch.Generator().manual_seed(seed * 1_000_003 + 500_000 + index)
            results.append(run(alpha, generator))
    if progress is not None:
        progress("done", len(plan), len(plan))
    return results


@contextmanager
def one_thread() -> Iterator[None]:
    """Run on one thread: the checks work on tensors of ~10⁵ values, where intra-op threads only add
    contention (on a shared 2-core machine a check ran 20× slower with 2 threads than with 1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
