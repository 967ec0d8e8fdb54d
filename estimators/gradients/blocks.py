"""Run a row-wise computation over the draws in cache-sized blocks and stack the rows.

Each block is fully vectorised; blocking only keeps the working set in cache, which makes
large N several times faster than one pass over the whole (N, …) array (memory traffic, not
arithmetic, is what costs at N = 10⁵ draws).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

BLOCK_ELEMENTS = 2**18  # noise entries per block: 2 MiB of float64


def by_blocks(per_block: Callable[[Tensor], Tensor], eps: Tensor) -> Tensor:
    """torch.cat([per_block(b) for b in blocks of eps along dim 0]), blocks of whole rows."""
    row_elements = max(1, eps[0].numel()) if eps.shape[0] else 1
    rows = max(1, BLOCK_ELEMENTS // row_elements)
    if eps.shape[0] <= rows:
        return per_block(eps)
    return torch.cat([per_block(block) for block in eps.split(rows)])
