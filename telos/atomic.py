"""Replacing a file outside ZODB: one helper over ``atomicwrites``.

Every file TelOS replaces beside the image (index checkpoints and manifests, backup manifests and
keys, service files, converted model weights) goes through here. ``atomicwrites`` writes a
temporary file in the target's directory, fsyncs it, renames it over the target and fsyncs the
directory, so a reader sees the old file or the new one, never a torn one, and a crash keeps one
of the two. A failed write removes its temporary file and leaves the target untouched.
Temporaries are named ``.NAME.XXXXXXXX.tmp`` beside the target and created with mode 0600
(``mkstemp``), so the new file is private to its user whatever the umask.

    with replacing(path) as f:          # binary; mode="w" for text
        f.write(data)
    write_bytes(path, data); write_text(path, text)
    replacing(path, overwrite=False)    # create only: FileExistsError if path exists

A whole directory published by a rename (a restore moving the old image aside, converted model
weights) stays a rename: :func:`fsync_tree` its contents first, :func:`fsync_dir` its parent after.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Iterator

from atomicwrites import AtomicWriter

__all__ = ["replacing", "write_bytes", "write_text", "fsync_dir", "fsync_tree"]


class _Writer(AtomicWriter):
    """An ``AtomicWriter`` whose temporary is recognisable beside its target after a crash."""

    def get_fileobject(self, suffix: str = ".tmp", prefix: str | None = None, dir=None, **kwargs):
        if prefix is None:
            prefix = "." + os.path.basename(self._path) + "."
        return super().get_fileobject(suffix=suffix, prefix=prefix, dir=dir, **kwargs)


@contextlib.contextmanager
def replacing(path: str | os.PathLike, mode: str = "wb", *, overwrite: bool = True) -> Iterator[IO]:
    """A file object whose contents replace ``path`` atomically when the block ends cleanly.
    ``overwrite=False``: create ``path`` only if it does not exist (else ``FileExistsError``,
    and nothing is written)."""
    if "w" not in mode:
        raise ValueError(f"replacing() writes a whole new file; mode {mode!r} has no 'w'")
    kwargs = {} if "b" in mode else {"encoding": "utf-8"}
    writer = _Writer(os.fspath(path), mode=mode, overwrite=overwrite, **kwargs)
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


def fsync_tree(directory: str | os.PathLike) -> None:
    """Make every file and directory under ``directory`` durable (before renaming it into place);
    given a file, that file."""
    if not os.path.isdir(directory):
        fd = os.open(os.fspath(directory), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    for root, _dirs, files in os.walk(directory):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(root)
