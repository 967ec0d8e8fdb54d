"""How a user's function may reduce per-data-point values over the batch: stated once for the gate."""

from __future__ import annotations

import torch
from torch import Tensor

REDUCE = {"none": lambda v: v, "mean": torch.mean, "sum": torch.sum}
REDUCTIONS = tuple(REDUCE)  # ("none", "mean", "sum")


def reduce_batch(per_point: Tensor, reduction: str) -> Tensor:
    """per_point (B,) reduced as `reduction` names: (B,) for "none", () otherwise."""
    return REDUCE[reduction](per_point)
