"""Fixtures of the VSA tests: one torch thread (the machine is shared), small dimensions by default."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(12345)
