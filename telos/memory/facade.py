"""``image.memory``: remember, search (hybrid: vectors and words), stats, reindex, snapshot
(one facade per session)."""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from telos import config
from telos.errors import MemoryStoreError
from telos.memory.fusion import fuse
from telos.memory.hits import Hit, kept, record_filter, unix_time
from telos.memory.records import ContextFractal, source_key
from telos.progress import Progress

log = logging.getLogger(__name__)


MODES = ("hybrid", "vector", "lexical")


class Memory:
    def __init__(self, image, engine):
        self.image, self.engine = image, engine
        self._views: dict = {}         # tid -> past view of the image (``past``)
        self._past = None              # this facade's PastMemory, when its image is a past view

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

    def remember_many(self, texts, *, sources=None, batch_size: int = 1024, status=None) -> list[int]:
        """Embed and store many texts, one thought per batch; returns their ids.

        A pipeline: batch n+1 is embedded (on the compute thread) while batch n commits here,
        so the commits hide behind the model. A failed batch stops the run; the batches before
        it stay committed (one thought each)."""
        texts = [str(t) for t in texts]
        sources = list(sources) if sources is not None else [None] * len(texts)
        encode = self.engine.embedder.encode
        if len(texts) <= batch_size:      # one batch (remember(), a chat turn): nothing to overlap
            return self._store(texts, encode(texts), sources) if texts else []
        starts = range(0, len(texts), batch_size)
        ids: list[int] = []
        with Progress("remember", total=len(texts), unit="text", status=status) as bar, \
                ThreadPoolExecutor(1, thread_name_prefix="telos-embed") as pool:
            ahead = pool.submit(encode, texts[:batch_size]) if texts else None
            for start in starts:
                vecs = ahead.result()
                nxt = start + batch_size
                ahead = pool.submit(encode, texts[nxt:nxt + batch_size]) if nxt < len(texts) else None
                try:
                    ids += self._store(texts[start:nxt], vecs, sources[start:nxt])
                except BaseException:
                    if ahead is not None:
                        ahead.cancel()
                    raise
                bar.update(len(vecs))
        return ids

    def _store(self, texts, vecs, sources) -> list[int]:
        with self.image.thought(f"remember {len(texts)}"):
            bank = self.bank
            new = list(bank.allocate(len(texts)))
            for i, text, vec, src in zip(new, texts, vecs, sources):
                bank.contexts[i] = ContextFractal(i, text, vec, src)
            bank.counted(len(new))
            self.engine.l1.add(self.image.transaction_manager, new, vecs)
            self.engine.lexical.add(self.image.transaction_manager, new, texts, sources)
        return new

    def forget(self, ids) -> int:
        """Remove records (and their vectors) in one thought; returns how many existed."""
        with self.image.thought("forget"):
            bank = self.bank
            gone = [int(i) for i in ids if bank.contexts.pop(int(i), None) is not None]
            bank.counted(-len(gone))
            self.engine.l1.remove(self.image.transaction_manager, gone)
            self.engine.lexical.remove(self.image.transaction_manager, gone)
        return len(gone)

    # -- reading -----------------------------------------------------------------------
    def search(self, query: str | np.ndarray, k: int = 10, *, mode: str | None = None,
               source=None, vector=None, since=None, until=None, as_of=None) -> list[Hit]:
        """The ``k`` records best matching ``query``, hydrated from ZODB.

        ``mode`` (default: the image setting ``memory_search_mode``, "hybrid"): "vector" --
        L1 and L2 merged by distance; "lexical" -- Tantivy's BM25 (``"exact phrases"`` in
        quotes); "hybrid" -- both fused by reciprocal rank (``memory_rrf_k``,
        ``memory_vector_weight``, ``memory_lexical_weight``). ``source``: only records
        remembered with that source (an object or its key). ``since`` / ``until`` (unix time
        or datetime, inclusive): only records remembered in that window. ``vector``: the
        query's embedding when the caller has it. A vector ``query`` searches the vector tiers
        only. ``as_of`` (a thought, its id, a tid or a datetime): what the image remembered then
        -- the same records as ``image.at(as_of)``, forgotten ones included (the search of
        ``image.at(T).memory``; see :mod:`telos.memory.asof`)."""
        if as_of is not None:
            return self.past(as_of).search(query, k, mode=mode, source=source, vector=vector,
                                           since=since, until=until)
        mode = mode or config.image_setting(self.image, "memory_search_mode")
        if mode not in MODES:
            raise MemoryStoreError(f"search mode {mode!r} is not one of {', '.join(MODES)}")
        if not isinstance(query, str):
            vector, mode = query, "vector"
        key = source_key(source)
        keep = record_filter(key, unix_time(since), unix_time(until))
        depth = k if keep is None else 4 * k + 20
        if mode != "lexical":
            q = (self.engine.embedder.encode([query]) if vector is None
                 else np.asarray(vector, np.float32).reshape(1, -1))
        if self.image.before is not None:          # a past view: see telos.memory.asof
            past = self._past_search()
            vectors = past.vectors(q, keep) if mode != "lexical" else None
            words = past.words(query, key, keep) if mode != "vector" else None
        else:
            def vectors(n):
                return kept(self.search_vectors(q, n)[0], keep)

            def words(n):
                return kept(self._lexical(query, n, key), keep)
        if mode == "vector":
            return vectors(depth)[:k]
        lexical = words(depth + 10)
        if mode == "lexical":
            return lexical[:k]
        vec = vectors(depth + 10)
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

    def past(self, when) -> "Memory":
        """The memory as it was at ``when``: the facade of a past view of the image (kept open
        for the last few points in time asked for, so its hits' records stay readable)."""
        from telos.image_history import tid_from
        tid = tid_from(when)
        view = self._views.pop(tid, None) or self.image.at(tid)
        self._views[tid] = view
        while len(self._views) > 4:
            old = self._views.pop(next(iter(self._views)))
            old.close()
            if old in self.image._children:
                self.image._children.remove(old)
        return view.memory

    def _past_search(self):
        if self._past is None:
            from telos.memory.asof import PastMemory
            self._past = PastMemory(self)
        return self._past

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
        return {"records": self.bank.records(), "concepts": len(self.bank.concepts),
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
