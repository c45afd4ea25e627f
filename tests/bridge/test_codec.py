"""telos/bridge/codec.py (through the protocol facade): round trips, strictness, bounds, and the
ERROR codes bad frames map to."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from telos.bridge import protocol as p
from telos.errors import ProtocolError


def _examples():
    view = p.ObjectView(object_id="ab" * 16, name="Point",
                        slots=[p.SlotView(name="x", value_type="int", value_repr="1", value=1)],
                        parents=[p.ParentView(slot="parent", object_id="cd" * 16, name="Object")],
                        methods=[p.MethodView(selector="norm", source="def norm(self):\n    return 1\n",
                                              provenance={"author": "test", "time": 1.5})])
    thought = p.ThoughtView(thought_id="0123456789abcdef", time=1.5, author="kernel",
                            author_kind="kernel", note="kernel: Point.norm")
    return [
        p.UserQueryRequest(query_text="hello", persona="BRICK"),
        p.StatusRequest(), p.ListPrototypes(), p.Ping(), p.ShutdownRequest(reason="test"),
        p.InspectObject(name="Point"), p.InspectObject(object_id="ab" * 16),
        p.SetSlot(name="Point", slot="x", value={"a": [1, 2.5, None, True, "s"]}),
        p.DefineMethod(name="Point", source="def f(self):\n    return 2\n"),
        p.SendMessage(object_id="ab" * 16, selector="f", args=[1, "x"], kwargs={"k": [1]}),
        p.SearchMemory(query="cats", k=3), p.Remember(text="the sky is blue"),
        p.VsaQuery(query="currency of the country whose capital is Paris"),
        p.VsaAnswer(request_id="r", value="Euro", kind="symbol", score=0.9,
                    steps=[p.VsaStep(op="cleanup", detail="Paris", score=0.8)]),
        p.PersonaResponsePartial(request_id="r", persona_id="BRICK", token="he", seq=3),
        p.RequestProgress(request_id="r", stage="queued", detail="queued: 1 request ahead",
                          position=2, fraction=None, elapsed=1.5),
        p.PersonaResponseComplete(request_id="r", persona_id="BRICK", full_text="hello"),
        p.SystemStatusUpdate(status_text="ok", vram_usage=12.5, model_stage="converting",
                             model_state="converting the embedded model: 40 %",
                             models=[p.ModelInfo(name="m", persona="BRICK", loaded=True, vram_mb=3.0)],
                             memory={"contexts": 3}, index=p.IndexState(state="idle"), last_backup=1.0),
        p.PrototypeList(request_id="r", prototypes=[p.PrototypeSummary(name="P", object_id="x")]),
        p.ObjectDescription(request_id="r", object=view),
        p.SendResult(request_id="r", value=[1, 2], value_repr="[1, 2]", value_type="list"),
        p.SearchResults(request_id="r", hits=[p.MemoryHit(record_id="1", text="t", score=0.5)]),
        p.Ack(request_id="r", of="SET_SLOT", object=view), p.Pong(request_id="r"),
        p.Error(request_id="r", code="not_found", message="no", hint="try LIST_PROTOTYPES"),
        p.SearchMemory(query="cats", k=3, mode="lexical", source="oid:00", since=1.0, until=2.5,
                       as_of="0123456789abcdef"),
        p.InspectObject(name="Point", as_of=1700000000.25),
        p.ListThoughts(limit=20, name="Point", author="kernel"),
        p.ObjectHistory(name="Point", limit=5), p.UndoThought(thought_id="0123456789abcdef"),
        p.DiffObject(object_id="ab" * 16, before="0123456789abcdef", after="0123456789abcdf0"),
        p.ThoughtList(request_id="r", thoughts=[thought]), p.ThoughtsCommitted(thoughts=[thought]),
        p.HistoryList(request_id="r", revisions=[p.RevisionView(thought=thought, object=view)]),
        p.ObjectDiff(request_id="r", object_id="ab" * 16, before="0123456789abcdef", changes=[
            p.SlotChange(slot="norm", kind="method", change="changed", before="def norm(self):",
                         after="def norm(self):", diff="-    return 1\n+    return 2\n",
                         thought=thought, provenance={"author": "kernel"})]),
        p.ListBackups(), p.RunBackup(full=True), p.VerifyBackup(drill="all"),
        p.BackupList(request_id="r", destination="/b", key_id="k1", sets=[
            p.BackupSetView(ident="c/s", seq=1, time=1.5, kind="full", size=10, encrypted=True,
                            objects=3, verified=2.5, verified_how="restore drill",
                            verified_ok=True, restore_command="python3 master_forge.py restore"),
            p.BackupSetView(ident="c/t", state="broken", error="manifest missing")]),
        p.BackupDone(request_id="r", of="VERIFY_BACKUP", ok=False, summary="verify: FAILED",
                     lines=["PROBLEM: x", "verify: FAILED"], seconds=1.0),
        p.MemoryMap(offset=1000, limit=500, after_id=7), p.KernelEvents(limit=50),
        p.MemoryPoints(request_id="r", points=[p.MemoryPoint(id=3, x=0.5, y=-1.25, tier="L2",
                                                             cluster=9, text="the kettle")],
                       concepts=[p.ConceptLabel(id=9, definition="kitchen things", size=1,
                                                x=0.5, y=-1.25)],
                       total=1, basis="pca-1-ab", fitted_on=1, explained=[0.6, 0.2]),
        p.KernelEvent(cycle="c1", for_request="r", request="Gadget.tripled()",
                      receiver="Gadget", selector="tripled", persona="BRICK", model="m",
                      step="policy", outcome="failed", attempt=1, seconds=0.001,
                      code="def tripled(self):\n    import os", reason="no os.", time=1.0),
        p.KernelEventList(request_id="r", events=[p.KernelEvent(cycle="c1", selector="f",
                                                                step="request", outcome="started")]),
    ]


def test_every_command_has_an_example_and_round_trips():
    examples = _examples()
    assert {m.command for m in examples} == set(p.COMMANDS)
    for m in examples:
        frame = p.encode(m)
        assert isinstance(frame, bytes)
        assert json.loads(frame)["protocol"] == p.PROTOCOL_VERSION
        assert p.decode(frame) == m


def test_requests_carry_ids_and_replies_are_refused_as_requests():
    a, b = p.StatusRequest(), p.StatusRequest()
    assert a.request_id != b.request_id
    with pytest.raises(ProtocolError) as e:
        p.decode_request(p.encode(p.Pong(request_id="abc")))
    assert e.value.code == p.NOT_A_REQUEST and e.value.request_id == "abc"


@pytest.mark.parametrize("frame, code, rid", [
    (b"{", p.BAD_JSON, None),
    (b"\xff\xfe\x00", p.BAD_JSON, None),
    (b"[" * 50_000, p.BAD_JSON, None),
    (b"[1, 2]", p.INVALID_MESSAGE, None),
    (b'{"request_id": "q1"}', p.INVALID_MESSAGE, "q1"),
    (b'{"command": "FROB", "request_id": "q2"}', p.UNKNOWN_COMMAND, "q2"),
    (b'{"command": "PING", "request_id": "q3", "protocol": 1}', p.UNSUPPORTED_PROTOCOL, "q3"),
    (b'{"command": "PING", "request_id": "q4", "extra": 1}', p.INVALID_MESSAGE, "q4"),
    (b'{"command": "SEARCH_MEMORY", "request_id": "q5", "query": "x", "k": "3"}', p.INVALID_MESSAGE, "q5"),
    (b'{"command": "SEARCH_MEMORY", "request_id": "q6", "query": "x", "k": 1000}', p.INVALID_MESSAGE, "q6"),
    (b'{"command": "INSPECT_OBJECT", "request_id": "q7"}', p.INVALID_MESSAGE, "q7"),
    (b'{"command": "INSPECT_OBJECT", "request_id": "bad id!", "name": "X"}', p.INVALID_MESSAGE, None),
])
def test_bad_frames_map_to_codes(frame, code, rid):
    with pytest.raises(ProtocolError) as e:
        p.decode(frame)
    assert e.value.code == code
    assert e.value.request_id == rid


def test_size_bounds():
    big = json.dumps({"command": "REMEMBER", "request_id": "big", "text": "x" * (p.MAX_FRAME_BYTES + 1)})
    with pytest.raises(ProtocolError) as e:
        p.decode(big.encode())
    assert e.value.code == p.TOO_LARGE and e.value.request_id == "big"
    with pytest.raises(ProtocolError):
        p.decode(json.dumps({"command": "REMEMBER", "request_id": "a", "text": "x" * (p.MAX_TEXT + 1)}))
    with pytest.raises(ProtocolError) as e:
        p.encode(p.PersonaResponseComplete(request_id="r", persona_id="B", full_text="\U0001F600" * 400_000))
    assert e.value.code == p.TOO_LARGE


def test_error_reply_is_always_valid():
    e = p.error_reply("not a valid id!", "no_such_code", "m" * 10_000, "h" * 10_000)
    assert e.request_id is None and e.code == p.INTERNAL
    assert p.decode(p.encode(e)) == e


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**53, 2**53)
                           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
                           max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(value=json_values, slot=st.text(min_size=1, max_size=40), note=st.text(max_size=50))
def test_set_slot_round_trips_any_json_literal(value, slot, note):
    m = p.SetSlot(name="Thing", slot=slot, value=value, note=note)
    assert p.decode(p.encode(m)) == m


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_escape_as_anything_but_protocol_error(data):
    try:
        p.decode(data)
    except ProtocolError as e:
        assert e.code in p.ERROR_CODES


# -- codec details ------------------------------------------------------------------------------

def test_decode_accepts_str_bytearray_and_memoryview():
    frame = p.encode(p.Ping(request_id="x1"))
    for form in (frame.decode(), bytearray(frame), memoryview(frame)):
        assert p.decode(form) == p.Ping(request_id="x1")


def test_encode_refuses_what_is_not_a_message():
    with pytest.raises(ProtocolError, match="not a bridge message: dict") as e:
        p.encode({"command": "PING"})
    assert e.value.code == p.INVALID_MESSAGE


def test_a_too_large_message_names_its_request_and_says_what_to_do():
    big = p.PersonaResponseComplete(request_id="r7", persona_id="B",
                                    full_text="\U0001F600" * 300_000)   # 4 bytes each
    with pytest.raises(ProtocolError) as e:
        p.encode(big)
    assert (e.value.code, e.value.request_id) == (p.TOO_LARGE, "r7")
    assert e.value.hint == "send less text per message"


def test_decode_request_returns_the_request():
    req = p.SearchMemory(request_id="s1", query="cats", k=2)
    assert p.decode_request(p.encode(req)) == req


def test_error_reply_cuts_long_text_with_an_ellipsis_and_keeps_short_text():
    e = p.error_reply("r1", p.NOT_FOUND, "m" * (p.MAX_SHORT + 10), "short hint")
    assert len(e.message) == p.MAX_SHORT and e.message.endswith("…")
    assert (e.request_id, e.code, e.hint) == ("r1", p.NOT_FOUND, "short hint")
    exact = "n" * p.MAX_SHORT
    assert p.error_reply(None, p.BUSY, exact).message == exact


def test_error_reply_turns_a_non_string_message_into_text():
    assert p.error_reply(None, p.INTERNAL, ValueError("boom")).message == "boom"


@pytest.mark.parametrize("data, rid", [
    (b'{"request_id": "ok-1", "command": 5}', "ok-1"),
    (b'{"request_id": "has space"}', None),
    (b'{"request_id": 5}', None),
    (b'[1]', None),
    (b'{"request_id": "cut-2", "text": "unterminated', "cut-2"),
    (b'garbage', None),
])
def test_the_request_id_is_sniffed_from_a_bad_frame_when_it_is_usable(data, rid):
    from telos.bridge.codec import _sniff_request_id
    assert _sniff_request_id(data) == rid


def test_many_field_errors_are_summarised():
    frame = json.dumps({"command": "USER_QUERY_REQUEST", "request_id": "m1", "query_text": 1,
                        "persona": 2, "max_tokens": "x", "timestamp": "y"}).encode()
    with pytest.raises(ProtocolError) as e:
        p.decode(frame)
    message = str(e.value)
    assert message.startswith("invalid message: ") and "query_text" in message
    assert e.value.request_id == "m1" and "protocol.py" in e.value.hint
