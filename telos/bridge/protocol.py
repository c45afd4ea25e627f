"""The bridge contract: every message that crosses the ZeroMQ bridge, as Pydantic v2 models.

Wire format
-----------
One message = one ZeroMQ frame = one UTF-8 JSON object (never pickle). A client DEALER sends
exactly one frame per request; the service ROUTER sees ``[identity, frame]`` and answers on the
same identity only. Every message carries ``protocol`` (:data:`PROTOCOL_VERSION`) and
``command`` (the discriminator). Unknown keys are refused (``extra="forbid"``), types are strict
(``"1"`` is not an int), every string and list is bounded, and a frame may not exceed
:data:`MAX_FRAME_BYTES`.

Requests carry a client-chosen ``request_id``; every reply to it names the same ``request_id``.
A request gets exactly one *final* reply (see :data:`FINAL_REPLIES`); a ``USER_QUERY_REQUEST``
(and a ``SEND_MESSAGE`` that runs the generative kernel) may be preceded by any number of
``PERSONA_RESPONSE_PARTIAL`` frames numbered by ``seq``.

While a request is in flight and silent, the service sends ``REQUEST_PROGRESS`` for it about
once a second (:data:`PROGRESS_INTERVAL_S`): what it is waiting for (``queued`` with its place,
``converting``/``loading`` the model, ``generating``, ``working``). A client's timeout therefore
measures *silence*: a service that is alive and busy with the request never lets it expire, and a
dead or hung one is noticed within a few seconds. ``REQUEST_PROGRESS`` is never final.

===========================  =====================================  ============================
request (client → service)   final reply                            what it does
===========================  =====================================  ============================
USER_QUERY_REQUEST           PERSONA_RESPONSE_COMPLETE              ask a persona (streamed)
STATUS_REQUEST               SYSTEM_STATUS_UPDATE                   service / image state
LIST_PROTOTYPES              PROTOTYPE_LIST                         the name registry
INSPECT_OBJECT               OBJECT_DESCRIPTION                     slots, parents, methods
SET_SLOT                     ACK (with the new OBJECT view)         set a data slot (a thought)
DEFINE_METHOD                ACK (with the new OBJECT view)         define/edit a method (a thought)
SEND_MESSAGE                 SEND_RESULT                            evaluate ``obj.selector(*args)``
SEARCH_MEMORY                SEARCH_RESULTS                         layered memory search
REMEMBER                     ACK (``record_id``)                    store an episodic memory
PING                         PONG                                   application-level liveness
SHUTDOWN_REQUEST             ACK                                    ask the service to stop
===========================  =====================================  ============================

Any request may instead be answered by ``ERROR`` (``code`` from :data:`ERROR_CODES`, a
``message`` and a ``hint`` for the human). A client whose key is read-only may send only
:data:`READ_COMMANDS`; anything else is answered ``forbidden``. An ``ERROR`` answering a frame the service could not
read names the ``request_id`` when it could still be recovered from the frame, else ``null``.
The service may also push ``SYSTEM_STATUS_UPDATE`` with ``request_id = null``.

Use :func:`encode` / :func:`decode`; both raise :class:`telos.errors.ProtocolError` with a
``code`` suitable for an ``ERROR`` reply.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Annotated, Literal, Union

from pydantic import (BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError,
                      model_validator)

from telos.errors import ProtocolError

PROTOCOL_VERSION = 2               # 2: REQUEST_PROGRESS
PROGRESS_INTERVAL_S = 1.0          # how often a silent request in flight is reported
MAX_FRAME_BYTES = 1 * 2**20        # a valid message is never larger than this
SOCKET_MAX_MSG_BYTES = 4 * 2**20   # ZMQ_MAXMSGSIZE: beyond this ZeroMQ drops the peer itself

MAX_ID = 64
MAX_NAME = 200
MAX_SHORT = 2_000
MAX_TEXT = 64_000
MAX_SOURCE = 200_000
MAX_LONG_TEXT = 500_000
MAX_ITEMS = 10_000

# --- error codes -------------------------------------------------------------------------
BAD_FRAME = "bad_frame"                  # wrong number of frames / not UTF-8
BAD_JSON = "bad_json"                    # the frame is not JSON
INVALID_MESSAGE = "invalid_message"      # JSON, but not a valid message (types, bounds, keys)
UNKNOWN_COMMAND = "unknown_command"      # no such ``command``
UNSUPPORTED_PROTOCOL = "unsupported_protocol"
TOO_LARGE = "too_large"                  # frame larger than MAX_FRAME_BYTES
NOT_A_REQUEST = "not_a_request"          # a reply kind sent to the service
NOT_FOUND = "not_found"                  # no such object / slot / persona
BAD_REQUEST = "bad_request"              # valid message, but the image refuses it
CONFLICT = "conflict"                    # a ZODB write conflict that retries did not resolve
GENERATION_FAILED = "generation_failed"  # the generative kernel could not write the method
EVALUATION_FAILED = "evaluation_failed"  # the method ran and raised
UNAVAILABLE = "unavailable"              # the area (memory, kernel, LLM) is not available
BUSY = "busy"                            # too many requests in flight
SHUTTING_DOWN = "shutting_down"          # the service is stopping and accepts nothing new
TIMEOUT = "timeout"
INTERNAL = "internal"                    # a bug: the service logged the traceback
FORBIDDEN = "forbidden"                  # a read-only key asked for a write (see READ_COMMANDS)

ERROR_CODES = (BAD_FRAME, BAD_JSON, INVALID_MESSAGE, UNKNOWN_COMMAND, UNSUPPORTED_PROTOCOL,
               TOO_LARGE, NOT_A_REQUEST, NOT_FOUND, BAD_REQUEST, CONFLICT, GENERATION_FAILED,
               EVALUATION_FAILED, UNAVAILABLE, BUSY, SHUTTING_DOWN, TIMEOUT, INTERNAL, FORBIDDEN)
ErrorCode = Literal["bad_frame", "bad_json", "invalid_message", "unknown_command",
                    "unsupported_protocol", "too_large", "not_a_request", "not_found",
                    "bad_request", "conflict", "generation_failed", "evaluation_failed",
                    "unavailable", "busy", "shutting_down", "timeout", "internal", "forbidden"]

# --- capabilities ------------------------------------------------------------------------
# What a read-only client key may ask (telos.bridge.authz). Every other request changes the
# image, runs code or stops the service — USER_QUERY_REQUEST too: the answer is remembered as a
# memory of the turn — and needs a read-write key (else ERROR ``forbidden``).
READ_COMMANDS = frozenset({"PING", "STATUS_REQUEST", "LIST_PROTOTYPES", "INSPECT_OBJECT",
                           "SEARCH_MEMORY", "VSA_QUERY"})

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

RequestId = Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=_REQUEST_ID_RE.pattern)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Short = Annotated[str, Field(max_length=MAX_SHORT)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Source = Annotated[str, Field(min_length=1, max_length=MAX_SOURCE)]


def new_request_id() -> str:
    return uuid.uuid4().hex


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    protocol: Literal[2] = PROTOCOL_VERSION


class _Request(_Message):
    request_id: RequestId = Field(default_factory=new_request_id)


class _Targeted(_Request):
    """A request about one object: by registry ``name`` or by ``object_id`` (exactly one)."""

    name: Name | None = None
    object_id: Annotated[str, Field(min_length=1, max_length=MAX_ID)] | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self):
        if (self.name is None) == (self.object_id is None):
            raise ValueError("give exactly one of 'name' or 'object_id'")
        return self


# --- requests ----------------------------------------------------------------------------

class UserQueryRequest(_Request):
    command: Literal["USER_QUERY_REQUEST"] = "USER_QUERY_REQUEST"
    query_text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    persona: Name | None = None          # None: the orchestrator chooses
    max_tokens: Annotated[int, Field(ge=1, le=4096)] | None = None   # None: the backend's default
    timestamp: float = Field(default_factory=time.time)


class StatusRequest(_Request):
    command: Literal["STATUS_REQUEST"] = "STATUS_REQUEST"


class ListPrototypes(_Request):
    command: Literal["LIST_PROTOTYPES"] = "LIST_PROTOTYPES"


class InspectObject(_Targeted):
    command: Literal["INSPECT_OBJECT"] = "INSPECT_OBJECT"


class SetSlot(_Targeted):
    command: Literal["SET_SLOT"] = "SET_SLOT"
    slot: Name
    value: JsonValue                     # a JSON literal: null, bool, number, string, list, object
    note: Short = ""


class DefineMethod(_Targeted):
    command: Literal["DEFINE_METHOD"] = "DEFINE_METHOD"
    source: Source                       # ``def selector(self, ...): ...``
    selector: Name | None = None         # default: the name of the def in ``source``
    note: Short = ""


class SendMessage(_Targeted):
    command: Literal["SEND_MESSAGE"] = "SEND_MESSAGE"
    selector: Name
    args: Annotated[list[JsonValue], Field(max_length=64)] = []
    kwargs: Annotated[dict[str, JsonValue], Field(max_length=64)] = {}


class SearchMemory(_Request):
    command: Literal["SEARCH_MEMORY"] = "SEARCH_MEMORY"
    query: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    k: Annotated[int, Field(ge=1, le=100)] = 5


class VsaQuery(_Request):
    """A compositional hypervector query, e.g. "currency of the country whose capital is Paris"."""
    command: Literal["VSA_QUERY"] = "VSA_QUERY"
    query: Annotated[str, Field(min_length=1, max_length=MAX_SHORT)]


class Remember(_Request):
    command: Literal["REMEMBER"] = "REMEMBER"
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    source: Name = "bridge"


class Ping(_Request):
    command: Literal["PING"] = "PING"


class ShutdownRequest(_Request):
    command: Literal["SHUTDOWN_REQUEST"] = "SHUTDOWN_REQUEST"
    reason: Short = ""


# --- replies -----------------------------------------------------------------------------

class PersonaResponsePartial(_Message):
    command: Literal["PERSONA_RESPONSE_PARTIAL"] = "PERSONA_RESPONSE_PARTIAL"
    request_id: RequestId
    persona_id: Name
    token: Annotated[str, Field(max_length=MAX_SHORT * 4)]
    seq: Annotated[int, Field(ge=0)] = 0


class PersonaResponseComplete(_Message):
    command: Literal["PERSONA_RESPONSE_COMPLETE"] = "PERSONA_RESPONSE_COMPLETE"
    request_id: RequestId
    persona_id: Name
    full_text: Annotated[str, Field(max_length=MAX_LONG_TEXT)]
    thought_id: Short | None = None      # the committed thought that recorded the exchange


class RequestProgress(_Message):
    """Not final: the request is alive and this is what it waits for."""
    command: Literal["REQUEST_PROGRESS"] = "REQUEST_PROGRESS"
    request_id: RequestId
    stage: Name                          # queued | converting | loading | generating | working
    detail: Short = ""                   # one sentence for a person
    position: Annotated[int, Field(ge=1)] | None = None     # place in a queue (1 = next)
    fraction: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    elapsed: Annotated[float, Field(ge=0.0)] = 0.0          # seconds since the service got it


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: Name
    persona: Name | None = None
    backend: Name | None = None
    loaded: bool = False
    vram_mb: float = 0.0


class IndexState(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    state: Literal["absent", "idle", "rebuilding", "failed", "unknown"] = "unknown"
    detail: Short = ""
    last_rebuild: float | None = None


class AreaStatus(BaseModel):
    """One area's answer to the status board (``telos.area.AreaStats``)."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    state: Literal["idle", "busy", "failed", "absent", "unknown"] = "unknown"
    detail: Short = ""
    counts: Annotated[dict[Name, int], Field(max_length=64)] = {}
    last: float | None = None            # unix time the area's last work finished


