"""Progress for long work: a tqdm bar on a terminal, plus an optional status callback (for the UI)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

StatusCallback = Callable[[str, int, int | None], None]


class Progress:
    """Manual progress: ``with Progress("ingest", total=n) as p: p.update(k)``."""

    def __init__(self, desc: str, total: int | None = None, *, unit: str = "it",
                 status: StatusCallback | None = None, every: float = 0.5):
        self.desc, self.total, self.unit, self.status, self.every = desc, total, unit, status, every
        self.n = 0
        self._bar = None
        self._last = 0.0
        if sys.stderr.isatty():
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)

    def update(self, k: int = 1) -> None:
        self.n += k
        if self._bar is not None:
            self._bar.update(k)
        now = time.monotonic()
        if self.status is not None and (now - self._last >= self.every or self.n == self.total):
            self._last = now
            self.status(self.desc, self.n, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        log.info("%s: %d%s %s done", self.desc, self.n, f"/{self.total}" if self.total else "", self.unit)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "",
             unit: str = "it", status: StatusCallback | None = None) -> Iterator[T]:
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with Progress(desc, total, unit=unit, status=status) as p:
        for item in iterable:
            yield item
            p.update(1)
