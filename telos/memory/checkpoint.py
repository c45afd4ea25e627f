"""Checkpoints of an in-memory index, stamped with the ZODB tid they are exact for.

Files in the index directory::

    checkpoint.json                 {"tid": hex, "file": name, "sha256": hex, "count": n, ...}
    ckpt-<tid>.faiss                the serialized index (``kind.to_bytes()``; FAISS by default)

Both are replaced through ``telos.atomic`` (temporary file, fsync, rename, fsync of the
directory), the index file first, so a reader sees either the old or the new checkpoint, never
a mixture. ``load`` checks the checksum, the dimension, the metric and the count; any mismatch
is an ``IndexCorruptError``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from telos import atomic
from telos.errors import IndexCorruptError
from telos.index.base import VectorIndexError
from telos.index.faiss_index import FaissIndex
from telos.memory.faults import fault

META = "checkpoint.json"


def save(directory: Path, data: bytes, meta: dict) -> dict:
    """Write a serialized index (``to_bytes()`` of the index) and its stamp."""
    directory = Path(directory)
    name = f"ckpt-{meta['tid']}.faiss"
    atomic.write_bytes(directory / name, data)
    fault("ckpt.file_written")
    meta = dict(meta, file=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    atomic.write_bytes(directory / META, json.dumps(meta, indent=1).encode())
    fault("ckpt.meta_replaced")
    for old in directory.glob("ckpt-*.faiss"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return meta


def read_meta(directory: Path) -> dict | None:
    path = Path(directory) / META
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        meta = json.loads(raw)
        if not isinstance(meta, dict) or not {"tid", "file", "sha256", "count"} <= meta.keys():
            raise ValueError("missing keys")
        bytes.fromhex(meta["tid"])
        return meta
    except (ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{path}: unreadable checkpoint stamp ({exc})") from exc


def load(directory: Path, dim: int, metric: str, kind=FaissIndex):
    """The checkpointed index (a ``kind``) and its stamp, or (None, None) without a checkpoint."""
    meta = read_meta(directory)
    if meta is None:
        return None, None
    path = Path(directory) / meta["file"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexCorruptError(f"{path}: checkpoint file unreadable ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise IndexCorruptError(f"{path}: checksum mismatch (truncated or overwritten)")
    if meta.get("dim") != dim or meta.get("metric") != metric:
        raise IndexCorruptError(f"{path}: built for dim={meta.get('dim')} metric="
                                f"{meta.get('metric')}, expected dim={dim} metric={metric}")
    try:
        index = kind.from_bytes(data)
    except VectorIndexError as exc:
        raise IndexCorruptError(f"{path}: {exc}") from exc
    if index.count != meta["count"] or index.dim != dim or index.metric != metric:
        raise IndexCorruptError(f"{path}: holds {index.count} vectors of dim {index.dim} "
                                f"({index.metric}), stamp says {meta['count']} of dim {dim}")
    return index, meta
