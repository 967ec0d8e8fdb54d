"""Run the default checks of the correct estimators on many seeds and count false rejections.

    python -m elbo_suite.estimators.seed_sweep [--suite vae|diffusion] [--seeds 200] [--workers N] [--json FILE]

Each seed draws a new default model set (models, data, q; or diffusions, data, reverse models) and
new Monte Carlo noise. Every check of a correct estimator should pass: the family-wise false-alarm
rate per seed is 1e-6, so over 200 seeds a single rejection has probability ≤ 2e-4.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor


# suite -> (module, function): the default run of each family of checks
SUITES = {
    "vae": ("elbo_suite.estimators.checks", "run_default_checks"),
    "diffusion": ("elbo_suite.estimators.diffusion.checks", "run_diffusion_checks"),
}


def _one_seed(suite_and_seed: tuple[str, int]) -> tuple[int, int, list[str]]:
    import importlib

    import torch

    torch.set_num_threads(1)
    suite, seed = suite_and_seed
    module, function = SUITES[suite]
    results = getattr(importlib.import_module(module), function)(seed=seed)
    return seed, len(results), [result.message for result in results if not result.passed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="vae", help="which default checks (default vae)")
    parser.add_argument("--seeds", type=int, default=200, help="number of seeds, 0 … N−1")
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", help="write the summary here")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    checks = 0
    failures: dict[int, list[str]] = {}
    seeds = range(args.first, args.first + args.seeds)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for done, (seed, count, failed) in enumerate(pool.map(_one_seed, [(args.suite, seed) for seed in seeds]), start=1):
            checks += count
            if failed:
                failures[seed] = failed
            print(f"\r{done}/{len(seeds)} seeds, {checks} checks, {sum(map(len, failures.values()))} rejected",
                  end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    summary = {
        "suite": args.suite,
        "seeds": len(seeds),
        "first_seed": args.first,
        "checks": checks,
        "false_rejections": sum(map(len, failures.values())),
        "seeds_with_a_rejection": sorted(failures),
        "messages": [message for seed in sorted(failures) for message in failures[seed]],
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
