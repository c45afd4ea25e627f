"""The timeline's live feed: a thread that watches the storage's last transaction and pushes
``THOUGHTS_COMMITTED`` (the new thoughts, newest first) to every client when it moves -- thoughts
of the bridge, the kernel, the shell or another node alike, since it reads the storage itself."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from telos.bridge import protocol as P
from telos.service.history_handlers import thought_view

log = logging.getLogger(__name__)

MAX_PUSHED = 200        # more new thoughts than this in one tick: the newest 200


class ThoughtFeed:
    def __init__(self, image: Any, push: Callable[[P._Message], None], *, interval: float = 0.25):
        self.image, self.push, self.interval = image, push, interval
        self.seen: bytes | None = image.store.db.lastTransaction()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "ThoughtFeed":
        self._thread = threading.Thread(target=self._run, name="thought-feed", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def poll(self) -> list[P.ThoughtView]:
        """The thoughts committed since the last poll, newest first (also remembers them)."""
        last = self.image.store.db.lastTransaction()
        if last == self.seen:
            return []
        seen, self.seen = self.seen, last
        new = [t for t in self.image.thoughts(MAX_PUSHED)
               if seen is None or bytes.fromhex(t.id) > seen]
        return [thought_view(t) for t in new]

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.interval):
            try:
                new = self.poll()
                if new:
                    self.push(P.ThoughtsCommitted(thoughts=new))
                failing = False
            except Exception as exc:   # a lost database: the status board says so; retry
                if not failing:
                    log.warning("thought feed: cannot read the storage (%s); retrying", exc)
                failing = True
                log.debug("thought feed: poll failed", exc_info=True)
