"""telos.progress: progress of long work, reported to a status callback (and a bar on a terminal)."""

from __future__ import annotations

import logging

from telos import progress as progress_mod
from telos.progress import Progress, progress


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_every_update_is_reported_when_every_is_zero():
    seen = []
    with Progress("ingest", total=3, status=lambda *a: seen.append(a), every=0) as p:
        p.update()
        p.update(2)
    assert seen == [("ingest", 1, 3), ("ingest", 3, 3)]
    assert p.n == 3


def test_reports_are_throttled_but_the_last_one_always_comes(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress_mod.time, "monotonic", clock)
    seen = []
    p = Progress("embed", total=5, status=lambda d, n, t: seen.append(n), every=10.0)
    for _ in range(3):
        p.update()                      # the first reports, the next two are too soon
    clock.now += 11.0
    p.update()                          # 4: the interval has passed
    p.update()                          # 5: the total is reached
    p.close()
    assert seen == [1, 4, 5]


def test_progress_wraps_an_iterable_and_takes_its_length_as_the_total():
    seen = []
    items = list(progress(["a", "b", "c"], desc="copy", status=lambda *a: seen.append(a)))
    assert items == ["a", "b", "c"]
    assert seen[-1] == ("copy", 3, 3)


def test_a_generator_has_no_total(monkeypatch):
    monkeypatch.setattr(progress_mod.time, "monotonic", Clock())     # time stands still
    seen = []
    out = list(progress((i for i in range(3)), desc="gen", status=lambda *a: seen.append(a)))
    assert out == [0, 1, 2]
    assert seen == [("gen", 1, None)]   # no total to reach: only the first, unthrottled report


def test_close_logs_what_was_done(caplog):
    with caplog.at_level(logging.INFO, logger="telos.progress"):
        with Progress("restore", total=4, unit="files") as p:
            p.update(4)
    assert "restore: 4/4 files done" in caplog.text


def test_no_bar_is_drawn_when_stderr_is_not_a_terminal(capsys):
    with Progress("quiet", total=2) as p:
        assert p._bar is None
        p.update(2)
    assert capsys.readouterr().err == ""
