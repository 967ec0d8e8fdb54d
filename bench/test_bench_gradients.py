"""pytest-benchmark timings of the gradient estimators (`pytest -m bench bench/`)."""

import time

import pytest
import torch

from elbo_suite.bench.estimator_registry import ELBO_SWEEP_ESTIMATORS, noise
from elbo_suite.estimators.gradients import LinearGaussianTarget, MeanLogStd, iwae_dreg, iwae_reparameterised, pathwise
from elbo_suite.estimators.models import LinearGaussianModel

pytestmark = pytest.mark.bench

DIM = 64
DRAWS = 100_000
LOOP_DRAWS = 1_000  # the per-draw loop is timed on this many draws and scaled up to DRAWS


def _setting():
    generator = torch.Generator().manual_seed(64)
    model = LinearGaussianModel.random(DIM, DIM, generator)
    target = LinearGaussianTarget(model, model.sample_data(1, generator)[0])
    q = MeanLogStd.from_parts(
        0.1 * torch.randn(DIM, generator=generator, dtype=torch.float64),
        -0.5 + 0.1 * torch.randn(DIM, generator=generator, dtype=torch.float64),
    )
    return target, q


def _per_draw_loop(target, q, eps):
    """The same pathwise ELBO gradient, one autograd call per draw."""
    rows = []
    for e in eps:
        phi = q.phi.detach().clone().requires_grad_(True)
        mean, log_std = phi[:DIM], phi[DIM:]
        z = mean + log_std.exp() * e
        log_q = (-0.5 * ((z - mean) / log_std.exp()) ** 2 - log_std).sum() - 0.5 * DIM * 1.8378770664093453
        (gradient,) = torch.autograd.grad(target.log_joint(z.unsqueeze(0))[0] - log_q, phi)
        rows.append(gradient)
    return torch.stack(rows)


@pytest.fixture
def one_thread():
    """Both sides on one core: the loop cannot use a second one, and on a shared machine
    oversubscribed worker threads make small vectorised ops erratic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_per_sample_gradients_vectorised_vs_per_draw_loop(benchmark, one_thread):
    target, q = _setting()
    eps = noise(1, DRAWS, DIM)
    loop_rows = _per_draw_loop(target, q, eps[:10])
    torch.testing.assert_close(pathwise(target.log_joint, q, eps[:10]), loop_rows)  # same work

    start = time.perf_counter()
    _per_draw_loop(target, q, eps[:LOOP_DRAWS])
    loop_seconds = (time.perf_counter() - start) * DRAWS / LOOP_DRAWS

    benchmark.pedantic(lambda: pathwise(target.log_joint, q, eps), rounds=5, iterations=1, warmup_rounds=1)
    vectorised_seconds = benchmark.stats.stats.min
    ratio = loop_seconds / vectorised_seconds
    benchmark.extra_info.update(
        {
            "draws": DRAWS,
            "latent_dim": DIM,
            "vectorised_seconds": vectorised_seconds,
            "loop_seconds_scaled": loop_seconds,
            "loop_timed_on_draws": LOOP_DRAWS,
            "speedup": ratio,
            "torch_threads": torch.get_num_threads(),
        }
    )
    print(f"\nper-sample pathwise gradients, {DRAWS} draws, k={DIM}: vectorised {vectorised_seconds:.3f} s, "
          f"per-draw loop {loop_seconds:.1f} s (timed on {LOOP_DRAWS} draws, scaled): {ratio:.0f}x")
    assert ratio >= 100, f"vectorised per-sample gradients only {ratio:.1f}x faster than the loop"


@pytest.mark.parametrize("estimator", ELBO_SWEEP_ESTIMATORS, ids=lambda e: e.name)
def test_elbo_estimator_time(benchmark, estimator):
    target, q = _setting()
    eps = noise(2, 10_000 * estimator.draws_per_row, DIM)
    benchmark.extra_info.update({"gradient_samples": 10_000, "latent_dim": DIM})
    benchmark.pedantic(lambda: estimator.run(target, q, eps), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("K", [1, 8, 64])
@pytest.mark.parametrize("name, estimator", [("standard", iwae_reparameterised), ("dreg", iwae_dreg)])
def test_iwae_estimator_time(benchmark, name, estimator, K):
    target, q = _setting()
    eps = noise(3, 1_000, K, DIM)
    benchmark.extra_info.update({"gradient_samples": 1_000, "K": K, "latent_dim": DIM})
    benchmark.pedantic(lambda: estimator(target.log_joint, q, eps), rounds=3, iterations=1, warmup_rounds=1)
