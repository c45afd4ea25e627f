"""Round trip on a real image: thoughts with backups along the way, the image deleted, restored
at several points in time, each equal to ``image.at(that time)`` taken before the deletion.
Plus the backup standard: an unencrypted set restores with plain repozo and opens with plain ZODB."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from telos.backup import restore_home
from telos.reflect import mirror


def plain(value):
    from persistent.list import PersistentList
    from persistent.mapping import PersistentMapping
    from telos.uvm import UvmObject
    if isinstance(value, UvmObject):
        return ("obj", value._id)
    if isinstance(value, (dict, PersistentMapping)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, PersistentList)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):      # numpy arrays (hypervectors)
        return ("array", str(value.dtype), value.tolist())
    if getattr(value, "_p_oid", None) is not None:                  # other persistent objects
        return ("persistent", type(value).__name__, value._p_oid, value._p_serial)
    return value


def content(image) -> dict:
    out = {}
    for name, proto in image.prototypes.items():
        out[name] = {k: plain(v) for k, v in mirror(proto).data().items()}
    return out


def _thoughts(image, k: int) -> None:
    from telos.uvm import UvmObject
    for j in range(3):
        with image.thought(f"round {k} thought {j}", user="test"):
            obj = UvmObject(text=f"memory {k}.{j}", weight=k * 10 + j, tags=[k, j])
            image.register(f"Thought{k}_{j}", obj)
            image.prototypes["Object"].counter = k * 10 + j


@pytest.fixture
def quiet_policy(image, key_env):
    with image.thought("backup policy for tests"):
        image.backups.manager.drill = "never"
    return image


def test_round_trip_at_several_points(quiet_policy, telos_home, tmp_path):
    image = quiet_policy
    points = []
    for k in range(4):
        _thoughts(image, k)
        time.sleep(0.01)
        when = dt.datetime.now(dt.timezone.utc)
        points.append(when)
        time.sleep(0.01)
        result = image.backups.backup(full=(k == 2))
        assert result.set is not None and result.kind == ("full" if k in (0, 2) else "incremental")
    expected = []
    for when in points:
        view = image.at(when)
        expected.append(content(view))
    assert expected[0] != expected[-1] and "Thought3_2" in expected[-1] and "Thought1_0" not in expected[0]
    dest = image.backups.destination()
    image.close()
    for f in telos_home.glob("telos.fs*"):
        f.unlink()

    from telos.image import open_image
    for i, when in enumerate(points):
        out = tmp_path / f"restored{i}"
        res = restore_home(telos_home, at=when, to=out, dest=dest)
        assert not res.refused
        restored = open_image(out / "telos.fs", read_only=True)
        try:
            assert content(restored) == expected[i]
        finally:
            restored.close()
    # no --to: the image goes back into the (emptied) home
    res = restore_home(telos_home, dest=dest)
    assert (telos_home / "telos.fs").exists() and res.moved_aside == []
    again = open_image(telos_home / "telos.fs", read_only=True)
    try:
        assert content(again) == expected[-1]
    finally:
        again.close()
    # restoring over an existing image moves it aside instead of overwriting it
    res = restore_home(telos_home, at=points[0], dest=dest)
    assert [p.name for p in res.moved_aside][0].startswith("telos.fs.before-restore-")


def test_live_image_in_use_is_refused(quiet_policy, telos_home):
    from telos.errors import RestoreError
    quiet_policy.backups.backup()
    with pytest.raises(RestoreError, match="in use"):
        restore_home(telos_home, dest=quiet_policy.backups.destination())


def test_plain_repozo_and_plain_zodb_without_our_code(quiet_policy, tmp_path):
    image = quiet_policy
    _thoughts(image, 0)
    image.backups.backup()
    _thoughts(image, 1)
    r = image.backups.backup()
    tid, objects = r.set.manifest["tid"], r.set.manifest["objects"]
    repo = r.set.chain_dir / "repozo"
    out = tmp_path / "plain" / "Data.fs"
    out.parent.mkdir()
    script = (
        "import sys, ZODB, ZODB.scripts.repozo as rz\n"
        "assert not any('telos' in m for m in sys.modules)\n"
        f"rz.main(['-R', '-r', {str(repo)!r}, '-o', {str(out)!r}])\n"
        "from ZODB.FileStorage import FileStorage\n"
        f"st = FileStorage({str(out)!r}, read_only=True); db = ZODB.DB(st)\n"
        "root = db.open().root()\n"
        "assert not any(m.startswith('telos') for m in sys.modules), 'our code was imported'\n"
        "print(st.lastTransaction().hex(), len(st), sorted(root.keys()))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got_tid, got_objects, keys = proc.stdout.split(" ", 2)
    assert got_tid == tid and int(got_objects) == objects and "'prototypes'" in keys
