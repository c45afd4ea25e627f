"""telos/vsa/facade.py (``image.vsa``) inside a real image: persistence, the transactional cleanup
index, faults."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from telos.errors import DimensionMismatchError, UnknownSymbolError, VSAError
from telos.vsa.hypervector import Hypervector

FACTS = {
    "france": {"name": "France", "kind": "country", "capital": "Paris", "currency": "Euro", "language": "French"},
    "japan": {"name": "Japan", "kind": "country", "capital": "Tokyo", "currency": "Yen", "language": "Japanese"},
    "mexico": {"name": "Mexico", "kind": "country", "capital": "MexicoCity", "currency": "Peso", "language": "Spanish"},
    "lyon": {"name": "Lyon", "kind": "city", "country": "France"},
}


def _load(image):
    with image.thought("facts"):
        for key, fields in FACTS.items():
            image.vsa.record(key, fields)


def test_genesis_prototypes_and_determinism(image, tmp_path):
    vsa = image.vsa
    assert image.prototypes["Codebook"] is vsa.codebook
    assert isinstance(image.prototypes["Hypervector"], Hypervector)
    assert vsa.dimension == 10_000
    with image.thought("symbols"):
        a = vsa.symbol("Paris")
        b = vsa.symbol("capital")
    # a second, independent image with the same seed agrees on every symbol, in any order
    from telos import open_image
    other = open_image(tmp_path / "other.fs")
    try:
        with other.thought("symbols"):
            b2 = other.vsa.symbol("capital")
            a2 = other.vsa.symbol("Paris")
        np.testing.assert_array_equal(a.array, a2.array)
        np.testing.assert_array_equal(b.array, b2.array)
    finally:
        other.close()
    assert not a.array.flags.writeable          # stored frozen: in-place edits are impossible
    assert a.bind(b).unbind(b).similarity(a) > 0.999


def test_persistence_across_reopen_is_exact(telos_home):
    from telos import open_image
    im = open_image()
    _load(im)
    before = {k: im.vsa.codebook.records[k].array.copy() for k in FACTS}
    sym = im.vsa.symbol("Paris").array.copy()
    im.close()
    im = open_image()
    try:
        for k, arr in before.items():
            stored = im.vsa.codebook.records[k]
            assert stored.array.dtype == np.complex64 and type(stored.array) is np.ndarray
            np.testing.assert_array_equal(stored.array, arr)
            assert stored.fields["name"] == FACTS[k]["name"]
        np.testing.assert_array_equal(im.vsa.symbol("Paris", create=False).array, sym)
        assert im.vsa.ask("currency of the country whose capital is Paris").value == "Euro"
        assert im.vsa.ask("language of the country of Lyon").value == "French"
        assert im.vsa.check_index()["consistent"]
    finally:
        im.close()


def test_pickled_state_holds_no_tensor(image):
    _load(image)
    hv = image.vsa.codebook.records["japan"]
    _ = hv.tensor                                  # build the volatile cache
    state = hv.__getstate__()
    assert "_v_tensor" not in state
    import torch
    assert not any(isinstance(v, torch.Tensor) for v in state.values())


def test_cleanup_and_queries(image):
    _load(image)
    vsa = image.vsa
    noisy = vsa.codebook.records["japan"].unbind(vsa.symbol("currency"))
    top = vsa.cleanup(noisy, kind="symbol", k=2)
    assert top[0].key == "Yen" and top[0].score > top[1].score
    assert vsa.cleanup(noisy, k=1)[0].key == "Yen"
    rec = vsa.cleanup(vsa.symbol("capital").bind(vsa.symbol("Tokyo")), kind="record")[0]
    assert rec.key == "japan"
    assert vsa.ask("capital of Mexico").value == "MexicoCity"
    with pytest.raises(UnknownSymbolError):
        vsa.ask("capital of Atlantis")
    with pytest.raises(DimensionMismatchError):
        vsa.cleanup(np.ones(10, np.complex64))
    with pytest.raises(VSAError, match="unknown kind"):
        vsa.cleanup(noisy, kind="thing")


def test_aborted_thought_leaves_index_and_image_unchanged(image):
    _load(image)
    vsa = image.vsa
    n_entries = len(vsa.codebook.entries)
    with pytest.raises(RuntimeError):
        with image.thought("doomed"):
            vsa.record("atlantis", {"name": "Atlantis", "capital": "Poseidonia", "currency": "Orichalcum"})
            raise RuntimeError("changed my mind")
    assert "atlantis" not in vsa.codebook.records and not vsa.knows("Poseidonia")
    assert len(vsa.codebook.entries) == n_entries
    report = vsa.check_index()
    assert report["consistent"] and report["indexed"] == n_entries
    probe = vsa.symbol  # the aborted symbols are not searchable either
    with image.thought("again"):
        vsa.record("atlantis", {"name": "Atlantis", "capital": "Poseidonia", "currency": "Orichalcum"})
    assert vsa.ask("currency of the record whose capital is Poseidonia").value == "Orichalcum"
    assert probe("Poseidonia", create=False) is not None
    assert vsa.check_index()["consistent"]


def test_rebuild_after_index_files_are_destroyed(telos_home):
    from telos import open_image
    im = open_image()
    _load(im)
    n = len(im.vsa.codebook.entries)
    im.close()
    d = telos_home / "index" / "vsa-cleanup"
    for f in d.iterdir():
        if f.is_file() and f.name != "owner.lock":
            f.write_bytes(b"garbage")
    im = open_image()
    try:
        assert im.vsa.check_index() == {"consistent": True, "entries": n, "indexed": n,
                                        "missing": [], "extra": []}
        assert im.vsa.ask("currency of the country whose capital is Tokyo").value == "Yen"
    finally:
        im.close()


CHILD = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    from telos import open_image
    im = open_image()
    with im.thought("base"):
        im.vsa.record("france", {"name": "France", "capital": "Paris", "currency": "Euro"})
    with im.thought("crashing"):
        im.vsa.record("japan", {"name": "Japan", "capital": "Tokyo", "currency": "Yen"})
    im.close()
    sys.exit(3)   # only reached when the fault point did not fire
""")


