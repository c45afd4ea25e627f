"""Opening an image whose memory indexes are current re-embeds nothing, re-indexes nothing, builds
no archive and reads no record it does not answer with (issue 16: start-up at size; the timed
version is ``bench memory -- --startup N``)."""

from __future__ import annotations

import numpy as np
import pytest
from persistent import Persistent

from telos.index.faiss_index import FaissIndex
from telos.index.tantivy_index import TantivyIndex
from telos.memory import l2archive
from telos.memory.engine import MemoryEngine
from telos.memory.records import BankSource, ContextFractal

from .conftest import StandInEmbedder

N_ARCHIVED, N_RECENT = 300, 60


@pytest.fixture
def spies(monkeypatch):
    """Counters of everything a reopen must not do, armed by ``spies["armed"] = True``."""
    seen = {"armed": False, "faiss_add": 0, "tantivy_add": 0, "tantivy_scan": 0,
            "enumerate": 0, "lookup": 0, "l2_build": 0, "records_loaded": 0, "bank_count": 0}

    def count(key, n=1):
        if seen["armed"]:
            seen[key] += n

    def wrap(cls, name, key, size=None):
        orig = getattr(cls, name)

        def spy(self, *args, **kwargs):
            count(key, size(args) if size else 1)
            return orig(self, *args, **kwargs)
        monkeypatch.setattr(cls, name, spy)

    wrap(FaissIndex, "add", "faiss_add", lambda a: len(np.atleast_1d(a[0])))
    wrap(TantivyIndex, "add", "tantivy_add", lambda a: len(list(a[0])))
    wrap(TantivyIndex, "_all_ids", "tantivy_scan")
    wrap(BankSource, "enumerate", "enumerate")
    wrap(BankSource, "lookup", "lookup")
    wrap(l2archive.L2Archive, "build", "l2_build")
    wrap(MemoryEngine, "_records_above", "bank_count")

    def setstate(self, state):        # a ContextFractal read from ZODB
        count("records_loaded")
        Persistent.__setstate__(self, state)
    monkeypatch.setattr(ContextFractal, "__setstate__", setstate, raising=False)
    return seen


def test_reopening_current_indexes_reembeds_and_reindexes_nothing(telos_home, spies):
    from telos import open_image
    from telos.memory import attach
    texts = [f"note {i} about the kettle and the tin number {i}" for i in range(N_ARCHIVED + N_RECENT)]
    im = open_image()
    mem = attach(im, embedder=StandInEmbedder())
    im._areas["memory"] = mem
    mem.remember_many(texts[:N_ARCHIVED])
    assert mem.archive()["count"] == N_ARCHIVED
    mem.remember_many(texts[N_ARCHIVED:])
    mem.engine.l1.checkpoint()
    probe = mem.engine.embedder.encode([texts[5], texts[-3]])
    im.close()

    embedder = StandInEmbedder()
    spies["armed"] = True
    im = open_image()
    try:
        mem = attach(im, embedder=embedder)
        im._areas["memory"] = mem
        old = mem.search(probe[0], 3, mode="vector")            # archived: found in L2
        new = mem.search(probe[1], 3, mode="vector")            # recent: found in L1
        words = mem.search("kettle tin 17", 3, mode="lexical")
        stats = mem.stats()
    finally:
        spies["armed"] = False
        im.close()
    assert (old[0].id, old[0].tier) == (6, "L2") and (new[0].id, new[0].tier) == (358, "L1")
    assert 18 in {h.id for h in words}
    assert (stats["l2"], stats["l1"], stats["lexical"]) == (N_ARCHIVED, N_RECENT, len(texts))
    assert embedder.calls == 0
    del spies["armed"]
    loaded = spies.pop("records_loaded")
    assert spies == {"faiss_add": 0, "tantivy_add": 0, "tantivy_scan": 0, "enumerate": 0,
                     "lookup": 0, "l2_build": 0, "bank_count": 0}
    assert loaded < 40      # the candidates hydrated (lexical: k + 10), not all 360


def test_l1_is_counted_against_the_image_when_the_archive_is_not_the_one_last_checked(
        telos_home, spies):
    from telos import open_image
    from telos.memory import attach
    from telos.memory.engine import CHECKED
    im = open_image()
    mem = attach(im, embedder=StandInEmbedder())
    im._areas["memory"] = mem
    mem.remember_many([f"note {i}" for i in range(N_ARCHIVED)])
    mem.archive()
    mem.remember_many([f"later {i}" for i in range(N_RECENT)])
    mark = mem.engine.directory / CHECKED
    im.close()
    mark.unlink()                       # e.g. an index directory restored from elsewhere
    for expected in (1, 0):             # counted once, then trusted
        spies["armed"] = True
        im = open_image()
        try:
            mem = attach(im, embedder=StandInEmbedder())
            assert mem.stats()["l1"] == N_RECENT and mark.exists()
        finally:
            spies["armed"] = False
            im.close()
        assert spies["bank_count"] == expected
        spies["bank_count"] = 0
