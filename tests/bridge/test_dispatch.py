"""telos.bridge.dispatch: the handler registry, what a handler's context does, and how what a
handler raised becomes an ERROR code."""

from __future__ import annotations

import pytest

from telos import errors
from telos.bridge import protocol as P
from telos.bridge.dispatch import HandlerRegistry, Observer, RequestContext, classify


# --- registry ----------------------------------------------------------------------------------

def test_only_request_commands_can_have_a_handler():
    reg = HandlerRegistry()
    with pytest.raises(ValueError, match="PONG"):
        reg.register("PONG", lambda ctx: None)
    assert reg.commands() == []


def test_register_get_and_the_inline_flag():
    reg = HandlerRegistry()

    @reg.handler("PING", inline=True)
    def ping(ctx):
        return None

    reg.register("STATUS_REQUEST", lambda ctx: None)
    assert reg.get("PING") is ping and reg.get("INSPECT_OBJECT") is None
    assert reg.commands() == ["PING", "STATUS_REQUEST"]
    assert reg.inline == {"PING"}
    reg.register("PING", ping)                      # registered again, not inline any more
    assert reg.inline == set()


# --- classify ----------------------------------------------------------------------------------

@pytest.mark.parametrize("exc, code", [
    (errors.RequestRefused("no", code=P.BUSY), P.BUSY),
    (errors.ProtocolError("bad", code=P.TOO_LARGE), P.TOO_LARGE),
    (errors.SlotNotFound("no slot 'x'"), P.NOT_FOUND),
    (errors.QueryError("cannot parse"), P.BAD_REQUEST),
    (errors.SlotError("bad slot"), P.BAD_REQUEST),
    (errors.ReadOnlyImageError("read-only"), P.BAD_REQUEST),
    (errors.GenerationCancelled("client left"), P.UNAVAILABLE),
    (errors.GenerationError("trial", "it raised"), P.GENERATION_FAILED),
    (errors.LLMTimeout("slow"), P.TIMEOUT),
    (errors.LLMUnavailable("down"), P.UNAVAILABLE),
    (errors.ModelNotFound("phi3"), P.UNAVAILABLE),
    (errors.MemoryStoreError("no index"), P.UNAVAILABLE),
    (OSError(28, "No space left on device"), P.UNAVAILABLE),
    (errors.ConflictError(), P.CONFLICT),
    (KeyError("bug"), P.INTERNAL),
    (ValueError("bug"), P.INTERNAL),
])
def test_classify_maps_each_kind_of_failure_to_its_code(exc, code):
    got, hint = classify(exc)
    assert got == code and got in P.ERROR_CODES
    assert isinstance(hint, str)


def test_a_refusal_keeps_its_own_hint_and_a_bug_points_at_the_log():
    assert classify(errors.RequestRefused("no", code=P.NOT_FOUND, hint="try LIST")) == (P.NOT_FOUND, "try LIST")
    assert "log" in classify(RuntimeError("x"))[1]


# --- request context ---------------------------------------------------------------------------

class Recorder(Observer):
    def __init__(self):
        self.first, self.tokens = [], []

    def first_token(self, command, seconds):
        self.first.append(command)

    def token(self, persona):
        self.tokens.append(persona)


class Pool:
    def __init__(self):
        self.out = 0

    def checkout(self):
        self.out += 1
        return f"session-{self.out}"


class FakeServer:
    def __init__(self, sessions=None):
        self.sessions, self.observer, self.pushed = sessions, Recorder(), []

    def _push(self, identity, data):
        self.pushed.append((identity, P.decode(data)))
        return True


def _ctx(server, request=None):
    return RequestContext(request=request or P.UserQueryRequest(query_text="hi"), identity=b"id-1",
                          server=server)


def test_partials_are_numbered_and_the_first_token_is_observed_once():
    server = FakeServer()
    ctx = _ctx(server)
    assert ctx.partial("BRICK", "he") and ctx.partial("BRICK", "llo")
    msgs = [m for _, m in server.pushed]
    assert [(m.token, m.seq) for m in msgs] == [("he", 0), ("llo", 1)]
    assert all(m.request_id == ctx.request_id for m in msgs)
    assert server.observer.first == ["USER_QUERY_REQUEST"]
    assert server.observer.tokens == ["BRICK", "BRICK"]
    assert {ident for ident, _ in server.pushed} == {b"id-1"}


def test_only_one_final_reply_per_request():
    server = FakeServer()
    ctx = _ctx(server)
    done = P.PersonaResponseComplete(request_id=ctx.request_id, persona_id="BRICK", full_text="x")
    assert ctx.send(done) and ctx.final_sent
    with pytest.raises(errors.BridgeError, match="final reply already sent"):
        ctx.send(done)
    assert len(server.pushed) == 1


def test_nothing_is_sent_for_a_cancelled_request():
    server = FakeServer()
    ctx = _ctx(server)
    ctx.cancelled.set()
    assert ctx.partial("BRICK", "x") is False
    assert server.pushed == []


def test_the_session_is_checked_out_once_and_refused_without_an_image():
    pool = Pool()
    ctx = _ctx(FakeServer(pool))
    assert ctx.session == "session-1" and ctx.session == "session-1" and pool.out == 1
    with pytest.raises(errors.RequestRefused) as info:
        _ctx(FakeServer(None)).session
    assert info.value.code == P.UNAVAILABLE
