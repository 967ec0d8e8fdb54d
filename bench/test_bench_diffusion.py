"""Timings of the diffusion estimators and closed forms (`pytest -m bench bench/test_bench_diffusion.py`).

Setting: DDPM's linear schedule at T = 1000, 2-D Gaussian data, a batch of B = 4 data points, the
DDPM reverse (optimal mean, σ_t² = β̃_t). One thread, as the checks run. Each benchmark records
the work per call in extra_info, so throughput can be read off the JSON.
"""

import pytest
import torch

from elbo_suite.estimators.diffusion import EveryTimestep, UniformTimestep, joint_elbo, sampled_elbo
from elbo_suite.estimators.models import (
    GaussianDiffusion,
    LinearGaussianReverse,
    chain_posterior_kl,
    closed_form_elbo,
    linear_schedule,
)

pytestmark = pytest.mark.bench

T, DATA, BATCH = 1000, 2, 4


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def setting():
    generator = torch.Generator().manual_seed(1000)
    process = GaussianDiffusion.random(linear_schedule(T), DATA, generator)
    return process, LinearGaussianReverse.ddpm(process), process.sample_data(BATCH, generator)


def _record(benchmark, what, per_call):
    benchmark.extra_info.update({"work": what, "per_call": per_call, "T": T, "batch": BATCH, "data_dim": DATA,
                                 "per_second": per_call / benchmark.stats.stats.min})


def test_uniform_t_elbo_estimates(benchmark, one_thread, setting):
    process, reverse, x0 = setting
    n = 2**14
    benchmark.pedantic(lambda: sampled_elbo(process, reverse, x0, sampler=UniformTimestep(T),
                                            generator=torch.Generator().manual_seed(0), num_samples=n),
                       rounds=5, iterations=1, warmup_rounds=1)
    _record(benchmark, "single-t ELBO estimates", n * BATCH)


def test_full_sum_elbo_estimates(benchmark, one_thread, setting):
    process, reverse, x0 = setting
    n = 64
    benchmark.pedantic(lambda: sampled_elbo(process, reverse, x0, sampler=EveryTimestep(T),
                                            generator=torch.Generator().manual_seed(0), num_samples=n),
                       rounds=5, iterations=1, warmup_rounds=1)
    _record(benchmark, "full-sum ELBO estimates (T per-step terms each)", n * BATCH)


def test_joint_elbo_chains(benchmark, one_thread, setting):
    process, reverse, x0 = setting
    n = 256
    benchmark.pedantic(lambda: joint_elbo(process, reverse, x0, generator=torch.Generator().manual_seed(0), num_samples=n),
                       rounds=3, iterations=1, warmup_rounds=1)
    _record(benchmark, "joint log-ratio chains of T steps", n * BATCH)


def test_closed_form_elbo(benchmark, one_thread, setting):
    process, reverse, x0 = setting
    benchmark.pedantic(lambda: closed_form_elbo(process, reverse, x0), rounds=10, iterations=1, warmup_rounds=1)
    _record(benchmark, "closed-form ELBOs (denoising decomposition)", BATCH)


def test_chain_posterior_kl_in_linear_time(benchmark, one_thread, setting):
    process, reverse, x0 = setting
    benchmark.pedantic(lambda: chain_posterior_kl(process, reverse, x0), rounds=5, iterations=1, warmup_rounds=1)
    _record(benchmark, "KL(q(x_1:T|x0) ‖ p(x_1:T|x0)) by tridiagonal factorisation", BATCH)
