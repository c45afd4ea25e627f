"""telos/quiet.py: transformers' own stderr handler and bars are turned off once; the Hub's
bars through the environment (without importing transformers: a stand-in module records)."""

from __future__ import annotations

import os
import sys
import types

import pytest

from telos import quiet


@pytest.fixture
def fake_transformers(monkeypatch):
    calls: list[str] = []
    tlog = types.SimpleNamespace(**{name: (lambda name=name: calls.append(name)) for name in (
        "disable_default_handler", "enable_propagation", "disable_progress_bar")})
    utils = types.ModuleType("transformers.utils")
    utils.logging = tlog
    package = types.ModuleType("transformers")
    package.utils = utils
    monkeypatch.setitem(sys.modules, "transformers", package)
    monkeypatch.setitem(sys.modules, "transformers.utils", utils)
    monkeypatch.setattr(quiet, "_done", False)
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    return calls


def test_quiet_transformers_turns_off_the_handler_and_bars(fake_transformers, monkeypatch):
    quiet.quiet_transformers()
    assert fake_transformers == ["disable_default_handler", "enable_propagation",
                                 "disable_progress_bar"]
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"


def test_quiet_transformers_is_idempotent(fake_transformers):
    quiet.quiet_transformers()
    quiet.quiet_transformers()
    assert len(fake_transformers) == 3


def test_a_users_choice_for_hub_bars_is_kept(fake_transformers, monkeypatch):
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "0")
    quiet.quiet_transformers()
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "0"
