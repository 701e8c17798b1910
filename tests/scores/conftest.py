import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread during these tests: on a shared, oversubscribed CPU, OpenMP threads of small torch
    ops can stall for seconds. Restored afterwards."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
