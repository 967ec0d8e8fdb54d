"""The 200-seed false-alarm sweep of the default diffusion checks (marker `seeds`, excluded from the
default run). Every check is of correct code, so any rejection is a false alarm; the family-wise
rate per seed is 1e-6 (the exact checks have none), so this test fails with probability ≤ 2e-4."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elbo_suite.estimators.diffusion.checks import diffusion_check_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.seeds
def test_no_correct_diffusion_code_is_rejected_on_200_seeds(tmp_path):
    summary_path = tmp_path / "summary.json"
    completed = subprocess.run(
        [sys.executable, "-m", "elbo_suite.estimators.seed_sweep", "--suite", "diffusion", "--seeds", "200",
         "--json", str(summary_path)],
        capture_output=True, text=True, cwd=ROOT, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    summary = json.loads(summary_path.read_text())
    assert summary["suite"] == "diffusion" and summary["seeds"] == 200
    assert summary["checks"] == 200 * len(diffusion_check_plan(0))
    assert summary["false_rejections"] == 0, "\n".join(summary["messages"])
    assert completed.returncode == 0