class SystemStatusUpdate(_Message):
    command: Literal["SYSTEM_STATUS_UPDATE"] = "SYSTEM_STATUS_UPDATE"
    request_id: RequestId | None = None  # None: pushed by the service
    status_text: Short
    vram_usage: float = 0.0              # MiB held by loaded models (estimate)
    connection: Short = ""               # how the service reaches the image ("zeo:/…/zeo.sock")
    backend: Short = ""                  # LLM backend in use ("ollama", "embedded", "scripted", "")
    model_stage: Short = ""              # starting | converting | loading | ready | failed
    model_state: Short = ""              # "converting the embedded model: 40 %" (for a person)
    models: Annotated[list[ModelInfo], Field(max_length=256)] = []
    memory: Annotated[dict[Name, int], Field(max_length=64)] = {}   # tier -> record count
    index: IndexState = IndexState()
    last_backup: float | None = None     # unix time of the newest good backup
    areas: Annotated[dict[Name, AreaStatus], Field(max_length=64)] = {}   # every area's stats
    uptime: float = 0.0
    in_flight: int = 0
    pid: int | None = None


class PrototypeSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: Name
    object_id: Annotated[str, Field(max_length=MAX_ID)]
    parents: Annotated[list[Name], Field(max_length=256)] = []
    n_slots: int = 0
    n_methods: int = 0


