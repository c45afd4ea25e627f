"""telos/area.py: the Area base class's defaults (every hook does nothing, attach refuses) and
AreaStats, the one typed answer for the status board."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from telos.area import Area, AreaStats


class Bare(Area):
    name = "bare"


def test_the_default_hooks_do_nothing(tmp_path):
    area = Bare()
    dest = tmp_path / "snapshot"
    dest.mkdir()
    assert area.awaken(object()) is None
    assert area.maintain(object(), lambda *a: None) is None
    assert area.snapshot(object(), dest) is None
    assert list(dest.iterdir()) == []
    assert area.close(object()) is None


def test_attach_without_a_facade_names_the_area():
    with pytest.raises(NotImplementedError, match="area 'bare' has no facade"):
        Bare().attach(object())


def test_default_stats_say_unknown():
    stats = Bare().stats(object())
    assert isinstance(stats, AreaStats)
    assert stats.state == "unknown" and stats.counts == {} and stats.last is None


def test_area_stats_defaults_and_frozen():
    stats = AreaStats()
    assert (stats.state, stats.detail, dict(stats.counts), stats.last) == ("idle", "", {}, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.state = "busy"


def test_a_subclass_overrides_only_what_it_needs(tmp_path):
    class Snap(Area):
        name = "snap"

        def snapshot(self, image, dest: Path):
            (dest / "f").write_text("x")
            return {"tid": None, "files": [str(dest / "f")]}

    area = Snap()
    assert area.snapshot(None, tmp_path) == {"tid": None, "files": [str(tmp_path / "f")]}
    assert area.stats(None).state == "unknown"
