"""The Area protocol: what memory, the kernel, backups and VSA (and any plug-in) provide.

An *area* is a part of the image with its own prototypes and its own per-session facade
(``image.memory``, ``image.kernel``...). Every area is one object with six hooks, registered in
:mod:`telos.areas`; the image, genesis, the service's maintenance schedule, the status board
and backups call these hooks and nothing else (no method names guessed, no signatures
inspected)::

    awaken(image)               create the area's missing prototypes; idempotent; runs inside
                                the genesis thought (light imports: every process awakens)
    attach(image) -> facade     the per-session facade, exposed as ``image.<name>``
    maintain(image, status)     periodic work every ``maintain_every`` seconds (None: never);
                                ``status(desc, n, total)`` reports progress, always passed
    stats(image) -> AreaStats   one typed answer for the status board: state, detail, counts
    snapshot(image, dest)       files to capture beside the database for a backup, written
                                under ``dest``: ``{"tid": ..., "files": [...]}`` or None
    close(facade)               the session that attached ``facade`` closes (per-process
                                resources close with the store)

``maintain``, ``stats`` and ``snapshot`` get the session, not the facade: an area that has
nothing to do there answers without being attached (attaching VSA imports torch); one that
needs its facade takes it with ``image.area(self.name)`` (attached once per session).

Subclass :class:`Area` and override the hooks you need (the defaults do nothing); the built-in
areas override every hook, so each one's choice is written down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from telos.progress import StatusCallback

AreaState = Literal["idle", "busy", "failed", "absent", "unknown"]
HOOKS = ("awaken", "attach", "maintain", "stats", "snapshot", "close")


@dataclass(frozen=True)
class AreaStats:
    """What the status board shows of one area."""
    state: AreaState = "idle"       # busy: long work running (an index rebuild, a backup)
    detail: str = ""                # one line for a person
    counts: Mapping[str, int] = field(default_factory=dict)   # e.g. records, symbols
    last: float | None = None       # unix time the area's last work finished (rebuild, backup)


class Area:
    """One area of the image (see the module docstring)."""

    name: str = ""                         # the facade's attribute on the image
    maintain_every: float | None = None    # seconds between maintain() calls; None: never

    def awaken(self, image: Any) -> None:
        """Create the area's missing prototypes and settings (idempotent)."""

    def attach(self, image: Any) -> Any:
        """The facade of one image session."""
        raise NotImplementedError(f"area {self.name!r} has no facade")

    def maintain(self, image: Any, status: StatusCallback) -> None:
        """Periodic work (the service calls it every ``maintain_every`` seconds)."""

    def stats(self, image: Any) -> AreaStats:
        return AreaStats(state="unknown")

    def snapshot(self, image: Any, dest: Path) -> dict | None:
        """Copy the files a backup must hold besides the database into ``dest``."""
        return None

    def close(self, facade: Any) -> None:
        """The session that attached ``facade`` closes."""

    def __repr__(self) -> str:
        return f"<Area {self.name}>"
