"""One torch thread for the diffusion tests: they work on tensors of ~10⁵ values, where intra-op
threads on a shared machine only add contention (the checks themselves run the same way)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
