"""What a gate check returns: one verdict over several claims, with the evidence."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

EXACT = 0.0  # alpha of an exact comparison: no Monte Carlo error, only floating-point rounding


@dataclass(frozen=True)
class ClaimOutcome:
    """One claim checked on the user's function, e.g. 'KL value' or 'gradient unbiased'."""

    claim: str
    passed: bool
    error: float  # size of the error, in the units named by `message`
    tolerance: float  # the error allowed: a rounding tolerance, or the critical value of a test
    n: int  # sample size: compared values (exact) or independent replicates (statistical)
    alpha: float  # false-alarm rate; 0.0 for an exact comparison
    message: str

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))


@dataclass(frozen=True)
class GateResult:
    """Verdict of one gate check.

    `claim`, `error`, `n`, `alpha` and `message` are those of the first failing claim, or of the
    last claim checked when all passed. `details["claims"]` lists every claim checked.
    """

    passed: bool
    claim: str
    error: float
    n: int
    alpha: float
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_claims(cls, subject: str, outcomes: list[ClaimOutcome], **details: Any) -> GateResult:
        if not outcomes:
            raise ValueError("outcomes: expected at least one claim checked, got none")
        failed = [o for o in outcomes if not o.passed]
        decisive = failed[0] if failed else outcomes[-1]
        if failed:
            message = f"{subject}: {decisive.message}"
            if len(failed) > 1:
                others = ", ".join(o.claim for o in failed[1:])
                message += f" (also failed: {others})"
        else:
            # Each claim's own message: for a statistical claim it states the smallest bias the
            # test detects, which a pass must not hide.
            evidence = " | ".join(o.message for o in outcomes)
            message = f"{subject}: all {len(outcomes)} claims passed: {evidence}"
        return cls(
            passed=not failed,
            claim=decisive.claim,
            error=decisive.error,
            n=decisive.n,
            alpha=decisive.alpha,
            message=message,
            details={"claims": [o.to_dict() for o in outcomes], **details},
        )

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))


def _json_safe(value: Any) -> Any:
    """Plain JSON types only: nan/inf become strings, tuples become lists."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
