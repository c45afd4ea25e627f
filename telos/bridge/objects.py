"""How an object of the image looks on the wire: its slots, parents and methods."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from telos.bridge.base import MAX_ID, MAX_ITEMS, MAX_SOURCE, Name, Short


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
