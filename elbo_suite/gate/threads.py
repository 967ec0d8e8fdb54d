"""The gate's tensors are tiny: run single-threaded, where thread start-up would dominate.

On a loaded machine, intra-op parallelism on (4, 3, 3) tensors costs milliseconds per operation
instead of microseconds. The previous thread count is restored on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def single_threaded() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
