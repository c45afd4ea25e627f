"""Every request kind through a real service process attached to a real ZEO server."""

from __future__ import annotations

import json
import urllib.request

import pytest

from telos.bridge import protocol as P
from telos.errors import RemoteError
from tests.service.scripted import expected


def test_ping_and_status(client, service):
    assert client.ping().command == "PONG"
    st = client.status()
    assert isinstance(st, P.SystemStatusUpdate)
    assert st.pid == service.pid
    assert st.status_text == "ready"
    assert st.connection.startswith("zeo:")
    assert st.index.state in ("absent", "idle", "rebuilding", "failed", "unknown")


def test_list_and_inspect(client):
    protos = {p.name: p for p in client.list_prototypes().prototypes}
    assert {"Object", "Config"} <= set(protos)
    by_name = client.inspect(name="Config")
    by_id = client.inspect(object_id=protos["Config"].object_id)
    assert by_name == by_id
    assert by_name.name == "Config"
    assert all(s.kind in ("data", "parent", "method") for s in by_name.slots)
    with pytest.raises(RemoteError) as e:
        client.inspect(name="NoSuchThing")
    assert e.value.code == P.NOT_FOUND


def test_set_slot_commits_and_another_zeo_client_sees_it(client, zeo_module):
    ack = client.set_slot("favourite", {"colour": "blue", "n": [1, 2.5, None]}, name="Object",
                          note="test set")
    assert ack.of == "SET_SLOT" and ack.thought_id
    slot = next(s for s in ack.object.slots if s.name == "favourite")
    assert slot.value == {"colour": "blue", "n": [1, 2.5, None]}
    from telos.image import open_image
    other = open_image(zeo=zeo_module)
    try:
        assert dict(other.prototypes["Object"].favourite) == {"colour": "blue", "n": [1, 2.5, None]}
        from telos.bridge.authz import LOCAL
        assert any(t.note == "test set" and t.user == LOCAL.author for t in other.thoughts(20))
    finally:
        other.close()


def test_slot_value_over_the_size_limit_is_refused_and_changes_nothing(client):
    before = client.inspect(name="Object")
    big = "x" * 70_000                           # the default limit is 65536 bytes of JSON
    with pytest.raises(RemoteError) as e:
        client.set_slot("blob", big, name="Object")
    assert e.value.code == P.TOO_LARGE
    assert "65536" in e.value.remote_message and "TELOS_BRIDGE_MAX_SLOT_BYTES" in e.value.remote_message
    with pytest.raises(RemoteError) as e:        # nested values count as a whole
        client.set_slot("blob", {"parts": ["y" * 40_000, "z" * 40_000]}, name="Object")
    assert e.value.code == P.TOO_LARGE
    assert client.inspect(name="Object") == before
    assert client.set_slot("blob", "x" * 60_000, name="Object").of == "SET_SLOT"   # under it: fine


def test_set_slot_refusals_change_nothing(client):
    before = client.inspect(name="Object")
    with pytest.raises(RemoteError) as e:
        client.set_slot("_private", 1, name="Object")
    assert e.value.code == P.BAD_REQUEST
    with pytest.raises(RemoteError) as e:
        client.set_slot("x", 1, object_id="0" * 32)
    assert e.value.code == P.NOT_FOUND
    assert client.inspect(name="Object") == before


def test_an_image_setting_set_over_the_bridge_is_checked_and_converted(client):
    before = client.inspect(name="Config")
    with pytest.raises(RemoteError) as e:
        client.set_slot("kernel_max_attempts", 0, name="Config")
    assert e.value.code == P.BAD_REQUEST
    assert "Config.kernel_max_attempts=0: must be at least 1" in e.value.remote_message
    assert client.inspect(name="Config") == before
    client.set_slot("kernel_max_attempts", "2", name="Config")      # text from an editor
    slot = next(s for s in client.inspect(name="Config").slots if s.name == "kernel_max_attempts")
    assert (slot.value, slot.value_type) == (2, "int")              # stored as the setting's type
    client.set_slot("kernel_max_attempts", 3, name="Config")


def test_define_method_then_send_message(client):
    src = "def triple(self, n, plus=0):\n    return n * 3 + plus\n"
    ack = client.define_method(src, name="Object", note="teach triple")
    assert ack.thought_id
    method = next(m for m in ack.object.methods if m.selector == "triple")
    assert method.source == src
    from telos.bridge.authz import LOCAL
    assert method.provenance.get("author") == LOCAL.author     # the ipc peer: the local user
    assert method.provenance.get("via") == "DEFINE_METHOD"
    res = client.send_message("triple", 14, name="Object", plus=1).result()
    assert isinstance(res, P.SendResult)
    assert res.value == 43 and res.value_type == "int" and res.generated is False
    view = client.inspect(name="Object")
    assert any(s.name == "triple" and s.kind == "method" for s in view.slots)


def test_send_message_failures_are_reported_and_abort(client):
    client.define_method("def boom(self):\n    self.boomed = True\n    raise ValueError('nope')\n",
                         name="Object")
    with pytest.raises(RemoteError) as e:
        client.send_message("boom", name="Object").result()
    assert e.value.code == P.EVALUATION_FAILED and "nope" in str(e.value)
    assert not any(s.name == "boomed" for s in client.inspect(name="Object").slots)
    client.set_slot("kernel_enabled", False, name="Config")    # the switch to opt out
    try:
        with pytest.raises(RemoteError) as e:
            client.send_message("neverDefined", name="Object").result()
        assert e.value.code == P.NOT_FOUND
    finally:
        client.set_slot("kernel_enabled", True, name="Config")
    with pytest.raises(RemoteError) as e:
        client.define_method("def broken(self:\n  pass", name="Object")
    assert e.value.code == P.BAD_REQUEST


