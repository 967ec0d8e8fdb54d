"""The default diffusion check run on the seeded case set: correct code passes every claim.

Seed 0 (the default case set and one generator per check, seeded from its position). Expected
false-failure rate: the family-wise α of the run, 1e-6 (Bonferroni over all checks); the exact
checks are deterministic. The negative controls live in test_diffusion_negative_controls.py.
"""

import pytest
import torch

from elbo_suite.estimators.diffusion import joint_elbo
from elbo_suite.estimators.diffusion.case_set import default_diffusion_cases
from elbo_suite.estimators.diffusion.checks import (
    check_unbiased,
    diffusion_check_plan,
    run_diffusion_checks,
)


@pytest.fixture(scope="module")
def run():
    calls = []
    results = run_diffusion_checks(progress=lambda what, done, total: calls.append((what, done, total)))
    return results, calls


def test_every_default_diffusion_check_passes(run):
    results, _ = run
    failures = [result.message for result in results if not result.passed]
    assert not failures, "\n".join(failures)


def test_default_run_covers_every_claim_schedule_and_reverse(run):
    results, _ = run
    assert {result.claim for result in results} == {
        "bound", "gap identity", "tightness", "unbiased", "decompositions agree", "weight identity", "SNR weight"
    }
    models = " ".join(result.model for result in results)
    for needed in ("linear T=1000", "cosine T=1000 respaced to 50", "cosine T=10", "DDPM reverse", "far reverse", "true reverse"):
        assert needed in models
    subjects = {result.subject for result in results}
    for needed in ("every-t ELBO (full sum)", "uniform-t ELBO (T·ℓ_t)", "loss-aware importance-t ELBO",
                   "stratified-t ELBO (K=4)", "antithetic-t ELBO", "uniform-t ELBO as the weighted ε loss",
                   "uniform-t ELBO as the weighted v loss", "simple ε loss (for its reweighted bound, not −ELBO)"):
        assert needed in subjects
    statistical = [result for result in results if result.alpha > 0]
    assert len(statistical) >= 60
    assert all(result.alpha == pytest.approx(1e-6 / len(results)) and result.n >= 256 for result in statistical)


def test_the_tight_case_is_tight_to_1e_10(run):
    results, _ = run
    tight = [result for result in results if result.claim == "tightness"]
    assert len(tight) == 2 * len(default_diffusion_cases())
    for result in tight:
        assert abs(result.estimate - result.exact) < 1e-10 and result.stderr < 1e-10, result.message


def test_progress_reports_each_check_and_the_end(run):
    results, calls = run
    assert len(calls) == len(results) + 1
    assert calls[-1] == ("done", len(results), len(results))


def test_plan_is_deterministic_and_seeded():
    first = [label for label, _ in diffusion_check_plan(0)]
    assert first == [label for label, _ in diffusion_check_plan(0)]
    assert first != [label for label, _ in diffusion_check_plan(1)]


def test_estimator_with_the_wrong_output_shape_is_rejected_clearly():
    case = default_diffusion_cases()[2]
    with pytest.raises(ValueError, match=r"estimator: expected per-sample values of shape \(L, B\) = \(256, 3\), got \(3,\)"):
        check_unbiased(lambda p, r, x, *, generator, num_samples: joint_elbo(p, r, x, generator=generator, num_samples=num_samples).mean(0),
                       case.process, case.reverses["far"], case.x0, generator=torch.Generator().manual_seed(0), num_samples=256)


def test_check_command_prints_the_diffusion_table_and_tags_its_json(run, monkeypatch, tmp_path, capsys):
    import json

    import elbo_suite.estimators.checks as vae_checks
    import elbo_suite.estimators.diffusion.checks as diffusion_checks
    from elbo_suite.cli import main

    results, _ = run
    monkeypatch.setattr(vae_checks, "run_default_checks", lambda progress=None: [])
    monkeypatch.setattr(diffusion_checks, "run_diffusion_checks", lambda progress=None: results)
    target = tmp_path / "checks.json"
    assert main(["check", "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Diffusion ELBO claims on exact Gaussian diffusions" in out and f"{len(results)} passed, 0 failed" in out
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert len(rows) == len(results) and {row["section"] for row in rows} == {"diffusion"}
