"""Frames ↔ messages: :func:`encode`, :func:`decode` (with :func:`decode_request`) and
:func:`error_reply`. Every failure is a :class:`telos.errors.ProtocolError` whose ``code`` is one
of the protocol's error codes and whose ``request_id`` names the request when the frame still
shows it, so the service can answer a bad frame and go on serving.
"""

from __future__ import annotations

import json
import re

from pydantic import TypeAdapter, ValidationError

from telos.bridge.messages import (BAD_JSON, ERROR_CODES, INTERNAL, INVALID_MESSAGE, MAX_FRAME_BYTES,
                                   MAX_SHORT, NOT_A_REQUEST, PROTOCOL_VERSION, REQUEST_COMMANDS,
                                   TOO_LARGE, UNKNOWN_COMMAND, UNSUPPORTED_PROTOCOL, _REQUEST_ID_RE,
                                   Error, Message, _Message, _Request)
from telos.errors import ProtocolError

_ADAPTER: TypeAdapter = TypeAdapter(Message)


def encode(message: _Message) -> bytes:
    """One message → one frame (UTF-8 JSON). Raises ProtocolError when it is not a message or too large."""
    if not isinstance(message, _Message):
        raise ProtocolError(f"not a bridge message: {type(message).__name__}", code=INVALID_MESSAGE)
    data = message.model_dump_json().encode("utf-8")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError(f"{message.command} encodes to {len(data)} bytes, over the "
                            f"{MAX_FRAME_BYTES}-byte limit", code=TOO_LARGE,
                            request_id=getattr(message, "request_id", None),
                            hint="send less text per message")
    return data


def decode(frame: bytes | bytearray | memoryview | str) -> _Message:
    """One frame → the message it holds. Raises ProtocolError (with ``code`` and, when it can be
    recovered from the frame, ``request_id``) for anything that is not a valid message."""
    if isinstance(frame, str):
        frame = frame.encode("utf-8", "surrogatepass")
    data = bytes(frame)
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {len(data)} bytes is over the {MAX_FRAME_BYTES}-byte limit",
                            code=TOO_LARGE, request_id=_sniff_request_id(data[:4096]),
                            hint="send less text per message")
    try:
        return _ADAPTER.validate_json(data)
    except ValidationError as exc:
        raise _explain(exc, data) from exc
    except (ValueError, RecursionError) as exc:   # pragma: no cover - pydantic wraps these
        raise ProtocolError(f"frame is not valid JSON: {exc}", code=BAD_JSON) from exc


def decode_request(frame: bytes) -> _Request:
    """Like :func:`decode`, but a reply kind is refused with ``not_a_request``."""
    message = decode(frame)
    if message.command not in REQUEST_COMMANDS:
        raise ProtocolError(f"{message.command} is a reply, not a request", code=NOT_A_REQUEST,
                            request_id=getattr(message, "request_id", None),
                            hint=f"requests are: {', '.join(sorted(REQUEST_COMMANDS))}")
    return message  # type: ignore[return-value]


def error_reply(request_id: str | None, code: str, message: str, hint: str = "") -> Error:
    """An ERROR message; the text is cut to the protocol's bounds, an unusable id becomes None."""
    if request_id is not None and not _REQUEST_ID_RE.match(request_id):
        request_id = None
    if code not in ERROR_CODES:
        code = INTERNAL
    return Error(request_id=request_id, code=code, message=_cut(message), hint=_cut(hint))


def _cut(text: str, limit: int = MAX_SHORT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sniff_request_id(data: bytes) -> str | None:
    """Best effort: the ``request_id`` of a frame that failed validation, so the ERROR names it."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        match = re.search(rb'"request_id"\s*:\s*"([A-Za-z0-9_.:\-]{1,64})"', data)
        return match.group(1).decode() if match else None
    if isinstance(obj, dict):
        rid = obj.get("request_id")
        if isinstance(rid, str) and _REQUEST_ID_RE.match(rid):
            return rid
    return None


def _explain(exc: ValidationError, data: bytes) -> ProtocolError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0] if errors else {"type": "", "loc": (), "msg": str(exc)}
    kind = first.get("type", "")
    if kind == "json_invalid" or kind == "recursion_loop":
        return ProtocolError(f"frame is not valid JSON: {first.get('msg', '')}", code=BAD_JSON,
                             request_id=_sniff_request_id(data[:65536]),
                             hint="send one UTF-8 JSON object per frame")
    rid = _sniff_request_id(data)
    if kind == "union_tag_not_found":
        return ProtocolError("message has no 'command' field", code=INVALID_MESSAGE, request_id=rid,
                             hint="every message is a JSON object with a 'command' field")
    if kind == "union_tag_invalid":
        return ProtocolError("unknown command", code=UNKNOWN_COMMAND, request_id=rid,
                             hint=f"requests are: {', '.join(sorted(REQUEST_COMMANDS))}")
    if kind == "model_attributes_type" or kind == "dict_type" or kind == "model_type":
        return ProtocolError("a message must be a JSON object", code=INVALID_MESSAGE, request_id=rid,
                             hint="send one UTF-8 JSON object per frame")
    for err in errors:
        if len(err.get("loc", ())) >= 2 and err["loc"][1] == "protocol":
            return ProtocolError(f"protocol version not supported (this service speaks "
                                 f"{PROTOCOL_VERSION})", code=UNSUPPORTED_PROTOCOL, request_id=rid,
                                 hint="upgrade the client or the service")
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "(message)"
        parts.append(f"{where}: {err.get('msg', '')}")
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return ProtocolError("invalid message: " + "; ".join(parts) + more, code=INVALID_MESSAGE,
                         request_id=rid, hint="see telos/bridge/protocol.py for the fields")
