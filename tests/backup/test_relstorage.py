"""Backups of an image on RelStorage: a FileStorage mirror kept by zodbconvert --incremental,
then repozo as for any image; the drill and a restore prove it."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.relstorage


def test_backup_of_a_relstorage_image_restores_and_drills(telos_home, pg_database, key_env,
                                                         monkeypatch, tmp_path):
    from telos import UvmObject, open_image
    from telos.migrate import mirror_path
    monkeypatch.setenv("TELOS_STORAGE", pg_database)
    image = open_image()
    try:
        with image.thought("backup policy for tests"):
            image.backups.manager.drill = "full"
        with image.thought("first"):
            image.register("Thing", UvmObject(v=1))
        full = image.backups.backup(full=True)
        assert full.set is not None and full.kind == "full"
        assert mirror_path(telos_home).exists()
        assert image.backups.manager.last_verify["ok"]               # the restore drill opened it
        time.sleep(1.1)                                               # repozo: one set per second
        with image.thought("second"):
            image.prototypes["Thing"].v = 2
        last = image.last_thought
        inc = image.backups.backup(full=False)
        assert inc.kind == "incremental" and inc.set is not None
        restored = image.backups.restore(to=tmp_path / "restored")
    finally:
        image.close()
    copy = open_image(restored.image, awaken=False, home=tmp_path / "restored")
    try:
        assert copy.prototypes["Thing"].v == 2
        assert copy.thoughts(1)[0].id == last                        # the same tid as on PostgreSQL
    finally:
        copy.close()
