"""telos/bridge/protocol.py is the one import point: it re-exports every public name of
base, objects, history_messages, messages and codec (the models and codes: test_messages.py; frames: test_codec.py)."""

from __future__ import annotations

from types import ModuleType

import pytest

from telos.bridge import base, codec, history_messages, messages, objects, protocol


def _own_public_names(module) -> set[str]:
    """Public names defined in ``module`` (constants have no __module__ and count as its own)."""
    return {n for n, v in vars(module).items()
            if not n.startswith("_") and not isinstance(v, ModuleType)
            and getattr(v, "__module__", module.__name__) == module.__name__}


@pytest.mark.parametrize("module, sample", [
    (base, {"ERROR_CODES", "new_request_id", "READ_COMMANDS"}),
    (objects, {"ObjectView", "SlotView"}),
    (history_messages, {"ListThoughts", "ObjectDiff", "ThoughtView"}),
    (messages, {"Ping", "SearchMemory", "COMMANDS"}),
    (codec, {"encode", "decode", "error_reply"})],
    ids=["base", "objects", "history_messages", "messages", "codec"])
def test_protocol_re_exports_every_public_name(module, sample):
    names = _own_public_names(module)
    assert sample <= names
    missing = sorted(n for n in names if getattr(protocol, n, None) is not getattr(module, n))
    assert missing == []


def test_constants_are_re_exported_by_identity():
    for name in ("PROTOCOL_VERSION", "MAX_FRAME_BYTES", "ERROR_CODES", "COMMANDS",
                 "REQUEST_COMMANDS", "FINAL_REPLIES", "READ_COMMANDS"):
        assert getattr(protocol, name) is getattr(messages, name)
