"""telos/memory/area.py on a real image with a stand-in embedder (deterministic unit vectors, no
model): one engine per store, the facade attached with it, the status line and the snapshot."""

from __future__ import annotations

from pathlib import Path

from telos.memory import area as memory_area
from telos.memory.area import AREA, engine_for


def test_one_engine_per_store(image, standin_embedder):
    first = engine_for(image.store)
    assert engine_for(image.store) is first and first.embedder is standin_embedder
    assert image.memory.engine is first


def test_stats_of_an_empty_memory(image, standin_embedder):
    st = AREA.stats(image)
    assert st.state == "idle" and st.detail == "no L2 archive yet" and st.last is None
    assert st.counts["records"] == 0 and st.counts["l1"] == 0 and st.counts["l2"] == 0
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in st.counts.values())
    assert standin_embedder.calls == 0                      # the status board never embeds


def test_stats_count_what_was_remembered(image, standin_embedder):
    ids = image.memory.remember_many(["the sky is blue", "grass is green"])
    st = AREA.stats(image)
    assert st.counts["records"] == 2 and st.counts["l1"] == 2 and len(ids) == 2


def test_the_snapshot_holds_the_index_files_at_the_committed_tid(image, standin_embedder, tmp_path):
    image.memory.remember("a memory to back up")
    dest = tmp_path / "snap"
    info = AREA.snapshot(image, dest)
    assert info["tid"] and info["files"]
    tops = {Path(f).relative_to(dest).parts[0] for f in info["files"]}
    assert tops == {"l1", "lexical"}, info["files"]     # the FAISS L1 and the Tantivy index


def test_attach_gives_a_facade_over_the_stores_engine(image, standin_embedder):
    facade = memory_area.attach(image)
    assert facade.engine is engine_for(image.store)
    assert AREA.name == "memory" and AREA.maintain_every == 30.0
    AREA.close(facade)                               # nothing held per session
