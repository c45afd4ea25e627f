"""Replacing a file outside ZODB: one helper over ``atomicwrites``.

Every file TelOS replaces beside the image (index checkpoints and manifests, backup manifests and
keys, service files, converted model weights) goes through here. ``atomicwrites`` writes a
temporary file in the target's directory, fsyncs it, renames it over the target and fsyncs the
directory, so a reader sees the old file or the new one, never a torn one, and a crash keeps one
of the two. A failed write removes its temporary file and leaves the target untouched.

    with replacing(path) as f:          # binary; mode="w" for text
        f.write(data)
    write_bytes(path, data); write_text(path, text)
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Iterator

from atomicwrites import AtomicWriter

__all__ = ["replacing", "write_bytes", "write_text", "fsync_dir"]


@contextlib.contextmanager
def replacing(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """A file object whose contents replace ``path`` atomically when the block ends cleanly."""
    if "w" not in mode:
        raise ValueError(f"replacing() writes a whole new file; mode {mode!r} has no 'w'")
    kwargs = {} if "b" in mode else {"encoding": "utf-8"}
    writer = AtomicWriter(os.fspath(path), mode=mode, overwrite=True, **kwargs)
    with writer.open() as f:
        yield f


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with replacing(path, "wb") as f:
        f.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    with replacing(path, "w") as f:
        f.write(text)


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename or a new file in ``directory`` durable (for renames done outside this helper,
    such as swapping a whole directory)."""
    fd = os.open(os.fspath(Path(directory)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
