"""migrate: FileStorage -> RelStorage -> FileStorage with zodbconvert, verified by content."""

from __future__ import annotations

import pytest

from telos import UvmObject, open_image

def _thoughts(image):
    return [(t.id, t.note) for t in image.thoughts(100)]


@pytest.mark.relstorage
def test_migrate_there_and_back_keeps_every_thought(telos_home, pg_database, cli, monkeypatch):
    image = open_image()
    with image.thought("one"):
        image.register("Thing", UvmObject(v=1))
    first = image.last_thought
    with image.thought("two"):
        image.prototypes["Thing"].v = 2
    before = _thoughts(image)
    image.close()

    out = cli("migrate", "--to", pg_database)
    assert out.returncode == 0, out.stderr
    assert "verified" in out.stdout and "migrate: copying" in out.stderr
    assert "Copied transactions" in out.stderr                      # zodbconvert's progress

    monkeypatch.setenv("TELOS_STORAGE", pg_database)
    pg_image = open_image()
    try:
        assert _thoughts(pg_image) == before                       # same tids, same notes
        thing = pg_image.prototypes["Thing"]
        assert pg_image.at(first).prototypes["Thing"].v == 1 and thing.v == 2
        assert [r.state["v"] for r in pg_image.history(thing)] == [2, 1]
        with pg_image.thought("three, on postgres"):
            thing.v = 3
        after = _thoughts(pg_image)
    finally:
        pg_image.close()

    back = telos_home / "back.fs"
    out = cli("migrate", "--to", f"file:{back}", env={"TELOS_STORAGE": pg_database})
    assert out.returncode == 0, out.stderr
    monkeypatch.setenv("TELOS_STORAGE", f"file:{back}")
    image = open_image()
    try:
        assert _thoughts(image) == after and image.prototypes["Thing"].v == 3
        image.undo(after[0][0])                                   # undo still works on the copy
        assert image.prototypes["Thing"].v == 2
    finally:
        image.close()


@pytest.mark.relstorage
def test_verify_names_a_copy_that_differs(telos_home, pg_database):
    from telos import migrate, storage
    image = open_image()
    image.close()
    src, dst = storage.parse("file:"), storage.parse(pg_database)
    migrate.migrate(src, dst, say=lambda m: None)
    db = storage.open_db(dst)
    try:
        with db.transaction() as conn:
            conn.root()["extra"] = 1                               # the copy moves on alone
    finally:
        db.close()
    report = migrate.verify(src, dst, migrate.Report("a", "b"), lambda m: None)
    assert not report.ok and any("last tid" in m for m in report.mismatches)
    with pytest.raises(Exception, match="exists"):
        migrate.migrate(dst, storage.parse(f"file:{telos_home / 'telos.fs'}"), say=lambda m: None)


def test_a_zconfig_storage_such_as_the_standbys_is_a_zodbconvert_source(tmp_path):
    """Backups of a RelStorage image behind ``storage.conf`` (the standby's replica-conf file)
    convert from that file's own section — parsed here by zodbconvert's own schema."""
    from io import StringIO
    import ZConfig
    from relstorage.zodbconvert import schema_xml
    from telos import migrate
    from telos.storage import parse
    conf = tmp_path / "storage.conf"
    conf.write_text(
        "%import relstorage\n"
        "# TelOS: the home's primary and its standby (telos.standby); use as TELOS_STORAGE\n"
        "<relstorage>\n  keep-history true\n"
        f"  replica-conf {tmp_path / 'replicas.conf'}\n"
        "  <postgresql>\n    driver psycopg2\n    dsn user=postgres dbname=telos\n"
        "  </postgresql>\n</relstorage>\n")
    section = migrate.zconfig_section(parse(str(conf)), read_only=True)
    assert "%import" not in section and "read-only true" in section
    text = ("%import relstorage\n" + migrate._wrap("source", section)
            + migrate._wrap("destination", migrate.zconfig_section(
                parse(f"file:{tmp_path / 'mirror.fs'}"), read_only=False)))
    schema = ZConfig.loadSchemaFile(StringIO(schema_xml))
    config, _ = ZConfig.loadConfigFile(schema, StringIO(text))
    assert config.source.config.replica_conf == str(tmp_path / "replicas.conf")
    assert config.source.config.read_only is True and config.source.config.keep_history is True
