"""Checkpoints of a FAISS index, stamped with the ZODB tid they are exact for.

Files in the index directory::

    checkpoint.json                 {"tid": hex, "file": name, "sha256": hex, "count": n, ...}
    ckpt-<tid>.faiss                the serialized index

``checkpoint.json`` is replaced atomically (write temp, fsync, ``os.replace``, fsync directory),
so a reader sees either the old or the new checkpoint, never a mixture. ``load`` checks the
checksum, the dimension and the count; any mismatch is an ``IndexCorruptError``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from telos.errors import IndexCorruptError
from telos.memory.faults import fault

META = "checkpoint.json"


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see all of it or the previous file."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def save(directory: Path, blob: np.ndarray, meta: dict) -> dict:
    """Write a serialized index (``faiss.serialize_index`` output) and its stamp."""
    directory = Path(directory)
    name = f"ckpt-{meta['tid']}.faiss"
    data = blob.tobytes()
    write_atomic(directory / name, data)
    fault("ckpt.file_written")
    meta = dict(meta, file=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    write_atomic(directory / META, json.dumps(meta, indent=1).encode())
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


def load(directory: Path, dim: int, metric: str):
    """The checkpointed index and its stamp, or (None, None) if there is no checkpoint."""
    import faiss

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
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path}: FAISS cannot read it ({exc})") from exc
    if index.ntotal != meta["count"] or index.d != dim:
        raise IndexCorruptError(f"{path}: holds {index.ntotal} vectors of dim {index.d}, "
                                f"stamp says {meta['count']} of dim {dim}")
    return index, meta
