"""telos/errors.py: the one error tree, the fields callers read, and the messages people see."""

from __future__ import annotations

import errno
import re
import subprocess

import pytest

from telos import errors
from telos.errors import (
    AmbiguousSlotError, BackupDiskFullError, ConflictError, DiskFullError, GenerationError,
    MessageNotUnderstood, MethodBudgetExceeded, ProtocolError, RemoteError, RequestRefused,
    RestrictedAccess, SlotLookupError, SlotNotFound, TelosError, UndoError, UnknownSymbolError,
    is_disk_full,
)


def _drawn_tree() -> dict[str, str]:
    """Child name -> parent name, read from the tree drawn in the module docstring."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        m = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?(\w+)", line)
        if not m or not m.group(2).endswith(("Error", "Found", "Understood", "Unavailable",
                                             "Timeout", "Cancelled", "Exceeded", "Access",
                                             "Refused")):
            continue
        depth = len(m.group(1)) // 4 + (1 if "──" in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[m.group(2)] = stack[-1][1]
        stack.append((depth, m.group(2)))
    return parents


def _all_error_classes():
    return [obj for obj in vars(errors).values()
            if isinstance(obj, type) and issubclass(obj, BaseException)
            and obj.__module__ == errors.__name__]


def test_the_drawn_tree_names_every_class_and_matches_the_code():
    drawn = _drawn_tree()
    defined = {cls.__name__ for cls in _all_error_classes()} - {"TelosError"}
    assert set(drawn) == defined
    for child, parent in drawn.items():
        cls = getattr(errors, child)
        assert issubclass(cls, getattr(errors, parent)), f"{child} is drawn under {parent}"


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_has_the_one_root(cls):
    assert issubclass(cls, TelosError)


@pytest.mark.parametrize("name, builtin", [
    ("SlotLookupError", AttributeError), ("SlotError", ValueError),
    ("ConfigError", ValueError), ("VectorIndexError", ValueError),
    ("ReadOnlyIndexError", ValueError), ("RestrictedAccess", AttributeError),
    ("DimensionMismatchError", ValueError), ("UnknownSymbolError", KeyError),
    ("QueryError", ValueError), ("BackupDiskFullError", DiskFullError),
])
def test_builtin_bases_people_catch(name, builtin):
    assert issubclass(getattr(errors, name), builtin)


def test_slot_lookup_error_keeps_attribute_error_fields():
    receiver = object()
    err = SlotNotFound("no slot 'x'", receiver=receiver, selector="x")
    assert (err.receiver, err.selector) == (receiver, "x")
    assert (err.name, err.obj) == ("x", receiver)
    assert str(err) == "no slot 'x'"
    # getattr's default still works for a lookup that raises it
    class Obj:
        def __getattr__(self, name):
            raise SlotNotFound(f"no slot {name!r}", receiver=self, selector=name)
    assert getattr(Obj(), "missing", 42) == 42
    assert not hasattr(Obj(), "missing")


def test_message_not_understood_carries_the_send():
    send = ("greet", ("you",))
    err = MessageNotUnderstood("greet not understood", selector="greet", send=send)
    assert err.send is send and err.selector == "greet"
    assert isinstance(err, SlotNotFound)


def test_ambiguous_slot_error_keeps_holders_as_a_tuple():
    err = AmbiguousSlotError("two", selector="x", holders=iter(["a", "b"]))
    assert err.holders == ("a", "b")
    assert isinstance(err, SlotLookupError) and not isinstance(err, SlotNotFound)


def test_conflict_error_default_message_and_committed_tid():
    err = ConflictError()
    assert "retry" in str(err) and err.committed is None
    tid = b"\x00" * 7 + b"\x05"
    assert ConflictError("lost", committed=tid).committed == tid


def test_undo_error_names_the_thought():
    err = UndoError("cannot undo", thought_id="03e1")
    assert err.thought_id == "03e1" and str(err) == "cannot undo"
    assert UndoError("x").thought_id is None


def test_generation_error_names_step_and_reason():
    err = GenerationError("validate", "syntax error", selector="greet", attempts=3)
    assert (err.step, err.reason, err.selector, err.attempts) == (
        "validate", "syntax error", "greet", 3)
    assert str(err) == "generation failed at validate: syntax error"
    assert GenerationError("a", "b").attempts == 1


def test_method_budget_exceeded_message_with_and_without_detail():
    err = MethodBudgetExceeded("loop", "steps", 1000)
    assert (err.method, err.budget, err.limit) == ("loop", "steps", 1000)
    assert str(err) == "method 'loop' exceeded its steps budget (1000)"
    assert str(MethodBudgetExceeded("m", "depth", 5, "recursion")).endswith("(5): recursion")


def test_restricted_access_keeps_getattr_default():
    class Guard:
        def __getattr__(self, name):
            raise RestrictedAccess(name)
    assert getattr(Guard(), "_secret", None) is None


def test_protocol_error_defaults_and_fields():
    err = ProtocolError("bad frame")
    assert (err.code, err.request_id, err.hint) == ("invalid_message", None, "")
    err = ProtocolError("bad", code="too_large", request_id="r1", hint="smaller")
    assert (err.code, err.request_id, err.hint) == ("too_large", "r1", "smaller")


def test_remote_error_message_puts_code_first_and_hint_last():
    err = RemoteError("no such object", code="not_found", request_id="r9", hint="check the oid")
    assert str(err) == "[not_found] no such object — check the oid"
    assert (err.code, err.request_id, err.hint, err.remote_message) == (
        "not_found", "r9", "check the oid", "no such object")
    assert str(RemoteError("boom", code="internal")) == "[internal] boom"


def test_request_refused_defaults():
    err = RequestRefused("no")
    assert (err.code, err.hint) == ("bad_request", "")


def test_disk_full_error_names_the_path_and_what_is_intact(tmp_path):
    err = DiskFullError(tmp_path / "Data.fs")
    assert err.path == tmp_path / "Data.fs"
    assert str(err) == f"disk full writing {tmp_path / 'Data.fs'}; the image is intact; " \
                       "free space and retry"
    assert "the old set is kept" in str(DiskFullError("x", intact="the old set is kept"))


def test_backup_disk_full_is_both_a_backup_and_a_disk_full_error():
    err = BackupDiskFullError("/backups/set", intact="no partial set is left")
    assert isinstance(err, errors.BackupError) and isinstance(err, DiskFullError)
    assert err.path == "/backups/set"


@pytest.mark.parametrize("exc, expected", [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (subprocess.CalledProcessError(1, "repozo", output="IOError: No space left on device"), True),
    (subprocess.CalledProcessError(1, "repozo", output="Disk quota exceeded\n"), True),
    (subprocess.CalledProcessError(1, "repozo", output="some other failure"), False),
    (subprocess.CalledProcessError(1, "repozo", output=None), False),
    (ValueError("No space left on device"), False),
])
def test_is_disk_full(exc, expected):
    assert is_disk_full(exc) is expected


def test_unknown_symbol_error_str_is_not_a_key_error_repr():
    err = UnknownSymbolError("zebra")
    assert err.name == "zebra"
    assert str(err) == "unknown symbol 'zebra'"
    with pytest.raises(KeyError):
        raise err