@pytest.mark.parametrize("point", ["dm.tpc_vote.before", "dm.tpc_vote.after_fsync",
                                   "dm.tpc_finish.before", "dm.tpc_finish.after"])
def test_sigkill_during_commit_keeps_index_consistent(telos_home, point):
    env = dict(os.environ, TELOS_HOME=str(telos_home), TELOS_MEMORY_FAULT=f"{point}:2",
               OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    from telos import open_image
    im = open_image()
    try:
        vsa = im.vsa
        committed = "japan" in vsa.codebook.records
        assert committed == (point in ("dm.tpc_finish.before", "dm.tpc_finish.after"))
        report = vsa.check_index()
        assert report["consistent"], report
        assert vsa.ask("currency of the record whose capital is Paris").value == "Euro"
        if committed:
            assert vsa.ask("currency of the record whose capital is Tokyo").value == "Yen"
        else:
            assert not vsa.knows("Tokyo")
    finally:
        im.close()


def test_the_image_cleanup_index_is_the_conformant_transactional_index(image):
    """Production cleanup is a TxVectorIndex over telos.index.FaissIndex ('ip'): the kind and
    wrapper the conformance suite checks (tests/index/test_faiss_index.py, tests/index/test_txindex.py)."""
    from telos.index import FaissIndex
    from telos.memory.txindex import TxVectorIndex
    from telos.vsa import algebra
    _load(image)
    index = image.vsa.index
    assert isinstance(index, TxVectorIndex) and index.kind is FaissIndex and index.metric == "ip"
    yen = image.vsa.symbol("Yen")
    hit = index.search(algebra.to_real(yen.array), 1)[0][0]
    assert -hit.distance == pytest.approx(1.0, abs=1e-4)          # score = -distance
    assert image.vsa.cleanup(yen, k=1)[0].score == pytest.approx(-hit.distance)
