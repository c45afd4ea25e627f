"""Encrypted sets (swapped chunks detected, plaintext never in the destination) and the memory
index snapshot (real FAISS TxVectorIndex): restored when it matches, dropped when it does not."""

from __future__ import annotations


import numpy as np
import pytest

from telos.backup.catalog import load_sets
from telos.backup.crypto import TAG, _FIXED
from telos.backup.engine import make_backup
from telos.backup.restore import restore
from telos.backup.verify import verify

from .conftest import data_file, restored_tid

CHUNK = 4096


class RootVectors:
    """VectorSource over root['vecs'] (id -> list of floats) for the real TxVectorIndex."""

    def enumerate(self, conn):
        for k, v in conn.root().get("vecs", {}).items():
            yield k, np.asarray(v, np.float32)

    def lookup(self, conn, ids):
        vecs = conn.root().get("vecs", {})
        return {i: np.asarray(vecs[i], np.float32) for i in ids if i in vecs}


@pytest.fixture
def indexed(workload, tmp_path):
    import transaction
    from telos.memory.txindex import TxVectorIndex
    workload.conn.root()["vecs"] = {i: [float(i)] * 8 for i in range(10)}
    transaction.commit()
    ix = TxVectorIndex(workload.db, tmp_path / "ix", name="t", dim=8, source=RootVectors()).open()
    yield workload, ix
    ix.close()


def test_encrypted_sets_round_trip_and_swapped_chunks(indexed, dest, keys, tmp_path):
    w, ix = indexed
    w.commit(5, size=5000)
    make_backup(w.path, dest, keys, encrypt=True, snapshots={"memory": ix.snapshot},
                chunk_size=CHUNK, staging_root=tmp_path / "stage")
    tid2 = w.commit(5, size=5000)
    r2 = make_backup(w.path, dest, keys, encrypt=True, snapshots={"memory": ix.snapshot},
                     chunk_size=CHUNK, staging_root=tmp_path / "stage")
    assert r2.set.manifest["encrypted"] and r2.set.manifest["memory"]["tid"] == tid2
    # no plaintext data file in the destination
    stored = [p.name for p in dest.rglob("*") if p.is_file()]
    assert not any(n.endswith((".fs", ".deltafs", ".faiss")) for n in stored), stored
    assert verify(dest, keys).ok
    res = restore(dest, keys, tmp_path / "ok" / "telos.fs")
    assert res.set.seq == 2 and restored_tid(res) == tid2 and res.memory_dir is not None
    assert (res.memory_dir / "checkpoint.json").exists()

    f = data_file(load_sets(dest, keys)[1])
    raw = f.read_bytes()
    head = _FIXED.size + len(f.relative_to(f.parent.parent).as_posix().removesuffix(".enc"))
    step = CHUNK + TAG
    blocks = [raw[head + i:head + i + step] for i in range(0, len(raw) - head, step)]
    assert len(blocks) >= 3
    blocks[0], blocks[1] = blocks[1], blocks[0]
    f.write_bytes(raw[:head] + b"".join(blocks))
    report = verify(dest, keys)
    assert not report.ok and any("sha256" in p for p in report.problems)
    res = restore(dest, keys, tmp_path / "fallback" / "telos.fs")
    assert res.set.seq == 1 and res.refused


def test_index_snapshot_not_matching_manifest_is_dropped(indexed, dest, keys, tmp_path):
    w, ix = indexed
    tid = w.commit(3)
    r = make_backup(w.path, dest, keys, snapshots={"memory": ix.snapshot})
    assert r.set.manifest["memory"]["tid"] == tid
    faiss_rel = next(rel for rel, i in r.set.manifest["files"].items()
                     if i["role"] == "memory" and rel.endswith(".faiss"))
    p = r.set.chain_dir / faiss_rel
    p.write_bytes(p.read_bytes()[:-10] + b"0123456789")
    report = verify(dest, keys)
    assert any(faiss_rel in pr and "sha256" in pr for pr in report.problems)
    res = restore(dest, keys, tmp_path / "out" / "telos.fs")
    assert res.set.seq == 1 and restored_tid(res) == tid       # the image itself is fine
    assert res.memory_dir is None and "rebuilt" in res.memory_reason
    assert not (tmp_path / "out" / "memory-snapshot").exists()


def test_index_snapshot_of_another_tid_is_dropped(indexed, dest, keys, tmp_path):
    w, ix = indexed

    class Late:
        """The real index, snapshotted after one more commit (as if taken late)."""
        def snapshot(self, d):
            w.commit(1)
            return ix.snapshot(d)

    w.commit(2)
    r = make_backup(w.path, dest, keys, snapshots={"memory": Late().snapshot})
    assert r.set.manifest["memory"]["tid"] != r.set.manifest["tid"]
    res = restore(dest, keys, tmp_path / "out" / "telos.fs")
    assert res.memory_dir is None and "rebuilt" in res.memory_reason
