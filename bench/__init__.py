"""Benchmarks and sweeps of the gradient estimators: variance, SNR and cost.

`run_sweeps(quick, out_dir, progress)` runs them and writes the plots; `elbo_suite.bench.report` turns the
results into Markdown. Timings with pytest-benchmark live in bench/test_bench_*.py behind the
`bench` marker.
"""

from elbo_suite.bench.results import BenchResults
from elbo_suite.bench.sweeps import run_sweeps

__all__ = ["BenchResults", "run_sweeps"]
