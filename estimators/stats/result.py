"""The outcome of one check: what was claimed, what was measured, and how sure the verdict is."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CheckResult:
    claim: str  # which claim: "bound", "gap identity", "tightness", "IWAE ordering", ...
    subject: str  # what was tested, e.g. "MC ELBO" or "IWAE_16 ≤ IWAE_64"
    model: str  # the model, q and data, in words
    estimate: float  # the Monte Carlo mean at the reported data point
    stderr: float  # its standard error; an exact check that holds: EXACT_ZERO (elbo_suite.numbers)
    exact: float  # the independently computed value it is held against
    passed: bool
    alpha: float  # false-alarm rate of this check (0 for exact checks)
    n: int  # independent samples per data point
    detectable_error: float  # smallest error caught with probability ≥ 0.9 (exact: the tolerance)
    message: str  # one line a person can act on: claim, verdict, and by how much
    data_point: int | None = None  # the data point reported (the worst of the batch)

    def to_dict(self) -> dict:
        return asdict(self)
