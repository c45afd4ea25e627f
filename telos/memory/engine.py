"""The per-process part of fractal memory: embedder, L1 index, L2 archive, lexical index
(one per store)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from telos import atomic
from telos.memory.embedder import DIM, shared_embedder
from telos.memory.l2archive import L2Archive
from telos.memory.records import BankSource, BankTextSource
from telos.memory.txindex import TxVectorIndex
from telos.memory.txtext import TxTextIndex
from telos.reflect import mirror

log = logging.getLogger(__name__)

SHARED_KEY = "telos.memory.engine"
CHECKED = "l1-checked.json"     # the archive watermark L1 was last checked against


def locate_bank(conn):
    """The MemoryManager's bank as seen through ``conn`` (None before awakening)."""
    protos = conn.root().get("prototypes")
    if protos is None or "MemoryManager" not in protos:
        return None
    return mirror(protos["MemoryManager"]).get("bank")


class MemoryEngine:
    def __init__(self, db, directory: Path, *, embedder=None, shared: dict | None = None,
                 locate=locate_bank, checkpoint_bytes: int = 64 << 20):
        self.db, self.directory, self.locate = db, Path(directory), locate
        self._embedder = embedder
        self._shared = shared if shared is not None else {}
        self.lock = threading.RLock()
        self.opened: dict[str, float] = {}     # seconds per step of the open (bench, logs)
        t = time.perf_counter()
        self.l2 = L2Archive(self.directory / "l2", DIM)
        self.l2.open()
        t = self._took("l2", t)
        self.source = BankSource(locate, min_id=lambda: self.l2.max_id)
        self.l1 = TxVectorIndex(db, self.directory / "l1", name="memory", dim=DIM, metric="l2",
                                source=self.source, checkpoint_bytes=checkpoint_bytes).open()
        t = self._took("l1", t)
        self.lexical = TxTextIndex(db, self.directory / "lexical", name="lexical",
                                   source=BankTextSource(locate)).open()
        t = self._took("lexical", t)
        self._evict_archived()
        self._check_l1()
        self._took("check", t)
        log.info("memory open: %s", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in self.opened.items()))

    def _took(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.opened[step] = now - since
        return now

    def _mark(self) -> dict:
        """The archive L1 is checked against: its watermark and its size."""
        return {"l2_max_id": self.l2.max_id, "l2_count": self.l2.count}

    def _checked_against_this_archive(self) -> bool:
        """Whether L1 was last found (or made) to hold exactly the records above this archive."""
        try:
            return json.loads((self.directory / CHECKED).read_text()) == self._mark()
        except (OSError, ValueError):
            return False

    def _stamp_checked(self) -> None:
        atomic.write_text(self.directory / CHECKED, json.dumps(self._mark()))

    def _check_l1(self) -> None:
        """L1 must hold exactly the records above the archive's watermark (e.g. after an
        archive was found damaged and dropped, L1 takes its records back). Counting them reads
        every bucket of the bank above the watermark (0.9 s for 100,000 records at a million),
        so it runs only when the archive is not the one L1 was last checked against."""
        if self._checked_against_this_archive():
            return
        want = self._records_above(self.l2.max_id)
        if want != len(self.l1):
            log.warning("L1 holds %d vectors but the image has %d records above the archive "
                        "watermark %d -- rebuilding L1 from the image", len(self.l1), want,
                        self.l2.max_id)
            self.l1.rebuild()
        self._stamp_checked()

    def _records_above(self, watermark: int) -> int:
        tm = __import__("transaction").TransactionManager()
        conn = self.db.open(tm)
        try:
            bank = self.locate(conn)
            return len(bank.contexts.keys(watermark + 1)) if bank is not None else 0
        finally:
            tm.abort()
            conn.close()

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = shared_embedder(self._shared)
        return self._embedder

    def _evict_archived(self) -> None:
        cut = self.l2.max_id
        if cut:
            n = self.l1.evict([i for i in self.l1.ids() if i <= cut])
            if n:
                log.info("L1: %d records now served by the L2 archive", n)

    def archive(self) -> dict | None:
        """Build L2 from every record, swap it in, then drop the archived ids from L1."""
        meta = self.l2.build(self.db, BankSource(self.locate))
        if meta is not None:
            self._evict_archived()
            self.l1.checkpoint()
            self._stamp_checked()       # L1 held the records above the old watermark
        return meta

    def close(self) -> None:
        try:
            self.lexical.close()
        finally:
            try:
                self.l1.close()
            finally:
                self.l2.close()
