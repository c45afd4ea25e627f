"""Child process that builds a DiskANN disk index: ``python -m telos.memory.l2build DIR``.

``DIR`` holds ``vectors.npy`` (float32 [n, d]) and ``ids.npy`` (int64 [n], position -> record
id) exported by the parent from a historical view of the image. The parent runs this with its
stdout/stderr sent to ``DIR/build.log`` (diskannpy writes progress to the C-level stdout). On
success it fsyncs the files and writes ``manifest.json`` (sha256 of every file; size and
sha256 of the first and last MiB of every file, for the quick check at open) last, through
``telos.atomic``; a directory without a valid manifest is never loaded. The DiskANN build itself
is ``telos.index.diskann_index.build_files``. The child lowers its own priority (nice 10): a
rebuild is background work and must not take the CPU from searches and commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

MANIFEST = "manifest.json"
EDGE = 1 << 20          # the quick check reads this much at each end of a file
NICE = 10


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def edges_sha256(path: Path) -> str:
    """sha256 of the first and last ``EDGE`` bytes of a file (all of it when smaller)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(EDGE))
        size = os.fstat(f.fileno()).st_size
        if size > EDGE:
            f.seek(max(EDGE, size - EDGE))
            h.update(f.read(EDGE))
    return h.hexdigest()


def build(directory: Path, *, metric: str = "l2", threads: int = 1) -> dict:
    import numpy as np

    from telos import atomic
    from telos.index.diskann_index import build_files
    from telos.memory.faults import fault

    vectors = np.load(directory / "vectors.npy")
    build_files(directory, vectors, metric, threads)
    fault("l2.built")
    files = sorted(p.name for p in directory.iterdir()
                   if p.is_file() and p.name not in (MANIFEST, "build.log", "vectors.npy"))
    for name in files:
        fd = os.open(directory / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    manifest = {"count": len(vectors), "dim": int(vectors.shape[1]), "metric": metric,
                "files": {name: file_sha256(directory / name) for name in files},
                "quick": {name: [(directory / name).stat().st_size, edges_sha256(directory / name)]
                          for name in files}}
    atomic.write_text(directory / MANIFEST, json.dumps(manifest, indent=1))
    (directory / "vectors.npy").unlink()
    return manifest


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    metric = argv[1] if len(argv) > 1 else "l2"
    threads = int(argv[2]) if len(argv) > 2 else 1
    try:
        os.nice(NICE)
    except OSError:
        pass
    build(directory, metric=metric, threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
