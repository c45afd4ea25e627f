"""The memory area (:mod:`telos.area` protocol): ``image.memory``, size-policy maintenance,
counts and index state for the status board, the index files for backups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telos.area import Area, AreaStats
from telos.progress import StatusCallback


def engine_for(store, directory: Path | None = None, embedder=None):
    """The process-wide MemoryEngine of a store (created on first use)."""
    from telos.memory.engine import SHARED_KEY, MemoryEngine
    with store.lock:
        engine = store.shared.get(SHARED_KEY)
        if engine is None:
            directory = Path(directory) if directory else Path(store.home) / "index"
            engine = MemoryEngine(store.db, directory, embedder=embedder, shared=store.shared)
            store.shared[SHARED_KEY] = engine
        return engine


def attach(image, directory: Path | None = None, embedder=None):
    from telos.memory.facade import Memory
    return Memory(image, engine_for(image.store, directory, embedder))


class MemoryArea(Area):
    name = "memory"
    maintain_every = 30.0

    def awaken(self, image: Any) -> None:
        from telos.memory.genesis import awaken
        awaken(image)

    def attach(self, image: Any) -> Any:
        return attach(image)

    def maintain(self, image: Any, status: StatusCallback) -> None:
        image.area(self.name).maintain()   # archiving into L2 runs in another process

    def stats(self, image: Any) -> AreaStats:
        memory = image.area(self.name)
        counts = {k: v for k, v in memory.stats().items()
                  if isinstance(v, int) and not isinstance(v, bool)}
        index = memory.index_state()
        return AreaStats(state="busy" if index["state"] == "rebuilding" else "idle",
                         detail=index["detail"], counts=counts, last=index["last_rebuild"])

    def snapshot(self, image: Any, dest: Path) -> dict | None:
        return image.area(self.name).snapshot(dest)

    def close(self, facade: Any) -> None:
        facade.close()


AREA = MemoryArea()
