"""telos.service.sessions: each request gets its own image session, begun fresh and aborted on
return; idle sessions are reused up to a limit; a bridge write runs as one thought."""

from __future__ import annotations

import pytest

from telos.service.sessions import ImageSessionPool, commit_thought


class TM:
    def __init__(self, fail_abort=False):
        self.log, self.fail_abort = [], fail_abort

    def begin(self):
        self.log.append("begin")

    def abort(self):
        self.log.append("abort")
        if self.fail_abort:
            raise RuntimeError("abort failed")


class Session:
    def __init__(self, n):
        self.n, self.closed = n, False
        self.transaction_manager = TM()

    def close(self):
        self.closed = True


class Image:
    def __init__(self):
        self.made = []

    def session(self):
        s = Session(len(self.made))
        self.made.append(s)
        return s


def test_a_session_is_begun_on_checkout_and_aborted_on_checkin():
    pool = ImageSessionPool(Image())
    s = pool.checkout()
    assert s.transaction_manager.log == ["begin"]
    pool.checkin(s)
    assert s.transaction_manager.log == ["begin", "abort"] and not s.closed


def test_idle_sessions_are_reused_and_never_shared():
    image = Image()
    pool = ImageSessionPool(image)
    a, b = pool.checkout(), pool.checkout()
    assert a is not b and len(image.made) == 2
    pool.checkin(a)
    c = pool.checkout()
    assert c is a and len(image.made) == 2
    assert a.transaction_manager.log == ["begin", "abort", "begin"]


def test_sessions_beyond_the_limit_are_closed():
    pool = ImageSessionPool(Image(), limit=1)
    a, b = pool.checkout(), pool.checkout()
    pool.checkin(a)
    pool.checkin(b)
    assert not a.closed and b.closed


def test_a_session_whose_abort_fails_is_dropped(caplog):
    image = Image()
    pool = ImageSessionPool(image)
    s = pool.checkout()
    s.transaction_manager.fail_abort = True
    pool.checkin(s)
    assert s.closed and "dropping it" in caplog.text
    assert pool.checkout() is not s


def test_close_closes_the_idle_sessions_and_later_checkins():
    pool = ImageSessionPool(Image())
    a, b = pool.checkout(), pool.checkout()
    pool.checkin(a)
    pool.close()
    assert a.closed
    pool.checkin(b)                             # returned after close: closed, not kept
    assert b.closed


class RunSession:
    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def run(self, fn, note, *, user, on_conflict):
        self.calls.append((note, user, on_conflict))
        if self.fail:
            raise ValueError("refused")
        return fn()


def test_commit_thought_runs_the_write_and_reports_the_commit():
    session, committed = RunSession(), []
    on_conflict = lambda: None  # noqa: E731
    out = commit_thought(session, lambda: 42, "set x", user="key:laptop",
                         on_commit=lambda: committed.append(1), on_conflict=on_conflict)
    assert out == 42 and committed == [1]
    assert session.calls == [("set x", "key:laptop", on_conflict)]


def test_a_failed_write_reports_no_commit():
    committed = []
    with pytest.raises(ValueError):
        commit_thought(RunSession(fail=True), lambda: 1, "x", on_commit=lambda: committed.append(1))
    assert committed == []
