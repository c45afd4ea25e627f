"""Each fault is detected with a clear message, and restore falls back to the newest good set.

The scenario (real repozo on a real FileStorage): chain A = full #1, incremental #2;
chain B = full #3, incrementals #4 and #5. Every test damages a fresh copy of it.
"""

from __future__ import annotations

import json
import shutil

import pytest

from telos.backup.catalog import load_sets
from telos.backup.engine import make_backup
from telos.backup.keys import BackupKeys
from telos.backup.restore import restore
from telos.backup.verify import verify
from telos.errors import BackupKeyError, RestoreError

from .conftest import KEY_HEX, Workload, data_file, flip_byte, restored_tid

KEYS = BackupKeys(bytes.fromhex(KEY_HEX), source="test")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    base = tmp_path_factory.mktemp("scenario")
    (base / "img").mkdir()
    w = Workload(base / "img" / "Data.fs")
    dest = base / "dest"
    dest.mkdir()
    tids = {}
    try:
        for seq, full in ((1, True), (2, False), (3, True), (4, False), (5, False)):
            tids[seq] = w.commit(4)
            r = make_backup(w.path, dest, KEYS, full=full)
            assert r.set.seq == seq and r.kind == ("full" if full else "incremental")
            assert r.set.manifest["tid"] == tids[seq]
    finally:
        w.close()
    return dest, tids


@pytest.fixture
def copy(scenario, tmp_path):
    src, tids = scenario
    dest = tmp_path / "dest"
    shutil.copytree(src, dest)
    sets = {s.seq: s for s in load_sets(dest, KEYS)}
    return dest, tids, sets


def _restore(dest, tmp_path, **kw):
    return restore(dest, kw.pop("keys", KEYS), tmp_path / "out" / "telos.fs", **kw)


def test_intact_scenario_verifies_and_restores_newest(copy, tmp_path):
    dest, tids, _ = copy
    report = verify(dest, KEYS, drill_sets="chains")
    assert report.ok, report.lines()
    res = _restore(dest, tmp_path)
    assert res.set.seq == 5 and restored_tid(res) == tids[5] and not res.refused


def test_byte_flipped_in_newest_full(copy, tmp_path):
    dest, tids, sets = copy
    flip_byte(data_file(sets[3]))
    report = verify(dest, KEYS)
    assert not report.ok
    assert any("does not match its sha256" in p and sets[3].manifest["repozo"]["file"] in p
               for p in report.problems)
    res = _restore(dest, tmp_path)
    assert res.set.seq == 2 and restored_tid(res) == tids[2]
    assert [why for _, why in res.refused][0].count("sha256") == 1
    assert len(res.refused) == 3   # #5, #4 and #3 all need the damaged full


def test_byte_flipped_in_one_incremental(copy, tmp_path):
    dest, tids, sets = copy
    flip_byte(data_file(sets[4]))
    res = _restore(dest, tmp_path)
    assert res.set.seq == 3 and restored_tid(res) == tids[3]
    assert "damaged" in res.refused[0][1]


def test_truncated_incremental(copy, tmp_path):
    dest, tids, sets = copy
    f = data_file(sets[5])
    f.write_bytes(f.read_bytes()[:-100])
    report = verify(dest, KEYS)
    assert any("truncated" in p for p in report.problems)
    res = _restore(dest, tmp_path)
    assert res.set.seq == 4 and restored_tid(res) == tids[4]


def test_missing_file(copy, tmp_path):
    dest, tids, sets = copy
    data_file(sets[5]).unlink()
    report = verify(dest, KEYS)
    assert any("is missing" in p for p in report.problems)
    res = _restore(dest, tmp_path)
    assert res.set.seq == 4 and restored_tid(res) == tids[4]


def test_edited_manifest(copy, tmp_path):
    dest, tids, sets = copy
    path = sets[5].path / "manifest.json"
    m = json.loads(path.read_text())
    m["objects"] += 1
    path.write_text(json.dumps(m))
    report = verify(dest, KEYS)
    assert any("fails its MAC check" in p for p in report.problems)
    res = _restore(dest, tmp_path)
    assert res.set.seq == 4 and restored_tid(res) == tids[4]
    assert any("MAC" in why for _, why in res.refused)


def test_chain_with_one_set_removed(copy, tmp_path):
    dest, tids, sets = copy
    data_file(sets[4]).unlink()
    shutil.rmtree(sets[4].path)
    report = verify(dest, KEYS)
    assert any("#4..#4 are missing" in p for p in report.problems), report.problems
    res = _restore(dest, tmp_path)
    assert res.set.seq == 3 and restored_tid(res) == tids[3]
    assert "chain is broken" in res.refused[0][1]


def test_newest_set_removed_is_noticed_through_head(copy):
    dest, _, sets = copy
    data_file(sets[5]).unlink()
    shutil.rmtree(sets[5].path)
    report = verify(dest, KEYS)
    assert any("HEAD names set #5" in p for p in report.problems)


def test_wrong_and_missing_key(copy, tmp_path, monkeypatch, telos_home):
    dest, _, _ = copy
    wrong = BackupKeys(b"\x01" * 32, source="wrong")
    report = verify(dest, wrong)
    assert not report.ok and all("wrong key" in p for p in report.problems if "set " in p)
    with pytest.raises(RestoreError, match="wrong key"):
        _restore(dest, tmp_path, keys=wrong)
    assert not (tmp_path / "out" / "telos.fs").exists()
    from telos.backup.keys import load_keys
    monkeypatch.delenv("TELOS_BACKUP_KEY", raising=False)
    with pytest.raises(BackupKeyError, match="no backup key"):
        load_keys(telos_home)


def test_drill_catches_what_plain_repozo_misses(copy, tmp_path):
    """Damage an incremental *and* re-sign its manifest (as a bug or a key holder could): the
    sha256 check passes, plain ``repozo -R`` recovers silently, but ``-w`` refuses it."""
    from telos.backup import repozo
    from telos.backup.manifest import sha256_file, sign
    dest, tids, sets = copy
    target = sets[5]
    f = data_file(target)
    flip_byte(f, offset=f.stat().st_size - 40)
    m = dict(target.manifest)
    rel = f.relative_to(target.chain_dir).as_posix()
    m["files"] = dict(m["files"], **{rel: dict(m["files"][rel], sha256=sha256_file(f))})
    (target.path / "manifest.json").write_bytes(sign(m, KEYS))
    plain = tmp_path / "plain.fs"
    repozo.recover(target.chain_dir / "repozo", plain, verify=False)   # no error at all
    assert plain.exists()
    res = _restore(dest, tmp_path)
    assert res.set.seq == 4 and restored_tid(res) == tids[4]
    assert "repozo recover" in res.refused[0][1] and "checksum" in res.refused[0][1]


def test_nothing_restorable_is_a_clear_error(copy, tmp_path):
    dest, _, sets = copy
    flip_byte(data_file(sets[1]))
    flip_byte(data_file(sets[3]))
    with pytest.raises(RestoreError, match="could be restored.*sha256"):
        _restore(dest, tmp_path)
