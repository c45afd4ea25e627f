"""telos/memory/l2archive.py on an archive built in-process (telos.memory.l2build): opened and
searched by record id, a damaged one dropped with a warning, and the empty archive's answers
(the rebuild in a child process and the swap: test_layered.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from telos.memory import l2build
from telos.memory.l2archive import MIN_RECORDS, POINTER, L2Archive

N, DIM = 40, 8


@pytest.fixture
def vectors():
    return np.random.default_rng(3).standard_normal((N, DIM)).astype(np.float32)


@pytest.fixture
def built(tmp_path, vectors):
    """An l2 directory with a built archive and its CURRENT pointer; yields (directory, ids)."""
    l2 = tmp_path / "l2"
    d = l2 / "build-00-40-1"
    d.mkdir(parents=True)
    ids = np.arange(1001, 1001 + N, dtype=np.int64)
    np.save(d / "vectors.npy", vectors)
    np.save(d / "ids.npy", ids)
    l2build.build(d)
    (l2 / POINTER).write_text(json.dumps({"dir": d.name, "tid": "00" * 8,
                                          "max_id": int(ids.max()), "count": N}))
    return l2, ids


def test_an_empty_archive(tmp_path):
    arch = L2Archive(tmp_path / "l2", DIM)
    assert arch.open() is False
    assert (arch.max_id, arch.count, arch.meta, arch.files()) == (0, 0, None, [])
    assert arch.search(np.zeros((3, DIM), np.float32), 5) == [[], [], []]
    assert arch.last_swap() is None and arch.building is False
    arch.close()


def test_an_archive_opens_and_answers_with_record_ids(built, vectors):
    l2, ids = built
    arch = L2Archive(l2, DIM)
    try:
        assert arch.open() is True
        assert (arch.max_id, arch.count) == (int(ids.max()), N)
        assert arch.meta["dir"] == "build-00-40-1"
        hits = arch.search(vectors[5:6], 3)
        assert hits[0][0].id == ids[5] and len(hits[0]) == 3
        assert arch.last_swap() is not None
        assert l2 / POINTER in arch.files() and any(p.name == "ids.npy" for p in arch.files())
    finally:
        arch.close()


def test_a_damaged_file_drops_the_archive_with_a_warning(built, caplog):
    l2, _ = built
    victim = next(p for p in (l2 / "build-00-40-1").iterdir() if p.name == "ids.npy")
    victim.write_bytes(victim.read_bytes()[:-4])
    arch = L2Archive(l2, DIM)
    with caplog.at_level("WARNING"):
        assert arch.open() is False
    assert "unusable" in caplog.text and "missing or damaged (checksum)" in caplog.text
    assert not (l2 / POINTER).exists() and arch.max_id == 0
    arch.close()


@pytest.mark.parametrize("pointer", ["{not json", '{"dir": "build-missing"}', '{"tid": 1}'])
def test_a_bad_pointer_drops_the_archive(tmp_path, pointer, caplog):
    l2 = tmp_path / "l2"
    l2.mkdir()
    (l2 / POINTER).write_text(pointer)
    arch = L2Archive(l2, DIM)
    with caplog.at_level("WARNING"):
        assert arch.open() is False
    assert not (l2 / POINTER).exists()
    arch.close()


def test_an_archive_of_another_dimension_is_refused(built):
    l2, _ = built
    arch = L2Archive(l2, DIM * 2)
    assert arch.open() is False
    arch.close()


def test_a_build_of_too_few_records_is_skipped(tmp_path):
    class Storage:
        def lastTransaction(self):
            return b"\x00" * 7 + b"\x01"

        def iterator(self, start, stop):
            return iter([type("T", (), {"tid": b"\x00" * 7 + b"\x01"})()])

    class Conn:
        def close(self):
            pass

    class DB:
        storage = Storage()

        def open(self, at):
            return Conn()

    class Source:
        def enumerate(self, conn):
            return [(i, np.zeros(DIM, np.float32)) for i in range(MIN_RECORDS - 1)]

    arch = L2Archive(tmp_path / "l2", DIM)
    assert arch.build(DB(), Source()) is None
    assert list((tmp_path / "l2").glob("build-*")) == []
    arch.close()


def test_a_large_archive_is_searched_with_a_longer_list(built, vectors, monkeypatch):
    from telos.index import diskann_index
    l2, ids = built
    arch = L2Archive(l2, DIM)
    asked = []
    real = diskann_index.DiskannIndex.search

    def spy(self, queries, k, complexity=diskann_index.COMPLEXITY, beam_width=4):
        asked.append(complexity)
        return real(self, queries, k, complexity, beam_width)
    monkeypatch.setattr(diskann_index.DiskannIndex, "search", spy)
    try:
        arch.open()
        small = arch.search(vectors[5:6], 3)
        monkeypatch.setattr(diskann_index, "LARGE_ARCHIVE", N - 1)   # this archive counts as large
        large = arch.search(vectors[5:6], 3)
        arch.search(vectors[5:6], 3, complexity=20)
    finally:
        arch.close()
    assert asked == [diskann_index.COMPLEXITY, diskann_index.LARGE_COMPLEXITY, 20]
    assert small[0][0].id == large[0][0].id == ids[5]
