"""The image's past on the wire (protocol 4): the thoughts timeline, an object's revisions, a
per-slot diff between two thoughts, and undo. As-of reads are the ``as_of`` field of
``INSPECT_OBJECT`` and ``SEARCH_MEMORY`` (:mod:`telos.bridge.messages`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from telos.bridge.base import (Name, RequestId, Short, Text, ThoughtId, _Message,
                               _Request, _Targeted)
from telos.bridge.objects import ObjectView

AuthorKind = Literal["person", "persona", "kernel", "job"]


class ListThoughts(_Request):
    """Recent thoughts, newest first; only those that changed one object when ``name`` or
    ``object_id`` is given, only those whose author contains ``author`` when given, only those
    older than ``before`` when given (page with the last id of the previous answer)."""
    command: Literal["LIST_THOUGHTS"] = "LIST_THOUGHTS"
    limit: Annotated[int, Field(ge=1, le=10_000)] = 50
    name: Name | None = None
    object_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    author: Name | None = None
    before: ThoughtId | None = None      # only thoughts older than this one: the next page


class ObjectHistory(_Targeted):
    command: Literal["OBJECT_HISTORY"] = "OBJECT_HISTORY"
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class DiffObject(_Targeted):
    """What changed in one object from thought ``before`` to thought ``after`` (None: now)."""
    command: Literal["DIFF_OBJECT"] = "DIFF_OBJECT"
    before: ThoughtId
    after: ThoughtId | None = None


class UndoThought(_Request):
    command: Literal["UNDO_THOUGHT"] = "UNDO_THOUGHT"
    thought_id: ThoughtId
    note: Short = ""


class ThoughtView(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    thought_id: ThoughtId
    time: float                          # unix time of the commit
    author: Short                        # the thought's user: a person, or kernel/orchestrator/...
    author_kind: AuthorKind = "person"
    note: Short = ""


class ThoughtList(_Message):
    command: Literal["THOUGHT_LIST"] = "THOUGHT_LIST"
    request_id: RequestId
    thoughts: Annotated[list[ThoughtView], Field(max_length=10_000)]


class ThoughtsCommitted(_Message):
    """Pushed by the service (``request_id`` null) when thoughts commit -- any writer's, seen
    through the storage -- newest first: the timeline's live feed."""
    command: Literal["THOUGHTS_COMMITTED"] = "THOUGHTS_COMMITTED"
    request_id: RequestId | None = None
    thoughts: Annotated[list[ThoughtView], Field(max_length=200)]


class RevisionView(BaseModel):
    """The object as one thought left it."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    thought: ThoughtView
    object: ObjectView


class HistoryList(_Message):
    command: Literal["HISTORY_LIST"] = "HISTORY_LIST"
    request_id: RequestId
    revisions: Annotated[list[RevisionView], Field(max_length=500)]


class SlotChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    slot: Name
    kind: Literal["data", "parent", "method"]
    change: Literal["added", "removed", "changed"]
    before: Short = ""                   # the value's repr, a method's first line, a parent's label
    after: Short = ""
    diff: Text = ""                      # a unified diff of a method's source
    thought: ThoughtView | None = None   # the last thought in (before, after] that changed it
    provenance: Annotated[dict[Name, JsonValue], Field(max_length=64)] = {}   # a method's, after


class ObjectDiff(_Message):
    command: Literal["OBJECT_DIFF"] = "OBJECT_DIFF"
    request_id: RequestId
    object_id: Annotated[str, Field(max_length=64)]
    before: ThoughtId
    after: ThoughtId | None = None
    changes: Annotated[list[SlotChange], Field(max_length=10_000)]


__all__ = ["AuthorKind", "ListThoughts", "ObjectHistory", "DiffObject", "UndoThought",
           "ThoughtView", "ThoughtList", "ThoughtsCommitted", "RevisionView", "HistoryList", "SlotChange", "ObjectDiff"]
