"""Append-only delta log of index changes, one record per thought.

A record is written in ``tpc_vote`` (before the thought is known to have committed) and names
the thought by a random *token* that is also stored in the ZODB transaction's extension. The log
is therefore a cache of vectors, never the truth: on replay, a record counts only if its token is
found in the storage; a torn or garbage tail is cut off with a warning, and a token whose record
is missing or damaged is re-read from ZODB.

Because the log is only a cache, it is not fsync'd per commit by default (``sync=False``): a
process crash keeps what was written (the page cache survives it), and after a power loss the
records that did not reach the disk are re-read from ZODB, which holds every embedding. That
keeps a commit at one fsync (ZODB's own). ``sync=True`` restores an fdatasync per append.

Record layout (little endian)::

    magic b"TXL1" | u32 payload length | u32 crc32(payload) | payload
    payload = 16-byte token | u32 n_add | u32 n_del | u32 dim
              | int64[n_add] ids | float32[n_add*dim] vectors | int64[n_del] ids
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from telos.memory.faults import fault

log = logging.getLogger(__name__)

MAGIC = b"TXL1"
_HEAD = struct.Struct("<4sII")
_BODY = struct.Struct("<16sIII")


@dataclass
class Delta:
    """The index changes of one thought."""
    token: bytes
    add_ids: np.ndarray      # int64[n]
    add_vecs: np.ndarray     # float32[n, dim]
    del_ids: np.ndarray      # int64[m]

    def encode(self) -> bytes:
        dim = self.add_vecs.shape[1] if len(self.add_ids) else 0
        payload = b"".join((
            _BODY.pack(self.token, len(self.add_ids), len(self.del_ids), dim),
            np.ascontiguousarray(self.add_ids, dtype="<i8").tobytes(),
            np.ascontiguousarray(self.add_vecs, dtype="<f4").tobytes() if dim else b"",
            np.ascontiguousarray(self.del_ids, dtype="<i8").tobytes(),
        ))
        return _HEAD.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def decode(cls, payload: bytes) -> "Delta":
        token, n_add, n_del, dim = _BODY.unpack_from(payload)
        off = _BODY.size
        need = off + 8 * n_add + 4 * n_add * dim + 8 * n_del
        if need != len(payload):
            raise ValueError("record length does not match its counts")
        add_ids = np.frombuffer(payload, "<i8", n_add, off).astype(np.int64)
        off += 8 * n_add
        vecs = np.frombuffer(payload, "<f4", n_add * dim, off).astype(np.float32)
        off += 4 * n_add * dim
        del_ids = np.frombuffer(payload, "<i8", n_del, off).astype(np.int64)
        return cls(token, add_ids, vecs.reshape(n_add, dim) if dim else vecs.reshape(0, 0), del_ids)


def read_log(path: Path, *, limit: int | None = None) -> tuple[dict[bytes, Delta], int]:
    """All intact records of a log (of its first ``limit`` bytes), by token, and the byte
    length of the intact prefix.

    Reading stops at the first record that is truncated or fails its checksum; what follows
    is reported (warning) and ignored -- ZODB is the truth, the missing vectors are re-read.
    """
    try:
        with open(path, "rb") as f:
            data = f.read() if limit is None else f.read(limit)
    except FileNotFoundError:
        return {}, 0
    return parse_log(data, path)


def intact_tail(path: Path, start: int) -> bytes:
    """The bytes of the log from ``start`` on, up to the end of its last intact record."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except FileNotFoundError:
        return b""
    _, good = parse_log(data, path)
    return data[:good]


def parse_log(data: bytes, path: Path) -> tuple[dict[bytes, Delta], int]:
    """``read_log`` on bytes already read (``path`` names them in warnings)."""
    out: dict[bytes, Delta] = {}
    pos = 0
    while pos < len(data):
        bad = None
        if len(data) - pos < _HEAD.size:
            bad = "truncated header"
        else:
            magic, length, crc = _HEAD.unpack_from(data, pos)
            start = pos + _HEAD.size
            payload = data[start:start + length]
            if magic != MAGIC:
                bad = "bad magic"
            elif len(payload) != length:
                bad = "truncated record"
            elif zlib.crc32(payload) != crc:
                bad = "checksum mismatch"
            else:
                try:
                    delta = Delta.decode(payload)
                except (ValueError, struct.error) as exc:
                    bad = f"undecodable record ({exc})"
                else:
                    out[delta.token] = delta
                    pos = start + length
                    continue
        log.warning("delta log %s: %s at byte %d of %d; ignoring the rest (it is re-read "
                    "from the image if it committed)", path, bad, pos, len(data))
        break
    return out, pos


class DeltaLog:
    """The writer side: ``append`` writes one record (and fdatasyncs it when ``sync``)."""

    def __init__(self, path: Path, sync: bool = False):
        self.path = Path(path)
        self.sync = sync
        _, good = read_log(self.path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if good < size:  # cut a torn / garbage tail so new records stay readable
            os.ftruncate(self._fd, good)
            os.fsync(self._fd)
        os.lseek(self._fd, 0, os.SEEK_END)

    def append(self, delta: Delta) -> None:
        blob = delta.encode()
        half = len(blob) // 2
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            os.write(self._fd, blob[:half])
            fault("dm.tpc_vote.torn")
            os.write(self._fd, blob[half:])
            if self.sync:
                os.fdatasync(self._fd)   # data + size; an append needs no other metadata
        except OSError:
            os.ftruncate(self._fd, start)   # leave no half record behind a failed vote
            raise

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
