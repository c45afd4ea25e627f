"""The bridge's constants (version, bounds, error codes, capabilities), its bounded string
types and the base classes of every message (:mod:`telos.bridge.messages` builds on them)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PROTOCOL_VERSION = 4               # 2: REQUEST_PROGRESS; 3: status areas, memory hit tiers;
                                   # 4: search mode/filters/as-of, thoughts, history, diff, undo;
                                   # backup requests, status clients/database
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
                           "SEARCH_MEMORY", "VSA_QUERY", "LIST_THOUGHTS", "OBJECT_HISTORY",
                           "DIFF_OBJECT", "LIST_BACKUPS", "MEMORY_MAP", "KERNEL_EVENTS"})

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

ThoughtId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]   # a committed thought's tid, hex
When = ThoughtId | float          # a point in the image's past: a thought, or unix time

RequestId = Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=_REQUEST_ID_RE.pattern)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Short = Annotated[str, Field(max_length=MAX_SHORT)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Source = Annotated[str, Field(min_length=1, max_length=MAX_SOURCE)]


def new_request_id() -> str:
    return uuid.uuid4().hex


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    protocol: Literal[4] = PROTOCOL_VERSION


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
