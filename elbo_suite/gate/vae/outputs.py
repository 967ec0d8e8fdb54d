"""What a user's loss returns: a tensor, a (loss, *parts) tuple, or a dict with a loss entry.

The loss is judged; the parts (reconstruction, KL, ... often detached for logging) are read only
to explain a failure ("your 'KLD' part is 2·KL").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from elbo_suite.gate.errors import GateInputError

LOSS_KEYS = ("loss", "total_loss", "total", "neg_elbo", "negative_elbo", "nelbo", "elbo", "objective",
             "vae_loss", "train_loss", "iwae_loss", "iwae")


def split_output(value: Any, what: str) -> tuple[Any, dict[str, Tensor]]:
    """(the loss as returned, {part name: detached float64 tensor}) for a tensor, tuple or dict."""
    if isinstance(value, Tensor):
        return value, {}
    if isinstance(value, Mapping):
        keys = {str(k).lower(): k for k in value}
        found = next((keys[k] for k in LOSS_KEYS if k in keys), None)
        if found is None:
            raise GateInputError(
                f"{what} returned a dict with keys {sorted(map(str, value))}; expected one of them to be the "
                f"loss: {', '.join(LOSS_KEYS[:6])}, ..."
            )
        parts = {str(k): _part(v) for k, v in value.items() if k != found}
        return value[found], {k: v for k, v in parts.items() if v is not None}
    if isinstance(value, (tuple, list)) and value:
        names = getattr(value, "_fields", None) or [f"part {i}" for i in range(len(value))]
        parts = {str(names[i]): _part(v) for i, v in enumerate(value) if i > 0}
        return value[0], {k: v for k, v in parts.items() if v is not None}
    return value, {}


def _part(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value.detach().to(torch.float64)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=torch.float64)
    return None
