"""telos.bridge.call: one request in flight on the client — partials in order, progress noted
and waited past, the final reply, ERROR and a lost connection as exceptions (or, with a sink, as
ERROR messages)."""

from __future__ import annotations

import pytest

from telos import errors
from telos.bridge import protocol as P
from telos.bridge.call import Call, Lost


class FakeClient:
    endpoint = "ipc:///nowhere/bridge.sock"

    def __init__(self):
        self.forgotten = []

    def _forget(self, request_id):
        self.forgotten.append(request_id)


@pytest.fixture
def call():
    return Call(FakeClient(), P.UserQueryRequest(query_text="hi", persona="BRICK"), timeout=5.0)


def _partial(call, token, seq):
    return P.PersonaResponsePartial(request_id=call.request_id, persona_id="BRICK", token=token, seq=seq)


def _progress(call, stage):
    return P.RequestProgress(request_id=call.request_id, stage=stage, detail=stage, elapsed=1.0)


def test_partials_then_the_final_reply(call):
    final = P.PersonaResponseComplete(request_id=call.request_id, persona_id="BRICK", full_text="hello")
    for item in (_partial(call, "hel", 0), _partial(call, "lo", 1), final):
        call._deliver(item)
    assert list(call.tokens()) == ["hel", "lo"]
    assert call.final is final and call.result() is final
    with pytest.raises(StopIteration):
        call.next_message()


def test_progress_is_noted_and_never_returned(call):
    seen = []
    call.on_progress = seen.append
    call._deliver(_progress(call, "queued"))
    call._deliver(_progress(call, "loading"))
    call._deliver(_partial(call, "a", 0))
    msg = call.next_message()
    assert msg.command == "PERSONA_RESPONSE_PARTIAL"
    assert [p.stage for p in seen] == ["queued", "loading"] and call.progress.stage == "loading"


def test_result_discards_partials_not_yet_read(call):
    call._deliver(_partial(call, "x", 0))
    call._deliver(P.Pong(request_id=call.request_id))
    assert call.result().command == "PONG"


def test_an_error_reply_raises_remote_error_with_its_code(call):
    call._deliver(P.error_reply(call.request_id, P.NOT_FOUND, "no such persona", "try BRICK"))
    with pytest.raises(errors.RemoteError) as info:
        call.result()
    assert info.value.code == P.NOT_FOUND and info.value.hint == "try BRICK"
    assert call.final is not None                       # the request is over


def test_a_lost_connection_makes_the_outcome_unknown(call):
    call._deliver(Lost("service restarted"))
    with pytest.raises(errors.BridgeUnavailable, match="outcome is unknown"):
        call.result()


def test_a_refused_key_is_access_refused(call):
    call._deliver(Lost("key not on the allow-list", refused=True))
    with pytest.raises(errors.AccessRefused, match="allow-list"):
        call.result()


def test_silence_longer_than_the_timeout_gives_up_and_forgets_the_request(call):
    with pytest.raises(errors.BridgeUnavailable, match="no word about USER_QUERY_REQUEST"):
        call.next_message(timeout=0.01)
    assert call.client.forgotten == [call.request_id]


def test_a_sink_receives_replies_and_losses_as_error_messages():
    got = []
    call = Call(FakeClient(), P.Ping(), timeout=5.0, sink=got.append)
    pong = P.Pong(request_id=call.request_id)
    call._deliver(pong)
    call._deliver(Lost("service gone"))
    call._deliver(Lost("key revoked", refused=True))
    assert got[0] is pong
    assert (got[1].command, got[1].code) == ("ERROR", P.UNAVAILABLE) and "service gone" in got[1].message
    assert (got[2].code, got[2].message) == (P.FORBIDDEN, "key revoked")
    assert {m.request_id for m in got} == {call.request_id}
