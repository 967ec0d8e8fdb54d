"""Throughput of the vectorised ELBO and IWAE estimators against a plain per-sample Python loop on
the same inputs (`pytest -m bench bench/test_bench_throughput.py`).

Setting: k = 16, d = 64, batch B = 128, diagonal q; the ELBO call draws L = 64 samples per data
point, the IWAE call S = 8 groups of K = 64. An estimate is one per-sample value for one data point
(an ELBO term, or one IWAE_64 log-mean-exp), so both sides produce the same numbers (checked).
"""

import math
import time

import pytest
import torch

from elbo_suite.estimators.elbo import elbo_samples
from elbo_suite.estimators.iwae import iwae_samples
from elbo_suite.estimators.models import LinearGaussianModel
from elbo_suite.estimators.variational.random import random_diagonal_gaussian

pytestmark = pytest.mark.bench

LATENT, DATA, BATCH, K = 16, 64, 128, 64
ELBO_SAMPLES, IWAE_GROUPS = 64, 8
_LOG_2PI = math.log(2.0 * math.pi)


def _setting():
    generator = torch.Generator().manual_seed(16)
    model = LinearGaussianModel.random(LATENT, DATA, generator)
    x = model.sample_data(BATCH, generator)
    return model, x, random_diagonal_gaussian(BATCH, LATENT, generator), generator


def _log_weight_of_one_draw(model, mean, log_std, x, e):
    """log p(x, z) − log q(z | x) for one data point and one draw, written out per draw."""
    z = mean + log_std.exp() * e
    s = model.noise_std
    log_likelihood = (-0.5 * ((x - model.W @ z - model.b) / s) ** 2).sum() - DATA * (math.log(s) + 0.5 * _LOG_2PI)
    log_prior = -0.5 * (z**2).sum() - 0.5 * LATENT * _LOG_2PI
    log_q = (-0.5 * e**2 - log_std).sum() - 0.5 * LATENT * _LOG_2PI
    return log_likelihood + log_prior - log_q


def _elbo_loop(model, q, x, eps):  # eps (L, B, k) -> (L, B)
    rows = []
    for l in range(eps.shape[0]):
        rows.append(torch.stack([
            _log_weight_of_one_draw(model, q.mean[b], q.log_std[b], x[b], eps[l, b]) for b in range(BATCH)
        ]))
    return torch.stack(rows)


def _iwae_loop(model, q, x, eps):  # eps (S, K, B, k) -> (S, B)
    rows = []
    for s in range(eps.shape[0]):
        row = []
        for b in range(BATCH):
            log_w = torch.stack([
                _log_weight_of_one_draw(model, q.mean[b], q.log_std[b], x[b], eps[s, j, b]) for j in range(K)
            ])
            row.append(torch.logsumexp(log_w, 0) - math.log(K))
        rows.append(torch.stack(row))
    return torch.stack(rows)


@pytest.fixture
def one_thread():
    """Both sides on one core: the loop cannot use a second one, and on a shared machine
    oversubscribed worker threads make small vectorised ops erratic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _compare(benchmark, name, vectorised, loop, estimates):
    start = time.perf_counter()
    loop_values = loop()
    loop_seconds = time.perf_counter() - start
    torch.testing.assert_close(vectorised(), loop_values, rtol=1e-10, atol=1e-10)  # the same work

    benchmark.pedantic(vectorised, rounds=10, iterations=1, warmup_rounds=1)
    vectorised_seconds = benchmark.stats.stats.min
    ratio = loop_seconds / vectorised_seconds
    benchmark.extra_info.update({
        "estimates_per_call": estimates,
        "vectorised_estimates_per_second": estimates / vectorised_seconds,
        "loop_estimates_per_second": estimates / loop_seconds,
        "speedup": ratio,
        "latent_dim": LATENT, "data_dim": DATA, "batch": BATCH, "K": K,
        "torch_threads": torch.get_num_threads(),
    })
    print(f"\n{name}: vectorised {estimates / vectorised_seconds:,.0f} estimates/s, per-sample loop "
          f"{estimates / loop_seconds:,.0f} estimates/s: {ratio:.0f}x")


def test_elbo_throughput_vectorised_vs_per_sample_loop(benchmark, one_thread):
    model, x, q, generator = _setting()
    eps = torch.randn(ELBO_SAMPLES, BATCH, LATENT, generator=generator, dtype=torch.float64)
    _compare(benchmark, f"MC ELBO, L={ELBO_SAMPLES}",
             lambda: elbo_samples(model, q, x, eps=eps), lambda: _elbo_loop(model, q, x, eps),
             ELBO_SAMPLES * BATCH)


def test_iwae_throughput_vectorised_vs_per_sample_loop(benchmark, one_thread):
    model, x, q, generator = _setting()
    eps = torch.randn(IWAE_GROUPS, K, BATCH, LATENT, generator=generator, dtype=torch.float64)
    _compare(benchmark, f"IWAE_{K}, S={IWAE_GROUPS}",
             lambda: iwae_samples(model, q, x, eps=eps), lambda: _iwae_loop(model, q, x, eps),
             IWAE_GROUPS * BATCH)
