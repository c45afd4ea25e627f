"""Two views of the image at work, on the wire (protocol 4, added with defaults so nothing older
breaks): the memory map and the generative kernel's steps.

``MEMORY_MAP`` (a read) -> ``MEMORY_POINTS``: every memory as a point of a 2-D projection of its
embedding (PCA computed in the service, :mod:`telos.memory.projection`), with its tier (L1/L2),
the ConceptFractal that abstracts it (``cluster``) and the start of its text; the concepts with
their definition and where their points are. Paged (``offset``/``limit``, ``next_offset``) so a
page stays far below the frame bound; ``after_id`` asks only for records newer than those a client
has. ``basis`` names the projection: a client that sees it change mid-way asks again from 0.

``KERNEL_EVENT`` is pushed (``request_id`` null) to every client for each step of a cognitive
cycle the service runs (a ``SEND_MESSAGE`` nobody's method answered): the request, the persona
and model writing, the code so far while it streams, then extract / policy / trial / install /
commit with the outcome and the seconds each took, and on refusal the reason in one sentence.
``KERNEL_EVENTS`` (a read) -> ``KERNEL_EVENT_LIST``: the recent ones the service keeps, so a
client that connects late sees them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from telos.bridge.base import MAX_ID, Name, RequestId, Short, Text, _Message, _Request

MAP_PAGE_MAX = 1_000            # points per MEMORY_POINTS frame (< 750 KB of JSON, worst case)
POINT_TEXT = 100                # characters of a memory's text sent with its point
KERNEL_EVENTS_MAX = 500


class MemoryMap(_Request):
    command: Literal["MEMORY_MAP"] = "MEMORY_MAP"
    offset: Annotated[int, Field(ge=0)] = 0          # the first point of this page (id order)
    limit: Annotated[int, Field(ge=1, le=MAP_PAGE_MAX)] = MAP_PAGE_MAX
    after_id: Annotated[int, Field(ge=0)] = 0        # only records with a larger id


class MemoryPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    id: Annotated[int, Field(ge=0)]
    x: float
    y: float
    tier: Literal["L1", "L2"] = "L1"
    cluster: Annotated[int, Field(ge=0)] | None = None   # the ConceptFractal's id, if one links it
    text: Annotated[str, Field(max_length=POINT_TEXT + 1)] = ""


class ConceptLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    id: Annotated[int, Field(ge=0)]
    definition: Annotated[str, Field(max_length=240)]
    size: Annotated[int, Field(ge=0)] = 0            # how many of its contexts are on the map
    x: float = 0.0                                   # the centre of its points
    y: float = 0.0


class MemoryPoints(_Message):
    command: Literal["MEMORY_POINTS"] = "MEMORY_POINTS"
    request_id: RequestId
    points: Annotated[list[MemoryPoint], Field(max_length=MAP_PAGE_MAX)] = []
    concepts: Annotated[list[ConceptLabel], Field(max_length=500)] = []   # on the first page
    total: Annotated[int, Field(ge=0)] = 0           # points on the whole map (after after_id)
    next_offset: Annotated[int, Field(ge=0)] | None = None   # None: this was the last page
    basis: Short = ""                                # the projection's identity (refit -> new)
    fitted_on: Annotated[int, Field(ge=0)] = 0       # records the basis was fitted on
    explained: Annotated[list[float], Field(max_length=2)] = []   # variance ratio of x and y


KernelStep = Literal["request", "reuse", "generation", "extract", "policy", "trial", "rerank",
                     "install", "commit", "done", "refused"]


class KernelEvent(_Message):
    """One step of one cognitive cycle (pushed, or inside KERNEL_EVENT_LIST)."""
    command: Literal["KERNEL_EVENT"] = "KERNEL_EVENT"
    request_id: RequestId | None = None              # None: pushed by the service
    cycle: Annotated[str, Field(min_length=1, max_length=MAX_ID)]
    for_request: Annotated[str, Field(max_length=MAX_ID)] = ""   # the SEND_MESSAGE it serves
    request: Short = ""                              # "Gadget.tripled(2)"
    receiver: Short = ""
    selector: Name
    persona: Short = ""
    model: Short = ""
    step: KernelStep
    outcome: Literal["started", "streaming", "ok", "failed"] = "ok"
    attempt: Annotated[int, Field(ge=0)] = 0
    seconds: Annotated[float, Field(ge=0.0)] = 0.0
    code: Text = ""                                  # the code so far / the candidate checked
    reason: Short = ""                               # why it failed (one sentence)
    time: float = 0.0                                # unix time of the event


class KernelEvents(_Request):
    command: Literal["KERNEL_EVENTS"] = "KERNEL_EVENTS"
    limit: Annotated[int, Field(ge=1, le=KERNEL_EVENTS_MAX)] = 200


class KernelEventList(_Message):
    command: Literal["KERNEL_EVENT_LIST"] = "KERNEL_EVENT_LIST"
    request_id: RequestId
    events: Annotated[list[KernelEvent], Field(max_length=KERNEL_EVENTS_MAX)] = []   # oldest first


__all__ = ["MAP_PAGE_MAX", "POINT_TEXT", "KERNEL_EVENTS_MAX", "MemoryMap", "MemoryPoint",
           "ConceptLabel", "MemoryPoints", "KernelStep", "KernelEvent", "KernelEvents",
           "KernelEventList"]
