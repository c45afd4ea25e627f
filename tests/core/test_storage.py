"""telos.storage (TELOS_STORAGE parsing) and telos.pg (the private PostgreSQL cluster)."""

from __future__ import annotations

import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from telos import storage
from telos.errors import ConfigError, ImageUnavailableError


def test_storage_setting_forms(telos_home, tmp_path, monkeypatch):
    assert storage.configured() == storage.StorageSpec("file", (telos_home / "telos.fs").resolve())
    monkeypatch.setenv("TELOS_ZEO", "127.0.0.1:8100")            # the older setting still works
    assert storage.configured() == storage.StorageSpec("zeo", ("127.0.0.1", 8100))
    monkeypatch.setenv("TELOS_STORAGE", f"file:{tmp_path / 'x.fs'}")  # and TELOS_STORAGE wins
    assert storage.configured().target == tmp_path / "x.fs"
    assert storage.parse("zeo:/run/z.sock").target == "/run/z.sock"
    dsn = "postgresql://u:secret@127.0.0.1:5432/telos"
    spec = storage.parse(dsn)
    assert spec.is_relstorage and "secret" not in spec.describe()
    assert sorted(storage.keyword_dsn(dsn + "?passfile=/p").split()) == sorted([
        "user=u", "password=secret", "dbname=telos", "host=127.0.0.1", "port=5432", "passfile=/p",
        f"connect_timeout={storage.CONNECT_TIMEOUT_S}"])
    assert "connect_timeout=2" in storage.keyword_dsn(dsn + "?connect_timeout=2")   # kept
    with pytest.raises(ConfigError, match="TELOS_STORAGE='mysql://x'"):
        storage.parse("mysql://x")
    with pytest.raises(ConfigError, match="no such ZConfig file"):
        storage.parse(str(tmp_path / "missing.conf"))


def test_unreachable_postgresql_is_one_clear_error(telos_home, monkeypatch):
    from telos import open_image
    from telos.pg import free_port
    monkeypatch.setenv("TELOS_STORAGE", f"postgresql://postgres@127.0.0.1:{free_port()}/telos")
    with pytest.raises(ImageUnavailableError, match="PostgreSQL does not answer.*pg start"):
        open_image()


@pytest.mark.relstorage
def test_pg_and_standby_commands(cli, pg_cluster):
    home = Path(tempfile.mkdtemp(prefix="tpc", dir="/tmp"))   # pytest's tmp root is 0700: postgres can't reach it
    env = {"TELOS_HOME": str(home)}
    try:
        assert cli("pg", "status", env=env).returncode == 1            # no cluster yet
        out = cli("pg", "init", env=env)
        assert out.returncode == 0, out.stderr
        assert stat.S_IMODE(home.stat().st_mode) == 0o711              # traversable, not listable
        assert (home / "pg").stat().st_uid == pwd.getpwnam("postgres").pw_uid
        assert cli("pg", "status", env=env).returncode == 3            # stopped
        out = cli("pg", "start", env=env)
        assert out.returncode == 0, out.stderr
        out = cli("pg", "status", env=env)
        assert out.returncode == 0 and "running" in out.stdout
        dsn = out.stdout.split("TELOS_STORAGE=", 1)[1].strip()
        assert dsn.startswith("postgresql://postgres@127.0.0.1:") and "keys/pgpass" in dsn
        out = cli("awaken", env={**env, "TELOS_STORAGE": dsn})
        assert out.returncode == 0 and "postgresql://" in out.stdout, out.stderr
        assert stat.S_IMODE(home.stat().st_mode) == 0o711              # the CLI keeps it so
        out = cli("standby", "init", "--sync", env=env)
        assert out.returncode == 0 and f"TELOS_STORAGE={home}/storage.conf" in out.stdout, out.stderr
        out = cli("standby", "status", env=env)
        assert "telos_standby: streaming, sync" in out.stdout, out.stdout + out.stderr
        out = cli("awaken", env={**env, "TELOS_STORAGE": f"{home}/storage.conf"})
        assert out.returncode == 0 and "zconfig:" in out.stdout, out.stderr
        assert cli("standby", "stop", env=env).stdout.strip() == "stopped"
        assert cli("pg", "stop", env=env).stdout.strip() == "stopped"
    finally:
        cli("standby", "stop", env=env)
        cli("pg", "stop", env=env)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.relstorage
def test_processes_opening_a_new_database_at_once_all_succeed(pg_database):
    """Each opener of a new database creates its schema and its root object: the losers of
    those races open again and find what the winner made (as two nodes starting together)."""
    import threading
    spec, errors = storage.parse(pg_database), []

    def open_close():
        try:
            storage.open_db(spec).close()
        except Exception as exc:  # noqa: BLE001 -- collected for the assertion
            errors.append(repr(exc))
    threads = [threading.Thread(target=open_close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
