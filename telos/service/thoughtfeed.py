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

MAX_PUSHED = 200        # thoughts in one THOUGHTS_COMMITTED (more: several messages)
MAX_BACKLOG = 10_000    # thoughts pushed after one tick at the most (the newest)


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
        """The thoughts committed since the last poll, newest first (also remembers them); read
        a page of MAX_PUSHED at a time, at most MAX_BACKLOG (after a long silence, the newest)."""
        last = self.image.store.db.lastTransaction()
        if last == self.seen:
            return []
        seen, self.seen = self.seen, last
        new, before = [], None
        while len(new) < MAX_BACKLOG:
            page = self.image.thoughts(MAX_PUSHED, before=before)
            fresh = [t for t in page if seen is None or bytes.fromhex(t.id) > seen]
            new += fresh
            if seen is None or len(fresh) < len(page) or len(page) < MAX_PUSHED:
                break
            before = page[-1].id
        return [thought_view(t) for t in new[:MAX_BACKLOG]]

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.interval):
            try:
                new = self.poll()
                for i in range(0, len(new), MAX_PUSHED):     # newest first, a message a page
                    self.push(P.ThoughtsCommitted(thoughts=new[i:i + MAX_PUSHED]))
                failing = False
            except Exception as exc:   # a lost database: the status board says so; retry
                if not failing:
                    log.warning("thought feed: cannot read the storage (%s); retrying", exc)
                failing = True
                log.debug("thought feed: poll failed", exc_info=True)
