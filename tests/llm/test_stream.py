"""Token streams: cancellation by close, by drop and by the request scope; errors; progress."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from telos.errors import GenerationCancelled, LLMUnavailable
from telos.llm.stream import new_stream, stream_from_thread
from telos.scope import Progress, RequestScope, current, request_scope


def _slow_producer(channel, n: int, gap: float, produced: list) -> threading.Thread:
    def run():
        for i in range(n):
            if channel.cancelled():
                break
            produced.append(i)
            channel.put(f"t{i} ")
            time.sleep(gap)
        channel.finish()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_stream_yields_what_the_producer_puts_in_order():
    channel, stream = new_stream("test")
    produced: list = []
    _slow_producer(channel, 5, 0.0, produced).join(5)
    assert list(stream) == [f"t{i} " for i in range(5)]


def test_close_stops_the_producer_within_one_token():
    channel, stream = new_stream("test")
    produced: list = []
    t = _slow_producer(channel, 1000, 0.01, produced)
    assert next(stream) == "t0 "
    stream.close()
    t.join(5)
    assert not t.is_alive()
    assert len(produced) < 1000
    seen_at_close = len(produced)
    time.sleep(0.05)
    assert len(produced) == seen_at_close        # nothing more after it stopped


def test_dropping_the_stream_cancels_it():
    channel, stream = new_stream("test")
    produced: list = []
    t = _slow_producer(channel, 1000, 0.01, produced)
    next(stream)
    del stream
    gc.collect()
    t.join(5)
    assert not t.is_alive() and len(produced) < 1000


def test_a_cancelled_request_scope_ends_iteration_even_if_nothing_was_ever_produced():
    scope = RequestScope("test")
    with request_scope(scope):
        assert current() is scope
        channel, stream = new_stream("never started")
    assert current() is None
    threading.Timer(0.3, scope.cancelled.set).start()
    with pytest.raises(GenerationCancelled):
        next(stream)
    assert channel.cancelled()


def test_the_scope_reports_the_progress_of_the_stream_it_waits_on():
    scope = RequestScope("test")
    with request_scope(scope):
        channel, stream = new_stream("s")
    channel.set_progress(Progress("queued", "queued: 2 requests ahead", position=3))
    p = scope.progress()
    assert (p.stage, p.position) == ("queued", 3) and "2 requests ahead" in p.text()
    channel.put("x")
    channel.finish()
    assert list(stream) == ["x"]
    assert scope.progress().stage == "working"    # the finished stream is no longer watched


def test_producer_errors_surface_on_iteration():
    def boom():
        yield "a"
        raise LLMUnavailable("no server")
    stream = stream_from_thread("boom", boom, Progress("waiting", "waiting"))
    assert next(stream) == "a"
    with pytest.raises(LLMUnavailable, match="no server"):
        next(stream)


def test_stream_from_thread_closes_the_source_when_cancelled():
    closed = threading.Event()

    def endless():
        try:
            while True:
                time.sleep(0.01)
                yield "x"
        finally:
            closed.set()
    stream = stream_from_thread("endless", endless, Progress("waiting", "waiting"))
    assert next(stream) == "x"
    stream.close()
    assert closed.wait(5)
