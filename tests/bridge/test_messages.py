"""telos/bridge/messages.py: the constants agree with each other and the models are strict,
frozen and bounded."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import ValidationError

from telos.bridge import messages as M


def test_error_codes_and_the_error_code_literal_agree():
    assert set(M.ERROR_CODES) == set(typing.get_args(M.ErrorCode))
    assert len(M.ERROR_CODES) == len(set(M.ERROR_CODES))


def test_commands_split_into_requests_and_replies():
    assert set(M.COMMANDS) == M.REQUEST_COMMANDS | {t.model_fields["command"].default
                                                     for t in M.REPLY_TYPES}
    assert not M.REQUEST_COMMANDS & M.FINAL_REPLIES
    assert "PERSONA_RESPONSE_PARTIAL" not in M.FINAL_REPLIES
    assert "REQUEST_PROGRESS" not in M.FINAL_REPLIES
    assert {"PONG", "ACK", "ERROR", "SEND_RESULT"} <= M.FINAL_REPLIES
    for command, cls in M.COMMANDS.items():
        assert cls.model_fields["command"].default == command


def test_read_commands_are_requests_and_never_change_the_image():
    assert M.READ_COMMANDS <= M.REQUEST_COMMANDS
    for write in ("SET_SLOT", "DEFINE_METHOD", "SEND_MESSAGE", "REMEMBER", "SHUTDOWN_REQUEST",
                  "USER_QUERY_REQUEST", "RUN_BACKUP", "VERIFY_BACKUP"):
        assert write not in M.READ_COMMANDS
    assert "LIST_BACKUPS" in M.READ_COMMANDS          # listing the sets changes nothing


def test_every_request_type_has_a_request_id_and_every_message_the_protocol():
    for cls in M.REQUEST_TYPES:
        assert "request_id" in cls.model_fields
    for cls in M.COMMANDS.values():
        assert cls.model_fields["protocol"].default == M.PROTOCOL_VERSION


def test_frame_limits_leave_room_for_zeromq():
    assert M.MAX_FRAME_BYTES < M.SOCKET_MAX_MSG_BYTES
    assert M.MAX_SHORT < M.MAX_TEXT < M.MAX_SOURCE < M.MAX_LONG_TEXT


def test_new_request_ids_are_unique_and_valid():
    ids = {M.new_request_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(M._REQUEST_ID_RE.match(i) for i in ids)


@pytest.mark.parametrize("rid, ok", [
    ("a", True), ("A-b_c.d:e", True), ("x" * M.MAX_ID, True),
    ("", False), ("x" * (M.MAX_ID + 1), False), ("has space", False), ("é", False),
])
def test_request_id_pattern(rid, ok):
    assert bool(M._REQUEST_ID_RE.match(rid)) is ok
    if ok:
        assert M.Ping(request_id=rid).request_id == rid
    else:
        with pytest.raises(ValidationError):
            M.Ping(request_id=rid)


@pytest.mark.parametrize("cls", [M.InspectObject, M.SetSlot, M.DefineMethod, M.SendMessage])
def test_a_targeted_request_names_exactly_one_object(cls):
    extra = {M.SetSlot: {"slot": "x", "value": 1},
             M.DefineMethod: {"source": "def f(self):\n    pass\n"},
             M.SendMessage: {"selector": "f"}}.get(cls, {})
    assert cls(name="Point", **extra).name == "Point"
    assert cls(object_id="ab" * 16, **extra).object_id == "ab" * 16
    for target in ({}, {"name": "Point", "object_id": "ab"}):
        with pytest.raises(ValidationError, match="exactly one of 'name' or 'object_id'"):
            cls(**target, **extra)


def test_messages_are_strict_frozen_and_refuse_unknown_fields():
    with pytest.raises(ValidationError):
        M.SearchMemory(query="x", k="3")                 # strict: "3" is not an int
    with pytest.raises(ValidationError):
        M.Ping(unknown=1)
    ping = M.Ping()
    with pytest.raises(ValidationError):
        ping.request_id = "other"


@pytest.mark.parametrize("make", [
    lambda: M.SearchMemory(query="x", k=0),
    lambda: M.SearchMemory(query="x", k=101),
    lambda: M.SearchMemory(query=""),
    lambda: M.UserQueryRequest(query_text="q", max_tokens=0),
    lambda: M.UserQueryRequest(query_text="q", max_tokens=4097),
    lambda: M.Remember(text="x" * (M.MAX_TEXT + 1)),
    lambda: M.VsaQuery(query="x" * (M.MAX_SHORT + 1)),
    lambda: M.DefineMethod(name="P", source=""),
    lambda: M.SendMessage(name="P", selector="f", args=list(range(65))),
    lambda: M.ShutdownRequest(reason="r" * (M.MAX_SHORT + 1)),
    lambda: M.Error(code="no_such_code", message="m"),
])
def test_bounds_are_enforced(make):
    with pytest.raises(ValidationError):
        make()


def test_defaults():
    assert M.SearchMemory(query="x").k == 5
    assert M.Remember(text="t").source == "bridge"
    assert M.Error(code="busy", message="m").request_id is None
    q = M.UserQueryRequest(query_text="q")
    assert q.persona is None and q.max_tokens is None and isinstance(q.timestamp, float)


def test_command_names_are_upper_snake_case():
    assert all(re.fullmatch(r"[A-Z]+(_[A-Z]+)*", c) for c in M.COMMANDS)


def test_backup_messages_round_trip_and_refuse_what_they_do_not_know():
    from telos.bridge import codec
    done = M.BackupDone(request_id="b1", of="RUN_BACKUP", ok=True, summary="full backup #1",
                        set="20260101-000000/20260101-000000")
    assert codec.decode(codec.encode(done)) == done
    assert "BACKUP_DONE" in M.FINAL_REPLIES and "BACKUP_LIST" in M.FINAL_REPLIES
    assert M.RunBackup().full is None                  # the policy decides unless asked
    with pytest.raises(ValidationError):
        M.VerifyBackup(drill="everything")
    with pytest.raises(ValidationError):
        M.BackupSetView(ident="x", state="fine")
    with pytest.raises(ValidationError):
        M.BackupSetView(ident="x", size=-1)
    old = M.SystemStatusUpdate(status_text="ready")    # the fields protocol 4 added have defaults
    assert (old.clients, old.database) == (0, "")
