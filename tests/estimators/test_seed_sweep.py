"""The 200-seed false-alarm sweep of the default checks (marker `seeds`, excluded from the default
run: about 20 minutes on 2 cores). Every check is of a correct estimator, so any rejection is a
false alarm; the family-wise rate per seed is 1e-6, so this test fails with probability ≤ 2e-4."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.seeds
def test_no_correct_estimator_is_rejected_on_200_seeds(tmp_path):
    summary_path = tmp_path / "summary.json"
    completed = subprocess.run(
        [sys.executable, "-m", "elbo_suite.estimators.seed_sweep", "--seeds", "200", "--json", str(summary_path)],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    summary = json.loads(summary_path.read_text())
    assert summary["seeds"] == 200 and summary["checks"] == 200 * 120
    assert summary["false_rejections"] == 0, "\n".join(summary["messages"])
    assert completed.returncode == 0
