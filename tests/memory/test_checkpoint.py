"""telos/memory/checkpoint.py: a checkpoint and its stamp written together, the old file removed,
and every mismatch on load an IndexCorruptError (with the NumPy reference index as ``kind``;
the FAISS default is exercised by test_txindex.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from telos.errors import IndexCorruptError
from telos.index.numpy_index import NumpyIndex
from telos.memory import checkpoint

DIM = 4


def _index(n=3, metric="l2"):
    ix = NumpyIndex(DIM, metric)
    ix.add(np.arange(1, n + 1), np.arange(n * DIM, dtype=np.float32).reshape(n, DIM))
    return ix


def _save(tmp_path, ix=None, tid="00" * 7 + "01", **meta):
    ix = ix or _index()
    stamp = {"tid": tid, "count": ix.count, "dim": ix.dim, "metric": ix.metric, **meta}
    return checkpoint.save(tmp_path, ix.to_bytes(), stamp)


def test_save_then_load_gives_the_same_index_and_stamp(tmp_path):
    ix = _index()
    meta = _save(tmp_path, ix, extra="kept")
    assert meta["file"] == f"ckpt-{meta['tid']}.faiss" and meta["bytes"] > 0
    assert meta["extra"] == "kept" and len(meta["sha256"]) == 64
    loaded, stamp = checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)
    assert stamp == meta == checkpoint.read_meta(tmp_path)
    assert sorted(loaded.ids().tolist()) == [1, 2, 3]
    assert loaded.search(np.zeros((1, DIM), np.float32), 1)[0][0].id == 1


def test_no_checkpoint_is_none(tmp_path):
    assert checkpoint.read_meta(tmp_path) is None
    assert checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex) == (None, None)


def test_a_new_checkpoint_removes_the_old_file(tmp_path):
    _save(tmp_path, tid="00" * 7 + "01")
    _save(tmp_path, _index(5), tid="00" * 7 + "02")
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == [f"ckpt-{'00' * 7}02.faiss"]
    assert checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)[0].count == 5


@pytest.mark.parametrize("content", [b"{not json", b"[1]", b'{"tid": "00"}',
                                     b'{"tid": "zz", "file": "f", "sha256": "s", "count": 1}'])
def test_an_unreadable_stamp_is_corrupt(tmp_path, content):
    (tmp_path / checkpoint.META).write_bytes(content)
    with pytest.raises(IndexCorruptError, match="unreadable checkpoint stamp"):
        checkpoint.read_meta(tmp_path)


def test_a_missing_index_file_is_corrupt(tmp_path):
    meta = _save(tmp_path)
    (tmp_path / meta["file"]).unlink()
    with pytest.raises(IndexCorruptError, match="checkpoint file unreadable"):
        checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)


def test_a_changed_index_file_fails_its_checksum(tmp_path):
    meta = _save(tmp_path)
    path = tmp_path / meta["file"]
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexCorruptError, match="checksum mismatch"):
        checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)


@pytest.mark.parametrize("dim, metric", [(DIM + 1, "l2"), (DIM, "ip")])
def test_a_checkpoint_for_another_dim_or_metric_is_refused(tmp_path, dim, metric):
    _save(tmp_path)
    with pytest.raises(IndexCorruptError, match=f"expected dim={dim} metric={metric}"):
        checkpoint.load(tmp_path, dim, metric, kind=NumpyIndex)


def test_a_stamp_with_the_wrong_count_is_refused(tmp_path):
    meta = _save(tmp_path)
    meta["count"] = 99
    (tmp_path / checkpoint.META).write_text(json.dumps(meta))
    with pytest.raises(IndexCorruptError, match="holds 3 vectors .* stamp says 99"):
        checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)


def test_bytes_that_are_no_index_are_corrupt(tmp_path):
    checkpoint.save(tmp_path, b"garbage", {"tid": "00" * 8, "count": 0, "dim": DIM,
                                           "metric": "l2"})
    with pytest.raises(IndexCorruptError, match="not a saved NumpyIndex"):
        checkpoint.load(tmp_path, DIM, "l2", kind=NumpyIndex)
