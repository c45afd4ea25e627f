"""The cycle reports its steps to whoever observes it (``telos.kernel.events``): a method that is
written, checked, tried, installed and committed; a refusal with its reason in one sentence; and
nothing at all when nobody watches."""

from __future__ import annotations

import pytest

from telos import GenerationError
from telos.kernel import events
from tests.kernel.conftest import fenced


def _watch(fn):
    seen: list[events.KernelEvent] = []
    with events.observing(seen.append):
        try:
            fn()
        except GenerationError:
            pass
    return seen


def test_a_written_method_reports_every_step_in_order(kimage, standin):
    standin.script(fenced("def area(self):\n    return self.width * self.height"))
    rect = kimage.prototypes["Rectangle"]
    seen = _watch(lambda: rect.area())
    steps = [(e.step, e.outcome) for e in seen if e.outcome != "streaming"]
    assert steps == [("request", "started"), ("generation", "ok"), ("extract", "ok"),
                     ("policy", "ok"), ("trial", "ok"), ("install", "ok"), ("commit", "ok"),
                     ("done", "ok")]
    assert len({e.cycle for e in seen}) == 1
    first = seen[0]
    assert first.request == "Rectangle.area()" and first.receiver == "Rectangle"
    assert first.persona == "BRICK" and first.model == "mistral:7b"
    gen = next(e for e in seen if e.step == "generation" and e.outcome == "ok")
    assert "return self.width * self.height" in gen.code and gen.attempt == 1
    assert all(e.seconds >= 0 for e in seen)
    done = seen[-1]
    assert "def area(self)" in done.code and done.seconds >= gen.seconds


def test_a_refusal_names_the_step_and_the_reason_in_one_sentence(kimage, standin):
    standin.script(fenced("def area(self):\n    import socket\n    return 1"))
    rect = kimage.prototypes["Rectangle"]
    seen = _watch(lambda: rect.area())
    policy = next(e for e in seen if e.step == "policy")
    assert policy.outcome == "failed" and "import of 'socket' is not allowed" in policy.reason
    assert "import socket" in policy.code
    refused = seen[-1]
    assert refused.step == "refused" and refused.outcome == "failed"
    assert refused.reason.startswith("the policy step refused it: import of 'socket'")
    assert refused.reason.endswith(".") and "\n" not in refused.reason
    assert not [e for e in seen if e.step in ("trial", "install", "commit")]


def test_the_code_streams_while_it_is_written(kimage, standin, monkeypatch):
    monkeypatch.setattr(events, "STREAM_EVERY_S", 0.0)
    body = "def area(self):\n    w = self.width\n    h = self.height\n    return w * h"
    standin.script(fenced(body))
    seen = _watch(lambda: kimage.prototypes["Rectangle"].area())
    streamed = [e.code for e in seen if e.outcome == "streaming"]
    assert len(streamed) >= 3
    assert all(len(a) <= len(b) for a, b in zip(streamed, streamed[1:]))   # it only grows
    assert "return w * h" not in streamed[0] and "h = self.height" in streamed[-1]


def test_nobody_watching_costs_nothing(kimage, standin):
    standin.script(fenced("def area(self):\n    return self.width * self.height"))
    assert kimage.prototypes["Rectangle"].area() == 12      # no sink: no event, no error


def test_a_failing_sink_never_stops_the_cycle(kimage, standin):
    standin.script(fenced("def area(self):\n    return self.width * self.height"))

    def broken(_event):
        raise RuntimeError("watcher bug")
    with events.observing(broken):
        assert kimage.prototypes["Rectangle"].area() == 12


@pytest.mark.parametrize("reason, sentence", [
    ("import of 'os' is not allowed", "import of 'os' is not allowed."),
    ("first. second sentence", "first."),
    ("line one\nline two", "line one."),
    ("x" * 400, "x" * 299 + "…"),
])
def test_one_sentence(reason, sentence):
    assert events.one_sentence(reason) == sentence


def test_inside_a_request_thought_the_service_reports_the_real_commit(kimage, standin):
    """A SEND_MESSAGE runs the kernel inside the handler's thought: the kernel's own commit is a
    savepoint (``commit started``); the service's feed reports the real commit, then ``done``."""
    from telos.service.kernelfeed import KernelFeed
    pushed = []
    feed = KernelFeed(pushed.append)
    standin.script(fenced("def area(self):\n    return self.width * self.height"))
    with feed.watching("req-1"):
        with kimage.thought("bridge: send area"):
            assert kimage.prototypes["Rectangle"].area() == 12
    steps = [(m.step, m.outcome) for m in pushed if m.outcome != "streaming"]
    assert steps[-3:] == [("commit", "started"), ("commit", "ok"), ("done", "ok")]
    assert all(m.for_request == "req-1" and m.request_id is None for m in pushed)
    assert [m.step for m in feed.recent()] == [s for s, _ in steps]
    standin.script(fenced("def volume(self):\n    return self.width * self.height * 2"))
    with pytest.raises(RuntimeError):
        with feed.watching("req-2"):
            with kimage.thought("bridge: send volume"):
                kimage.prototypes["Rectangle"].volume()
                raise RuntimeError("the request's thought failed after the send")
    last = feed.recent()[-2:]
    assert [(m.step, m.outcome) for m in last] == [("commit", "failed"), ("refused", "failed")]
    assert last[-1].reason.startswith("the commit failed: RuntimeError")
