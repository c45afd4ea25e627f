"""The image: thoughts, sessions (awakening: test_genesis.py; its past: test_image_history.py)."""

from __future__ import annotations

import pytest
from ZODB.FileStorage import FileStorage

from telos import UvmObject, mirror, open_image
from telos.errors import ImageUnavailableError


def _content(path):
    """Every object's current state in a FileStorage, as bytes: equal content ⇔ equal dicts."""
    fs = FileStorage(str(path), read_only=True)
    try:
        out = {}
        for txn in fs.iterator():
            for rec in txn:
                out[rec.oid] = rec.data
        return out
    finally:
        fs.close()


def test_failed_thought_leaves_the_image_unchanged(telos_home):
    image = open_image()
    with image.thought("setup"):
        image.register("Counter", UvmObject(n=0, log=[]))
    path = image.store.path
    image.close()
    before = _content(path)
    image = open_image()
    counter = image.prototypes["Counter"]
    with pytest.raises(ZeroDivisionError):
        with image.thought("doomed"):
            counter.n = 99
            counter.log.append("x")
            image.register("Stray", UvmObject())
            mirror(counter).define("inc", "def inc(self):\n    self.n += 1\n")
            1 / 0
    assert counter.n == 0 and list(counter.log) == [] and "Stray" not in image.prototypes
    image.close()
    assert _content(path) == before                   # byte for byte, every object


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_nested_thought_is_a_savepoint(image):
    with image.thought("outer"):
        obj = image.register("Thing", UvmObject(a=1))
        with pytest.raises(ValueError):
            with image.thought("inner"):
                obj.a = 2
                raise ValueError
        assert obj.a == 1
        obj.b = 3
    assert (obj.a, obj.b) == (1, 3)


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_thought_records_note_and_user(image):
    with image.thought("named thought", user="alice"):
        image.register("Thing", UvmObject())
    latest = image.thoughts(1)[0]
    assert (latest.note, latest.user) == ("named thought", "alice")
    assert latest.id == image.last_thought


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_sessions_are_isolated_until_commit(image):
    other = image.session()
    with image.thought("create"):
        image.register("Shared", UvmObject(v=1))
    other.refresh()
    shared_there = other.prototypes["Shared"]
    shared_there.v = 5                      # uncommitted in the other session
    assert image.prototypes["Shared"].v == 1
    with other.thought("commit it"):
        pass
    image.refresh()
    assert image.prototypes["Shared"].v == 5


def test_locked_file_gives_a_clear_error(image):
    with pytest.raises(ImageUnavailableError) as err:
        open_image()
    assert "locked" in str(err.value)


@pytest.mark.relstorage   # a FileStorage is opened by one process at a time
def test_another_process_sees_a_thought_and_its_past(telos_home, pg_database, monkeypatch):
    """Two stores on one image (two processes' view): a thought of one is seen by the other,
    ``at`` and ``refresh(wait_for=...)`` work with its id (RelStorage: no stale lastTransaction)."""
    monkeypatch.setenv("TELOS_STORAGE", pg_database)
    a, b = open_image(), open_image()
    try:
        with a.thought("first"):
            a.register("Shared", UvmObject(v=1))
        first = a.last_thought
        with a.thought("second"):
            a.prototypes["Shared"].v = 2
        b.refresh(wait_for=a.last_thought, timeout=5)
        assert b.prototypes["Shared"].v == 2
        assert b.at(first).prototypes["Shared"].v == 1
        assert [r.state["v"] for r in b.history(b.prototypes["Shared"])] == [2, 1]
        assert b.thoughts(1)[0].id == a.last_thought
    finally:
        a.close()
        b.close()


def test_a_bad_kernel_setting_turns_the_kernel_off_instead_of_breaking_lookups(image, caplog):
    """kernel_enabled is read on every unknown message: a value the table refuses must not make
    every missing attribute (hasattr, getattr with a default) raise a ConfigError."""
    from telos.uvm import UvmObject
    with image.thought("typo in the shell"):
        image.config.kernel_enabled = "perhaps"
        obj = image.register("Thing", UvmObject(a=1))
    assert image.kernel_enabled is False and "kernel is off" in caplog.text
    assert getattr(obj, "nosuch", "fallback") == "fallback" and not hasattr(obj, "other")


def test_the_shells_commit_reports_a_conflict_as_telos_conflict_error(image):
    from telos.errors import ConflictError
    from telos.uvm import UvmObject
    with image.thought("one"):
        image.register("Counter", UvmObject(n=0))
    other = image.session()
    try:
        other.prototypes["Counter"].n = 1
        image.prototypes["Counter"].n = 2
        image.commit("mine")
        with pytest.raises(ConflictError, match="commit 'theirs'"):
            other.commit("theirs")
        other.refresh()
        assert other.prototypes["Counter"].n == 2         # the loser was aborted, nothing kept
    finally:
        other.close()
