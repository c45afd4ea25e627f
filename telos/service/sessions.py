"""Image sessions for the bridge's workers: each request gets its own ZODB connection and its own
transaction manager, begun fresh (so it sees other processes' commits) and aborted on return."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)


class ImageSessionPool:
    """Reuses ``image.session()`` objects; never hands one session to two requests at once."""

    def __init__(self, image: Any, limit: int = 16) -> None:
        self.image = image
        self.limit = limit
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False

    def checkout(self) -> Any:
        with self._lock:
            session = self._idle.pop() if self._idle else None
        if session is None:
            session = self.image.session()
        session.transaction_manager.begin()   # a fresh view: ZEO invalidations apply here
        return session

    def checkin(self, session: Any) -> None:
        try:
            session.transaction_manager.abort()
        except Exception:
            log.exception("aborting a returned session failed; dropping it")
            session.close()
            return
        with self._lock:
            if not self._closed and len(self._idle) < self.limit:
                self._idle.append(session)
                return
        session.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for s in idle:
            try:
                s.close()
            except Exception:
                log.exception("closing an image session failed")


def commit_thought(session: Any, fn: Callable[[], Any], note: str, *, user: str = "bridge",
                   on_commit: Callable[[], None] | None = None,
                   on_conflict: Callable[[], None] | None = None) -> Any:
    """A bridge write: ``session.run`` (conflict retries until its deadline) with the service's
    metrics hooks."""
    result = session.run(fn, note, user=user, on_conflict=on_conflict)
    if on_commit:
        on_commit()
    return result
