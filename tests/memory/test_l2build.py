"""telos/memory/l2build.py run in-process on a small export: the DiskANN files, the manifest
written last with every file's sha256, the exported vectors removed; its command line."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from telos.memory import l2build

N, DIM = 40, 8


def _export(directory, n=N):
    directory.mkdir()
    rng = np.random.default_rng(7)
    np.save(directory / "vectors.npy", rng.standard_normal((n, DIM)).astype(np.float32))
    np.save(directory / "ids.npy", np.arange(100, 100 + n, dtype=np.int64))
    return directory


def test_file_sha256(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * (3 << 20))               # more than one chunk
    assert l2build.file_sha256(path) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()


def test_a_build_writes_the_manifest_of_every_file_and_drops_the_export(tmp_path):
    d = _export(tmp_path / "build")
    manifest = l2build.build(d, metric="l2", threads=1)
    assert (manifest["count"], manifest["dim"], manifest["metric"]) == (N, DIM, "l2")
    assert not (d / "vectors.npy").exists()
    assert json.loads((d / l2build.MANIFEST).read_text()) == manifest
    listed = set(manifest["files"])
    on_disk = {p.name for p in d.iterdir()} - {l2build.MANIFEST, "build.log"}
    assert listed == on_disk and "ids.npy" in listed
    for name, digest in manifest["files"].items():
        assert l2build.file_sha256(d / name) == digest


@pytest.mark.parametrize("argv, metric, threads", [(["DIR"], "l2", 1),
                                                   (["DIR", "ip", "2"], "ip", 2)])
def test_main_reads_directory_metric_and_threads(monkeypatch, tmp_path, argv, metric, threads):
    seen = []
    monkeypatch.setattr(l2build, "build", lambda d, metric, threads: seen.append(
        (d, metric, threads)))
    argv = [str(tmp_path) if a == "DIR" else a for a in argv]
    assert l2build.main(argv) == 0
    assert seen == [(tmp_path, metric, threads)]
