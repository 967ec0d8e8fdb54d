"""The ELBO claims checked on an exact model, for any estimator that follows the contract in
estimators/__init__.py, and the default run over the seeded model set."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
from torch import Tensor

from elbo_suite.estimators.elbo import analytic_kl_elbo_samples, elbo_samples
from elbo_suite.estimators.iwae import iwae_samples
from elbo_suite.estimators.kl import kl_divergence
from elbo_suite.estimators.model_set import DEFAULT_SHAPES, default_cases, default_models
from elbo_suite.estimators.stats import (
    CheckResult,
    bonferroni,
    bound_claim,
    gap_identity_claim,
    improvement_claim,
    ordering_claim,
    tightness_claim,
    unbiased_claim,
)
from elbo_suite.estimators.variational import GaussianQ
from elbo_suite.estimators.variational.noise import standard_normal

Estimator = Callable[..., Tensor]  # estimator(model, q, x, *, eps) -> (L, B) or, for IWAE, (S, B)
Progress = Callable[[str, int, int], None]  # progress(what is running, done, total)

NUM_SAMPLES = 2**14  # ELBO samples per data point: enough for the normal approximation (stats/ztest)
NUM_GROUPS = 2**12  # independent IWAE groups per data point
# Convergence is a detection (the paired improvement is many standard errors for any q ≠ p(z|x)),
# so it needs fewer groups than the ordering's one-sided tests.
CONVERGENCE_GROUPS = 2**10
IMPORTANCE_CHAIN = (1, 4, 16)  # K values compared on common random numbers; K = 1 is the ELBO
TIGHTNESS_SAMPLES = 64
DEFAULT_ALPHA = 1e-6


def _values(estimator: Estimator, model, q: GaussianQ, x: Tensor, eps: Tensor) -> Tensor:
    values = estimator(model, q, x, eps=eps)
    expected = (eps.shape[0], x.shape[0])  # (L, B) for eps (L, B, k); (S, B) for eps (S, K, B, k)
    if not isinstance(values, Tensor) or tuple(values.shape) != expected:
        got = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(f"estimator: expected per-sample values of shape {expected}, got {got}")
    return values.detach()


def _noise(q: GaussianQ, generator: torch.Generator, *sample_axes: int) -> Tensor:
    return standard_normal((*sample_axes, q.batch_size, q.latent_dim), generator, q.mean)


def check_bound(estimator: Estimator, model, q: GaussianQ, x: Tensor, *, generator: torch.Generator,
                num_samples: int = NUM_SAMPLES, alpha: float = DEFAULT_ALPHA, subject: str = "MC ELBO",
                description: str = "") -> CheckResult:
    """ELBO ≤ log p(x), one-sided."""
    values = _values(estimator, model, q, x, _noise(q, generator, num_samples))
    return bound_claim(values, model.log_marginal(x), alpha=alpha, subject=subject, model=description)


def check_gap_identity(estimator: Estimator, model, q: GaussianQ, x: Tensor, *,
                       generator: torch.Generator, num_samples: int = NUM_SAMPLES,
                       alpha: float = DEFAULT_ALPHA, subject: str = "MC ELBO + KL(q‖p(z|x))",
                       description: str = "") -> CheckResult:
    """ELBO + KL(q‖p(z|x)) = log p(x), two-sided, with the exact posterior's KL."""
    values = _values(estimator, model, q, x, _noise(q, generator, num_samples))
    kl = kl_divergence(q, model.posterior(x))
    return gap_identity_claim(values, kl, model.log_marginal(x), alpha=alpha, subject=subject,
                              model=description)


def check_unbiased(estimator: Estimator, model, q: GaussianQ, x: Tensor, *,
                   generator: torch.Generator, num_samples: int = NUM_SAMPLES,
                   alpha: float = DEFAULT_ALPHA, subject: str = "MC ELBO",
                   description: str = "") -> CheckResult:
    """E[estimate] = closed-form ELBO (reconstruction − prior matching), two-sided."""
    values = _values(estimator, model, q, x, _noise(q, generator, num_samples))
    return unbiased_claim(values, model.elbo(x, q), alpha=alpha, subject=subject, model=description)


def iwae_as_elbo(iwae_estimator: Estimator) -> Estimator:
    """An IWAE estimator run with K = 1, which must be an ordinary ELBO estimator."""

    def single_sample_iwae(model, q, x, *, eps):
        return iwae_estimator(model, q, x, eps=eps.unsqueeze(1))  # (L, 1, B, k) -> (L, B)

    return single_sample_iwae


def check_tightness(estimator: Estimator, model, x: Tensor, *, generator: torch.Generator,
                    sample_axes: Sequence[int] = (TIGHTNESS_SAMPLES,), subject: str = "MC ELBO",
                    description: str = "") -> CheckResult:
    """At q = p(z|x) every single-sample value equals log p(x) to rounding (an exact check).

    `sample_axes` is (L,) for an ELBO estimator and (S, K) for an IWAE estimator. The tolerance is
    rounding in float64: 2¹⁰ ulps of the largest log-density summed (|log p(x, z)| + |log q(z)|).
    """
    posterior = model.posterior(x)
    eps = _noise(posterior, generator, *sample_axes)
    values = _values(estimator, model, posterior, x, eps)
    z = posterior.rsample(eps)
    scale = float((model.log_joint(x, z).abs() + posterior.log_prob(z).abs()).max())
    tolerance = 1024 * torch.finfo(torch.float64).eps * max(1.0, scale)
    return tightness_claim(values, model.log_marginal(x), tolerance,
                           subject=f"{subject} at q = p(z|x)", model=description)