def test_user_query_streams_in_order(client):
    call = client.ask("alpha 25 0", persona="BRICK")
    tokens, seqs = [], []
    for part in call:
        assert part.request_id == call.request_id and part.persona_id == "BRICK"
        tokens.append(part.token)
        seqs.append(part.seq)
    assert tokens == expected("alpha", 25)
    assert seqs == list(range(25))
    assert call.final.full_text == "".join(expected("alpha", 25))


def test_remember_and_search_memory(client):
    ack = client.remember("the lighthouse keeper feeds three grey cats", source="test")
    assert ack.of == "REMEMBER" and ack.record_id is not None and ack.thought_id
    client.remember("quarterly tax forms are due in april", source="test")
    hits = client.search("who feeds the cats?", k=2).hits
    assert hits and "cats" in hits[0].text


def test_health_and_metrics_on_loopback(client, service):
    info = service.info()
    assert info["health"].startswith("http://127.0.0.1:")
    with urllib.request.urlopen(info["health"], timeout=5) as r:
        body = json.loads(r.read())
    assert body["ok"] is True and body["state"] == "serving" and body["pid"] == service.pid
    client.ping()
    with urllib.request.urlopen(info["metrics"], timeout=5) as r:
        text = r.read().decode()
    assert 'telos_bridge_requests_total{command="PING"}' in text
    assert "telos_commits_total" in text


def test_garbage_gets_error_naming_the_request(client):
    client.send_raw(b'{"command": "NOPE", "request_id": "junk-1"}')
    msg = client.events.get(timeout=10)
    while not isinstance(msg, P.Error):
        msg = client.events.get(timeout=10)
    assert msg.request_id == "junk-1" and msg.code == P.UNKNOWN_COMMAND
    assert client.ping().command == "PONG"


def test_running_service_finds_it_or_says_none(service, tmp_path, monkeypatch):
    from telos.bridge.client import running_service
    monkeypatch.setenv("TELOS_BRIDGE", service.endpoint)
    c = running_service()
    assert c is not None
    try:
        assert c.status().pid == service.pid
    finally:
        c.close()
    monkeypatch.setenv("TELOS_BRIDGE", f"ipc://{tmp_path}/nobody.sock")
    assert running_service(timeout=0.2) is None


def test_the_past_over_the_bridge_thoughts_history_diff_inspect_as_of_and_undo(client):
    client.set_slot("colour", "red", name="Object", note="paint red")
    red = client.thoughts(1)[0]
    client.set_slot("colour", "blue", name="Object", note="paint blue")
    blue = client.thoughts(1)[0]
    assert (red.note, blue.note) == ("paint red", "paint blue") and blue.author_kind == "person"
    mine = client.thoughts(5, name="Object")
    assert [t.thought_id for t in mine[:2]] == [blue.thought_id, red.thought_id]
    revs = client.history(name="Object", limit=2)
    assert [{s.name: s.value for s in r.object.slots}["colour"] for r in revs] == ["blue", "red"]
    diff = client.diff(red.thought_id, name="Object")
    (change,) = [c for c in diff.changes if c.slot == "colour"]
    assert (change.before, change.after, change.thought.thought_id) == ("'red'", "'blue'", blue.thought_id)
    past = client.inspect(name="Object", as_of=red.thought_id)
    assert {s.name: s.value for s in past.slots}["colour"] == "red"
    with pytest.raises(RemoteError) as e:
        client.undo(red.thought_id)                      # 'paint blue' changed Object after it
    assert e.value.code == P.CONFLICT and "undo the later thoughts first" in str(e.value)
    ack = client.undo(blue.thought_id)
    assert ack.thought_id and client.thoughts(1)[0].thought_id == ack.thought_id
    assert {s.name: s.value for s in client.inspect(name="Object").slots}["colour"] == "red"


def test_search_modes_filters_and_as_of_over_the_bridge(client):
    ack = client.remember("the lantern hangs by the north door", source="porch")
    then = ack.thought_id
    client.remember("the lantern oil is in the shed", source="shed")
    assert {h.text for h in client.search("lantern", k=5, mode="lexical", source="porch").hits} == \
        {"the lantern hangs by the north door"}
    past = client.search("lantern", k=5, mode="lexical", as_of=then).hits
    assert "the lantern oil is in the shed" not in {h.text for h in past}
    assert "the lantern hangs by the north door" in {h.text for h in past}
    with pytest.raises(RemoteError) as e:               # 1970: before the image existed
        client.search("lantern", as_of=1.0)
    assert e.value.code == P.BAD_REQUEST and "did not exist yet" in str(e.value)


def test_committed_thoughts_are_pushed_to_every_client(client, zeo_module):
    import queue
    import time

    from telos import open_image
    while True:                                            # drain what came before
        try:
            client.events.get_nowait()
        except queue.Empty:
            break
    ack = client.set_slot("mood", "calm", name="Object", note="over the bridge")
    other = open_image(zeo=zeo_module)                     # another writer: the shell, say
    try:
        with other.thought("from another process", user="shell-user"):
            other.prototypes["Object"].weather = "rain"
        theirs = other.last_thought
    finally:
        other.close()
    pushed: dict[str, P.ThoughtView] = {}
    deadline = time.monotonic() + 30
    while not {ack.thought_id, theirs} <= set(pushed) and time.monotonic() < deadline:
        try:
            ev = client.events.get(timeout=1)
        except queue.Empty:
            continue
        if getattr(ev, "command", None) == "THOUGHTS_COMMITTED":
            assert ev.request_id is None
            pushed.update((t.thought_id, t) for t in ev.thoughts)
    assert pushed[ack.thought_id].note == "over the bridge"
    assert pushed[theirs].author == "shell-user" and pushed[theirs].note == "from another process"