class PrototypeList(_Message):
    command: Literal["PROTOTYPE_LIST"] = "PROTOTYPE_LIST"
    request_id: RequestId
    prototypes: Annotated[list[PrototypeSummary], Field(max_length=MAX_ITEMS)]


class SlotView(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: Name
    kind: Literal["data", "parent", "method"] = "data"
    value_type: Name = "NoneType"
    value_repr: Short = ""
    value: JsonValue = None              # the value itself when it is JSON-representable
    object_id: Annotated[str, Field(max_length=MAX_ID)] | None = None   # when it is an object


class ParentView(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    slot: Name
    object_id: Annotated[str, Field(max_length=MAX_ID)]
    name: Name | None = None


class MethodView(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    selector: Name
    source: Annotated[str, Field(max_length=MAX_SOURCE)]
    provenance: Annotated[dict[Name, JsonValue], Field(max_length=64)] = {}  # author/model/prompt/time


class ObjectView(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    object_id: Annotated[str, Field(max_length=MAX_ID)]
    name: Name | None = None
    type: Name = "UvmObject"
    slots: Annotated[list[SlotView], Field(max_length=MAX_ITEMS)] = []
    parents: Annotated[list[ParentView], Field(max_length=256)] = []
    methods: Annotated[list[MethodView], Field(max_length=MAX_ITEMS)] = []


class ObjectDescription(_Message):
    command: Literal["OBJECT_DESCRIPTION"] = "OBJECT_DESCRIPTION"
    request_id: RequestId
    object: ObjectView


class SendResult(_Message):
    command: Literal["SEND_RESULT"] = "SEND_RESULT"
    request_id: RequestId
    value: JsonValue = None              # the result when JSON-representable
    value_repr: Short = ""
    value_type: Name = "NoneType"
    object_id: Annotated[str, Field(max_length=MAX_ID)] | None = None
    generated: bool = False              # the generative kernel wrote the method for this send
    thought_id: Short | None = None


class VsaStep(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    op: Name                             # "probe", "unbind", "cleanup"
    detail: Short
    score: float | None = None


class VsaAnswer(_Message):
    command: Literal["VSA_ANSWER"] = "VSA_ANSWER"
    request_id: RequestId
    value: Short                         # the clean symbol the query resolved to
    kind: Name                           # "symbol" | "record" | "concept"
    score: float                         # FHRR similarity of the final cleanup
    steps: Annotated[list[VsaStep], Field(max_length=64)] = []


class MemoryHit(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    record_id: Annotated[str, Field(max_length=MAX_ID * 2)]
    text: Text
    score: float                         # the index distance: lower is closer
    tier: Short = ""
    source: Short = ""
    created: float | None = None


class SearchResults(_Message):
    command: Literal["SEARCH_RESULTS"] = "SEARCH_RESULTS"
    request_id: RequestId
    hits: Annotated[list[MemoryHit], Field(max_length=100)]


class Ack(_Message):
    command: Literal["ACK"] = "ACK"
    request_id: RequestId
    of: Name                             # the command acknowledged
    detail: Short = ""
    thought_id: Short | None = None
    record_id: Annotated[str, Field(max_length=MAX_ID * 2)] | None = None
    object: ObjectView | None = None


class Pong(_Message):
    command: Literal["PONG"] = "PONG"
    request_id: RequestId
    server_time: float = Field(default_factory=time.time)


class Error(_Message):
    command: Literal["ERROR"] = "ERROR"
    request_id: RequestId | None = None  # None only when the frame was unreadable
    code: ErrorCode
    message: Short
    hint: Short = ""


Request = Union[UserQueryRequest, StatusRequest, ListPrototypes, InspectObject, SetSlot,
                DefineMethod, SendMessage, SearchMemory, VsaQuery, Remember, Ping, ShutdownRequest]
Reply = Union[PersonaResponsePartial, RequestProgress, PersonaResponseComplete, SystemStatusUpdate, PrototypeList,
              ObjectDescription, SendResult, SearchResults, VsaAnswer, Ack, Pong, Error]
Message = Annotated[Union[Request, Reply], Field(discriminator="command")]

REQUEST_TYPES: tuple[type[_Request], ...] = Request.__args__  # type: ignore[attr-defined]
REPLY_TYPES: tuple[type[_Message], ...] = Reply.__args__      # type: ignore[attr-defined]
COMMANDS: dict[str, type[_Message]] = {
    t.model_fields["command"].default: t for t in REQUEST_TYPES + REPLY_TYPES}
REQUEST_COMMANDS = frozenset(t.model_fields["command"].default for t in REQUEST_TYPES)
FINAL_REPLIES = frozenset(c for c in COMMANDS if c not in REQUEST_COMMANDS
                          and c not in ("PERSONA_RESPONSE_PARTIAL", "REQUEST_PROGRESS"))

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