def _iwae_chain(iwae_estimator: Estimator, model, q: GaussianQ, x: Tensor,
                generator: torch.Generator, num_groups: int, chain: Sequence[int]) -> list[Tensor]:
    """IWAE_K values (S, B) for each K in `chain`, all on the same S · max(K) draws: IWAE_K is the
    mean over the max(K)/K disjoint blocks of K draws within each group (still unbiased for
    IWAE_K, and paired sample for sample with the other K)."""
    largest = max(chain)
    if any(largest % K for K in chain):
        raise ValueError(f"chain: expected each K to divide the largest, got {tuple(chain)}")
    eps = _noise(q, generator, num_groups, largest)  # (S, K_max, B, k)
    values = []
    for K in chain:
        blocks = eps.reshape(num_groups * (largest // K), K, q.batch_size, q.latent_dim)
        block_values = _values(iwae_estimator, model, q, x, blocks)  # (S · K_max / K, B)
        values.append(block_values.reshape(num_groups, largest // K, q.batch_size).mean(1))
    return values


def check_iwae_ordering(iwae_estimator: Estimator, model, q: GaussianQ, x: Tensor, *,
                        generator: torch.Generator, num_groups: int = NUM_GROUPS,
                        chain: Sequence[int] = IMPORTANCE_CHAIN, alpha: float = DEFAULT_ALPHA,
                        description: str = "") -> CheckResult:
    """ELBO = IWAE_1 ≤ IWAE_K ≤ IWAE_K' ≤ log p(x), one-sided on paired differences."""
    values = _iwae_chain(iwae_estimator, model, q, x, generator, num_groups, chain)
    named = [("ELBO" if K == 1 else f"IWAE_{K}", v) for K, v in zip(chain, values)]
    return ordering_claim(named, ("log p(x)", model.log_marginal(x)), alpha=alpha, model=description)


def check_iwae_convergence(iwae_estimator: Estimator, model, q: GaussianQ, x: Tensor, *,
                           generator: torch.Generator, num_groups: int = CONVERGENCE_GROUPS,
                           num_importance: int = max(IMPORTANCE_CHAIN),
                           alpha: float = DEFAULT_ALPHA, description: str = "") -> CheckResult:
    """IWAE_K → log p(x): at q ≠ p(z|x), IWAE_K with K > 1 closes part of the gap left by the
    ELBO, shown on paired draws; the message reports the fraction of KL(q‖p(z|x)) closed."""
    elbo, iwae = _iwae_chain(iwae_estimator, model, q, x, generator, num_groups, (1, num_importance))
    result = improvement_claim(elbo, iwae, alpha=alpha, subject=f"IWAE_{num_importance} − ELBO",
                               model=description)
    gap = kl_divergence(q, model.posterior(x))
    closed = float(((iwae - elbo).mean(0) / gap).min())
    return replace(result, message=result.message + f"; fraction of the gap KL(q‖p(z|x)) closed "
                   f"by IWAE_{num_importance}: at least {closed:.3f} over the data points")


def default_check_plan(seed: int = 0, shapes: Sequence[tuple[int, int, float]] = DEFAULT_SHAPES,
                       ) -> list[tuple[str, Callable[[float, torch.Generator], CheckResult]]]:
    """Every check of the default run, as (label, run(alpha, generator)), in a fixed order."""
    plan: list[tuple[str, Callable[[float, torch.Generator], CheckResult]]] = []
    for model, x, description in default_models(seed, shapes):
        plan.append((f"tightness ELBO: {description}", lambda a, g, m=model, x=x, d=description:
                     check_tightness(elbo_samples, m, x, generator=g, description=d)))
        plan.append((f"tightness IWAE: {description}", lambda a, g, m=model, x=x, d=description:
                     check_tightness(iwae_samples, m, x, generator=g, sample_axes=(8, 16),
                                     subject="IWAE_16", description=d)))
    for case in default_cases(seed, shapes):
        m, q, x, d = case.model, case.q, case.x, case.description
        plan += [
            (f"bound: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_bound(elbo_samples, m, q, x, generator=g, alpha=a, description=d)),
            (f"gap identity: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_gap_identity(elbo_samples, m, q, x, generator=g, alpha=a, description=d)),
            (f"unbiased MC ELBO: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_unbiased(elbo_samples, m, q, x, generator=g, alpha=a, description=d)),
            (f"unbiased analytic-KL ELBO: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_unbiased(analytic_kl_elbo_samples, m, q, x, generator=g, alpha=a,
                            subject="analytic-KL ELBO", description=d)),
            (f"unbiased IWAE_1: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_unbiased(iwae_as_elbo(iwae_samples), m, q, x, generator=g, alpha=a,
                            subject="IWAE_1", description=d)),
            (f"IWAE ordering: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_iwae_ordering(iwae_samples, m, q, x, generator=g, alpha=a, description=d)),
            (f"IWAE convergence: {d}", lambda a, g, m=m, q=q, x=x, d=d:
             check_iwae_convergence(iwae_samples, m, q, x, generator=g, alpha=a, description=d)),
        ]
    return plan


def run_default_checks(progress: Progress | None = None, *, seed: int = 0,
                       family_alpha: float = DEFAULT_ALPHA,
                       shapes: Sequence[tuple[int, int, float]] = DEFAULT_SHAPES) -> list[CheckResult]:
    """All claims on the default model set (or on the models of `shapes`). The family-wise
    false-alarm rate over all statistical checks is `family_alpha` (Bonferroni); each check
    gets its own seeded generator."""
    plan = default_check_plan(seed, shapes)
    alpha = bonferroni(family_alpha, len(plan))
    results = []
    for index, (label, run) in enumerate(plan):
        if progress is not None:
            progress(label, index, len(plan))
        generator = torch.Generator().manual_seed(seed * 1_000_003 + index)
        results.append(run(alpha, generator))
    if progress is not None:
        progress("done", len(plan), len(plan))
    return results
