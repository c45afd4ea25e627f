"""telos/pg.py without a running cluster: where a home keeps its cluster, the state file and its
errors, the DSN, database names, finding the server tools, and a failing tool's message (a real
cluster: the ``relstorage`` marker in test_storage.py and test_failover.py)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from telos import pg
from telos.errors import ConfigError


def _state(home: Path, **extra) -> dict:
    state = {"port": 54321, "data": str(pg.data_dir(home)), "socket_dir": str(home / "run"),
             "database": "telos", **extra}
    pg.state_file(home).write_text(json.dumps(state))
    return state


def test_a_homes_cluster_paths(tmp_path):
    assert pg.pg_dir(tmp_path) == tmp_path / "pg"
    assert pg.data_dir(tmp_path) == tmp_path / "pg" / "data"
    assert pg.state_file(tmp_path) == tmp_path / "pg.json"
    assert pg.passfile(tmp_path) == tmp_path / "keys" / "pgpass"


@pytest.mark.parametrize("content", [None, "{broken"])
def test_no_state_says_how_to_make_a_cluster(tmp_path, content):
    if content is not None:
        pg.state_file(tmp_path).write_text(content)
    with pytest.raises(ConfigError, match=r"no PostgreSQL cluster in .*master_forge.py pg init"):
        pg.read_state(tmp_path)


def test_read_state(tmp_path):
    state = _state(tmp_path)
    assert pg.read_state(tmp_path) == state


def test_the_primary_data_dir_follows_a_failover(tmp_path):
    assert pg.primary_data(tmp_path) == pg.data_dir(tmp_path)          # no state yet
    _state(tmp_path, data=str(tmp_path / "standby" / "data"))
    assert pg.primary_data(tmp_path) == tmp_path / "standby" / "data"
    pg.state_file(tmp_path).write_text(json.dumps({"port": 1}))        # no "data" key
    assert pg.primary_data(tmp_path) == pg.data_dir(tmp_path)


def test_the_dsn_names_port_database_and_passfile(tmp_path):
    _state(tmp_path)
    home = tmp_path.resolve()
    assert pg.dsn(tmp_path) == (f"postgresql://postgres@127.0.0.1:54321/telos"
                                f"?passfile={home / 'keys' / 'pgpass'}")
    assert pg.dsn(tmp_path, "other").startswith("postgresql://postgres@127.0.0.1:54321/other?")


@pytest.mark.parametrize("name, ok", [("telos", True), ("t_node_2", True), ("bad-name", False),
                                      ('x"; DROP', False), ("", False)])
def test_database_names_are_letters_digits_and_underscores(name, ok):
    if ok:
        assert pg._ident(name) == name
    else:
        with pytest.raises(ConfigError, match="letters, digits and _ only"):
            pg._ident(name)


def test_a_cluster_without_a_data_dir_is_not_running(tmp_path):
    assert pg.is_running(tmp_path) is False


def test_bin_path_prefers_path_then_the_newest_debian_version(monkeypatch):
    monkeypatch.setattr(pg.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert pg.bin_path("initdb") == "/usr/bin/initdb"
    monkeypatch.setattr(pg.shutil, "which", lambda name: None)
    monkeypatch.setattr(pg.glob, "glob", lambda pattern: [
        "/usr/lib/postgresql/9/bin/initdb", "/usr/lib/postgresql/15/bin/initdb",
        "/usr/lib/postgresql/13/bin/initdb"])
    assert pg.bin_path("initdb") == "/usr/lib/postgresql/15/bin/initdb"


def test_missing_server_tools_say_how_to_install_them(monkeypatch):
    monkeypatch.setattr(pg.shutil, "which", lambda name: None)
    monkeypatch.setattr(pg.glob, "glob", lambda pattern: [])
    with pytest.raises(ConfigError, match="PostgreSQL's pg_ctl is not installed .*apt-get install"):
        pg.bin_path("pg_ctl")
    assert pg.available() is False


def test_a_failing_tool_is_a_postgres_error_with_its_output(monkeypatch):
    monkeypatch.setattr(pg, "_as_cluster_user", lambda: [])
    with pytest.raises(pg.PostgresError, match=r"sh failed \(3\): the tool said no"):
        pg.run_tool(["sh", "-c", "echo 'the tool said no' >&2; exit 3"])
    done = pg.run_tool(["sh", "-c", "exit 4"], check=False)
    assert done.returncode == 4


def test_free_port_can_be_bound():
    port = pg.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
