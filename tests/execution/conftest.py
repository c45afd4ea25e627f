"""Shared fixture of the execution tests: no budget left over between tests."""

from __future__ import annotations

import pytest

from telos.execution import budget
from telos.execution.budget import Limits


@pytest.fixture(autouse=True)
def clean_budget():
    """Each test starts and ends with no budget in this thread and the default limits."""
    budget._local.budget = None
    old = budget.set_limits(Limits())
    yield
    budget._local.budget = None
    budget.set_limits(old)
