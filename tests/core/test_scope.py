"""telos.scope: the request a thread works for — its cancellation and what it waits on."""

from __future__ import annotations

import threading

from telos import scope
from telos.scope import Progress, RequestScope, request_scope


class Source:
    def __init__(self, stage: str, detail: str = ""):
        self.stage, self.detail = stage, detail

    def progress(self) -> Progress:
        return Progress(self.stage, self.detail)


def test_progress_text_is_the_detail_else_the_stage_with_the_fraction_as_a_percentage():
    assert Progress("loading").text() == "loading"
    assert Progress("loading", "loading the embedded model").text() == "loading the embedded model"
    assert Progress("converting", fraction=0.25).text() == "converting: 25 %"


def test_the_newest_watched_source_answers_and_unwatching_falls_back():
    s = RequestScope("ask r1")
    first, second = Source("queued", "queued: 2 ahead"), Source("generating")
    assert s.progress().stage == "working"
    s.watch(first)
    s.watch(second)
    assert s.progress().stage == "generating"
    s.unwatch(second)
    assert s.progress().text() == "queued: 2 ahead"
    s.unwatch(second)                               # twice is harmless
    s.unwatch(first)
    assert s.progress().stage == "working"


def test_a_scope_shares_the_cancelled_event_it_is_given():
    ev = threading.Event()
    s = RequestScope("x", ev)
    ev.set()
    assert s.cancelled.is_set()
    assert not RequestScope("y").cancelled.is_set()


def test_current_is_the_innermost_open_scope_and_none_outside():
    assert scope.current() is None
    outer, inner = RequestScope("outer"), RequestScope("inner")
    with request_scope(outer) as got:
        assert got is outer and scope.current() is outer
        with request_scope(inner):
            assert scope.current() is inner
        assert scope.current() is outer
    assert scope.current() is None


def test_the_scope_is_reset_when_the_body_raises():
    s = RequestScope("boom")
    try:
        with request_scope(s):
            raise KeyError("x")
    except KeyError:
        pass
    assert scope.current() is None


def test_another_thread_does_not_see_this_threads_scope():
    seen = []
    with request_scope(RequestScope("mine")):
        t = threading.Thread(target=lambda: seen.append(scope.current()))
        t.start()
        t.join()
    assert seen == [None]
