"""``image.memory``: remember, search (hybrid: vectors and words), stats, reindex, snapshot
(one facade per session)."""

from __future__ import annotations

import datetime as _dt

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from telos import config
from telos.errors import MemoryStoreError
from telos.memory.fusion import fuse
from telos.memory.records import ContextFractal, source_key
from telos.progress import Progress

log = logging.getLogger(__name__)


MODES = ("hybrid", "vector", "lexical")


@dataclass
class Hit:
    """One memory found. ``distance``: smaller is closer within one search -- the vector
    distance (mode ``vector``), the negated BM25 score (``lexical``) or the negated fused
    score (``hybrid``). ``tier``: the vector tier that found it ("L1" FAISS, recent; "L2"
    DiskANN archive), else "lexical"; ``tiers``: every tier that found it."""
    id: int
    text: str
    distance: float
    tier: str
    record: Any
    tiers: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "distance": self.distance, "tier": self.tier,
                "tiers": list(self.tiers or (self.tier,))}


class Memory:
    def __init__(self, image, engine):
        self.image, self.engine = image, engine

    # -- writing -----------------------------------------------------------------------
    @property
    def bank(self):
        bank = self.engine.locate(self.image.connection)
        if bank is None:
            raise MemoryStoreError("this image has no MemoryManager (not awakened?)")
        return bank

    def remember(self, text: str, source=None) -> int:
        """Embed ``text`` and store it as a ContextFractal in one thought; returns its id."""
        return self.remember_many([text], sources=[source])[0]

    def remember_many(self, texts, *, sources=None, batch_size: int = 256, status=None) -> list[int]:
        """Embed and store many texts, one thought per batch; returns their ids."""
        texts = [str(t) for t in texts]
        sources = list(sources) if sources is not None else [None] * len(texts)
        ids: list[int] = []
        with Progress("remember", total=len(texts), unit="text", status=status) as bar:
            for start in range(0, len(texts), batch_size):
                chunk = texts[start:start + batch_size]
                vecs = self.engine.embedder.encode(chunk)
                ids += self._store(chunk, vecs, sources[start:start + batch_size])
                bar.update(len(chunk))
        return ids

    def _store(self, texts, vecs, sources) -> list[int]:
        with self.image.thought(f"remember {len(texts)}"):
            bank = self.bank
            new = list(bank.allocate(len(texts)))
            for i, text, vec, src in zip(new, texts, vecs, sources):
                bank.contexts[i] = ContextFractal(i, text, vec, src)
            self.engine.l1.add(self.image.transaction_manager, new, vecs)
            self.engine.lexical.add(self.image.transaction_manager, new, texts, sources)
        return new

    def forget(self, ids) -> int:
        """Remove records (and their vectors) in one thought; returns how many existed."""
        with self.image.thought("forget"):
            bank = self.bank
            gone = [int(i) for i in ids if bank.contexts.pop(int(i), None) is not None]
            self.engine.l1.remove(self.image.transaction_manager, gone)
            self.engine.lexical.remove(self.image.transaction_manager, gone)
        return len(gone)

    # -- reading -----------------------------------------------------------------------
    def search(self, query: str | np.ndarray, k: int = 10, *, mode: str | None = None,
               source=None, vector=None, since=None, until=None) -> list[Hit]:
        """The ``k`` records best matching ``query``, hydrated from ZODB.

        ``mode`` (default: the image setting ``memory_search_mode``, "hybrid"): "vector" --
        L1 and L2 merged by distance; "lexical" -- Tantivy's BM25 (``"exact phrases"`` in
        quotes); "hybrid" -- both fused by reciprocal rank (``memory_rrf_k``,
        ``memory_vector_weight``, ``memory_lexical_weight``). ``source``: only records
        remembered with that source (an object or its key). ``since`` / ``until`` (unix time
        or datetime, inclusive): only records remembered in that window. ``vector``: the
        query's embedding when the caller has it. A vector ``query`` searches the vector tiers
        only."""
        mode = mode or config.image_setting(self.image, "memory_search_mode")
        if mode not in MODES:
            raise MemoryStoreError(f"search mode {mode!r} is not one of {', '.join(MODES)}")
        if not isinstance(query, str):
            vector, mode = query, "vector"
        key = source_key(source)
        keep = _filter(key, _unix(since), _unix(until))
        depth = k if keep is None else 4 * k + 20
        if mode != "lexical":
            q = (self.engine.embedder.encode([query]) if vector is None
                 else np.asarray(vector, np.float32).reshape(1, -1))
        if mode == "vector":
            return _kept(self.search_vectors(q, depth)[0], keep)[:k]
        lexical = _kept(self._lexical(query, depth + 10, key), keep)
        if mode == "lexical":
            return lexical[:k]
        vec = _kept(self.search_vectors(q, depth + 10)[0], keep)
        by_id = {h.id: h for h in lexical}
        by_id.update((h.id, h) for h in vec)
        fused = fuse({"vector": [h.id for h in vec], "lexical": [h.id for h in lexical]},
                     weights={"vector": config.image_setting(self.image, "memory_vector_weight"),
                              "lexical": config.image_setting(self.image, "memory_lexical_weight")},
                     k=config.image_setting(self.image, "memory_rrf_k"))
        out = []
        for i, score, found in fused[:k]:
            h = by_id[i]
            tiers = tuple(h.tier if name == "vector" else name for name in found)
            out.append(Hit(i, h.text, -score, tiers[0], h.record, tiers))
        return out

    def _lexical(self, query: str, k: int, key) -> list[Hit]:
        hits = self.engine.lexical.search(query, k, source=key)
        if not self.image.in_thought and not self.image.has_changes():
            self.image.transaction_manager.begin()   # see other sessions' commits
        contexts = self.bank.contexts
        out = []
        for h in hits:
            rec = contexts.get(h.id)
            if rec is not None:
                out.append(Hit(h.id, rec.text, h.distance, "lexical", rec, ("lexical",)))
        return out

    def search_vectors(self, queries: np.ndarray, k: int = 10) -> list[list[Hit]]:
        eng = self.engine
        l1 = eng.l1.search(queries, k)
        l2 = eng.l2.search(queries, k + 8)     # margin: archived records may be forgotten
        if not self.image.in_thought and not self.image.has_changes():
            self.image.transaction_manager.begin()   # see other sessions' commits
        bank = self.bank
        out = []
        for row in range(len(l1)):
            best: dict[int, tuple[float, str]] = {h.id: (h.distance, "L1") for h in l1[row]}
            for h in l2[row]:
                best.setdefault(h.id, (h.distance, "L2"))
            hits = []
            for i, (d, tier) in sorted(best.items(), key=lambda kv: (kv[1][0], kv[0])):
                rec = bank.contexts.get(i)
                if rec is None:          # forgotten, or not yet visible: never answer for it
                    continue
                hits.append(Hit(i, rec.text, d, tier, rec, (tier,)))
                if len(hits) == k:
                    break
            out.append(hits)
        return out

    def get(self, id: int) -> ContextFractal | None:
        return self.bank.contexts.get(int(id))

    def stats(self) -> dict:
        eng = self.engine
        eng.l1.catch_up()
        return {"records": len(self.bank.contexts), "concepts": len(self.bank.concepts),
                "l1": len(eng.l1), "l2": eng.l2.count, "l2_max_id": eng.l2.max_id,
                "lexical": len(eng.lexical),
                "l1_capacity": self.l1_capacity}

    def index_state(self) -> dict:
        """For the status bar: is an L2 rebuild running, and when was the last one swapped in."""
        l2 = self.engine.l2
        count = l2.count
        return {"state": "rebuilding" if l2.building else "idle",
                "detail": f"L2 archive {count} records" if count else "no L2 archive yet",
                "last_rebuild": l2.last_swap()}

    @property
    def l1_capacity(self) -> int:
        return config.image_setting(self.image, "l1_capacity")

    # -- maintenance -------------------------------------------------------------------
    def maintain(self) -> dict | None:
        """Commit what the lexical index has staged (so a crash replays little), then the size
        policy: archive into L2 when L1 holds more than ``l1_capacity`` records."""
        self.engine.lexical.flush()
        if len(self.engine.l1) > self.l1_capacity:
            return self.engine.archive()
        return None

    def archive(self) -> dict | None:
        return self.engine.archive()

    def reindex(self, status=None) -> dict:
        """Rebuild both tiers from ZODB (L2 in another process, then L1 for the rest)."""
        eng = self.engine
        meta = eng.l2.build(eng.db, eng.source.__class__(eng.locate))
        n = eng.l1.rebuild(status=status)
        lexical = eng.lexical.rebuild(status=status)
        return {"l1": n, "l2": meta["count"] if meta else eng.l2.count, "lexical": lexical}

    def snapshot(self, dest_dir) -> dict:
        """A consistent copy of the index files for the committed state (for backups)."""
        dest = Path(dest_dir)
        info = self.engine.l1.snapshot(dest / "l1")
        files = list(info["files"]) + self.engine.lexical.snapshot(dest / "lexical")["files"]
        live = self.engine.l2._live
        if live is not None:
            target = dest / "l2" / live.path.name
            target.mkdir(parents=True, exist_ok=True)
            for p in live.path.iterdir():
                if p.is_file():
                    shutil.copy2(p, target / p.name)
                    files.append(str(target / p.name))
            (dest / "l2" / "CURRENT").write_text(__import__("json").dumps(live.meta))
            files.append(str(dest / "l2" / "CURRENT"))
        return {"tid": info["tid"], "files": files}

    def close(self) -> None:
        pass   # the engine is per process (store.shared) and closes with the store


def _unix(when) -> float | None:
    """A search bound as unix time (a datetime, a number, or None)."""
    if when is None:
        return None
    if isinstance(when, _dt.datetime):
        return when.timestamp()
    return float(when)


def _filter(key, since: float | None, until: float | None):
    """The predicate a hit's record must pass (None: keep every hit)."""
    if key is None and since is None and until is None:
        return None

    def keep(rec) -> bool:
        if key is not None and source_key(rec.source) != key:
            return False
        created = getattr(rec, "created", None)
        if since is not None and (created is None or created < since):
            return False
        return not (until is not None and (created is None or created > until))
    return keep


def _kept(hits: list[Hit], keep) -> list[Hit]:
    return hits if keep is None else [h for h in hits if keep(h.record)]
