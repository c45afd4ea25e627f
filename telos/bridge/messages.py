"""The bridge's messages: every message as a frozen, strict Pydantic v2 model, joined in one
union discriminated on ``command``; the constants (version, bounds, error codes, capabilities) and
base classes come from :mod:`telos.bridge.base`, the object views from
:mod:`telos.bridge.objects`, the image's past from :mod:`telos.bridge.history_messages`; all are
re-exported here.

The contract as a whole (wire format, which reply answers which request) is written down in
:mod:`telos.bridge.protocol`, the module to import; frames are read and written by
:mod:`telos.bridge.codec`.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from telos.bridge.base import *  # noqa: F401,F403 -- the constants and bases, re-exported
from telos.bridge.base import (MAX_ID, MAX_ITEMS, MAX_LONG_TEXT, MAX_NAME, MAX_SHORT, MAX_TEXT,  # noqa: F401
                               ErrorCode, Name, RequestId, Short, Source, Text, When, _REQUEST_ID_RE,
                               _Message, _Request, _Targeted)
from telos.bridge.history_messages import (AuthorKind, DiffObject, HistoryList, ListThoughts,  # noqa: F401
                                           ObjectDiff, ObjectHistory, RevisionView, SlotChange,
                                           ThoughtList, ThoughtsCommitted, ThoughtView,
                                           UndoThought)
from telos.bridge.objects import MethodView, ObjectView, ParentView, SlotView  # noqa: F401
from telos.bridge.view_messages import (MAP_PAGE_MAX, ConceptLabel, KernelEvent,  # noqa: F401
                                        KernelEventList, KernelEvents, MemoryMap, MemoryPoint,
                                        MemoryPoints)


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
    as_of: When | None = None            # the object as it was then (read-only); None: now


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
    mode: Literal["hybrid", "vector", "lexical"] | None = None   # None: the image's setting
    source: Name | None = None           # only records remembered with this source
    since: float | None = None           # only records remembered in this window (unix time)
    until: float | None = None
    as_of: When | None = None            # what the image remembered then (image.at(as_of))


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


class ListBackups(_Request):
    command: Literal["LIST_BACKUPS"] = "LIST_BACKUPS"


class RunBackup(_Request):
    """Make a backup set now (REQUEST_PROGRESS while it runs, then BACKUP_DONE)."""
    command: Literal["RUN_BACKUP"] = "RUN_BACKUP"
    full: bool | None = None             # None: as the BackupManager's policy says


class VerifyBackup(_Request):
    """Check every set (MAC, hash chain, sha256, repozo -V) and restore-drill some of them."""
    command: Literal["VERIFY_BACKUP"] = "VERIFY_BACKUP"
    drill: Literal["newest", "chains", "all", "none"] = "newest"


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
    clients: int = 0                     # bridge connections heard from in the last minute
    database: Short = ""                 # "ok", or why the database does not answer


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
    # every tier that found it ("L1", "L2", "lexical")
    tiers: Annotated[list[Short], Field(max_length=8)] = []


class SearchResults(_Message):
    command: Literal["SEARCH_RESULTS"] = "SEARCH_RESULTS"
    request_id: RequestId
    hits: Annotated[list[MemoryHit], Field(max_length=100)]


class BackupSetView(BaseModel):
    """One backup set as LIST_BACKUPS shows it (``telos.backup.layout.SetRef``)."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    ident: Short                         # "<chain>/<stamp>"
    seq: int | None = None
    time: float | None = None            # unix time of the image state it holds (its tid)
    kind: Name = "?"                     # full | incremental
    size: Annotated[int, Field(ge=0)] = 0     # bytes of its files in the destination
    encrypted: bool = False
    objects: int | None = None
    state: Literal["ok", "broken", "other_key"] = "ok"
    error: Short = ""                    # why it is broken / which key it needs
    verified: float | None = None        # unix time it was last verified (None: never)
    verified_how: Short = ""             # "restore drill" | "checksums" (+ ": FAILED …")
    verified_ok: bool | None = None
    restore_command: Short = ""          # what an operator runs to restore this set


class BackupList(_Message):
    command: Literal["BACKUP_LIST"] = "BACKUP_LIST"
    request_id: RequestId
    destination: Short
    sets: Annotated[list[BackupSetView], Field(max_length=MAX_ITEMS)] = []   # oldest first
    key_id: Short | None = None          # the current backup key's id
    warning: Short = ""                  # e.g. the newest set is older than the policy allows
    last_verify: Short = ""              # the last verification, for a person
    restore_help: Short = ""             # what restoring does and when it may run


class BackupDone(_Message):
    """The final reply to RUN_BACKUP and VERIFY_BACKUP."""
    command: Literal["BACKUP_DONE"] = "BACKUP_DONE"
    request_id: RequestId
    of: Literal["RUN_BACKUP", "VERIFY_BACKUP"]
    ok: bool
    summary: Short                       # one sentence
    lines: Annotated[list[Short], Field(max_length=256)] = []
    set: Short | None = None             # the set made (RUN_BACKUP; None: nothing changed)
    seconds: float = 0.0


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
                DefineMethod, SendMessage, SearchMemory, VsaQuery, Remember, Ping, ShutdownRequest,
                ListThoughts, ObjectHistory, DiffObject, UndoThought, ListBackups, RunBackup,
                VerifyBackup, MemoryMap, KernelEvents]
Reply = Union[PersonaResponsePartial, RequestProgress, PersonaResponseComplete, SystemStatusUpdate, PrototypeList,
              ObjectDescription, SendResult, SearchResults, VsaAnswer, Ack, Pong, Error,
              ThoughtList, ThoughtsCommitted, HistoryList, ObjectDiff, BackupList, BackupDone,
              MemoryPoints, KernelEvent, KernelEventList]
Message = Annotated[Union[Request, Reply], Field(discriminator="command")]

REQUEST_TYPES: tuple[type[_Request], ...] = Request.__args__  # type: ignore[attr-defined]
REPLY_TYPES: tuple[type[_Message], ...] = Reply.__args__      # type: ignore[attr-defined]
COMMANDS: dict[str, type[_Message]] = {
    t.model_fields["command"].default: t for t in REQUEST_TYPES + REPLY_TYPES}
REQUEST_COMMANDS = frozenset(t.model_fields["command"].default for t in REQUEST_TYPES)
FINAL_REPLIES = frozenset(c for c in COMMANDS if c not in REQUEST_COMMANDS
                          and c not in ("PERSONA_RESPONSE_PARTIAL", "REQUEST_PROGRESS"))
