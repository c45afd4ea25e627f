"""Child process that builds a DiskANN disk index: ``python -m telos.memory.l2build DIR``.

``DIR`` holds ``vectors.npy`` (float32 [n, d]) and ``ids.npy`` (int64 [n], position -> record
id) exported by the parent from a historical view of the image. The parent runs this with its
stdout/stderr sent to ``DIR/build.log`` (diskannpy writes progress to the C-level stdout). On
success it writes ``manifest.json`` (sha256 of every file) last; a directory without a valid
manifest is never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

MANIFEST = "manifest.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(directory: Path, *, metric: str = "l2", threads: int = 1) -> dict:
    import numpy as np
    import diskannpy

    from telos.memory.faults import fault

    vectors = np.load(directory / "vectors.npy")
    n = len(vectors)
    diskannpy.build_disk_index(
        data=np.ascontiguousarray(vectors, np.float32), distance_metric=metric,
        index_directory=str(directory), complexity=64, graph_degree=32,
        search_memory_maximum=max(0.01, n * vectors.shape[1] * 4 / 2**30 / 4),
        build_memory_maximum=1.0, num_threads=threads, pq_disk_bytes=0)
    fault("l2.built")
    files = sorted(p.name for p in directory.iterdir()
                   if p.is_file() and p.name not in (MANIFEST, "build.log", "vectors.npy"))
    manifest = {"count": n, "dim": int(vectors.shape[1]), "metric": metric,
                "files": {name: file_sha256(directory / name) for name in files}}
    tmp = directory / (MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / MANIFEST)
    for name in files:
        fd = os.open(directory / name, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    (directory / "vectors.npy").unlink()
    return manifest


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    metric = argv[1] if len(argv) > 1 else "l2"
    threads = int(argv[2]) if len(argv) > 2 else 1
    build(directory, metric=metric, threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
