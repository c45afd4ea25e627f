"""telos/standby.py without PostgreSQL: the home's records, the client configuration written for
a primary and its standby, promotion's bookkeeping, the heartbeat's counting, and the refusals
(the PostgreSQL tools are replaced by a recorder; a real failover: test_failover.py)."""

from __future__ import annotations

import json
import subprocess
import types

import pytest

from telos import pg, standby
from telos.errors import ConfigError


@pytest.fixture
def home(tmp_path):
    (tmp_path / "keys").mkdir()
    pg.passfile(tmp_path).write_text("127.0.0.1:5432:*:postgres:s3cret\n")
    state = {"port": 5432, "data": str(pg.data_dir(tmp_path)), "socket_dir": str(tmp_path / "run"),
             "database": "telos"}
    pg.state_file(tmp_path).write_text(json.dumps(state))
    return tmp_path.resolve()


@pytest.fixture
def tools(monkeypatch):
    """pg.run_tool recorded (returncode from ``rc``); bin_path is the bare name."""
    calls = []
    state = {"rc": 0}

    def run_tool(args, check=True, cwd=None, timeout=120):
        calls.append(args)
        return subprocess.CompletedProcess(args, state["rc"], "", "")
    monkeypatch.setattr(pg, "run_tool", run_tool)
    monkeypatch.setattr(pg, "bin_path", lambda name: name)
    return types.SimpleNamespace(calls=calls, state=state)


def _with_standby(home, **extra):
    state = pg.read_state(home)
    state["standby"] = {"port": 5433, "data": str(standby.standby_dir(home)), "sync": False,
                        **extra}
    standby._save_state(home, state)
    return state


def test_paths(tmp_path):
    assert standby.standby_dir(tmp_path) == tmp_path / "pg" / "standby"
    assert standby.storage_conf(tmp_path) == tmp_path / "storage.conf"
    assert standby.replicas_file(tmp_path) == tmp_path / "replicas.conf"


def test_the_client_conf_names_the_primary_first_and_both_in_the_passfile(home):
    state = _with_standby(home)
    standby._write_client_conf(home, state)
    assert standby.replicas_file(home).read_text() == "127.0.0.1:5432\n127.0.0.1:5433\n"
    assert pg.passfile(home).read_text() == ("127.0.0.1:5432:*:postgres:s3cret\n"
                                             "127.0.0.1:5433:*:postgres:s3cret\n")
    conf = standby.storage_conf(home).read_text()
    assert conf.startswith("%import relstorage\n") and "<relstorage>" in conf
    assert f"replica-conf {standby.replicas_file(home)}" in conf
    assert f"dsn user=postgres dbname=telos passfile={pg.passfile(home)}" in conf


def test_init_refuses_a_second_standby(home, tools):
    _with_standby(home)
    with pytest.raises(ConfigError, match="already has a standby \\(port 5433\\)"):
        standby.init(home)
    assert tools.calls == []


def test_init_refuses_when_the_primary_is_down(home, tools, monkeypatch):
    monkeypatch.setattr(pg, "is_running", lambda home: False)
    with pytest.raises(ConfigError, match="the primary is not running"):
        standby.init(home)
    assert tools.calls == []


def test_promote_needs_a_standby(home, tools):
    with pytest.raises(ConfigError, match="has no standby"):
        standby.promote(home)


def test_promote_records_the_new_primary_and_fences_the_old_one(home, tools):
    _with_standby(home)
    state = standby.promote(home)
    assert tools.calls == [
        ["pg_ctl", "-D", str(standby.standby_dir(home)), "-w", "-t", "60", "promote"],
        # a primary that was only slow must not keep taking writes beside the promoted one
        ["pg_ctl", "-D", str(pg.data_dir(home)), "-m", "immediate", "-w", "stop"]]
    saved = pg.read_state(home)
    assert saved["promoted"]["port"] == 5433 and saved["promoted"]["old_primary_port"] == 5432
    assert saved == state
    # clients try the promoted server first
    assert standby.replicas_file(home).read_text().splitlines() == ["127.0.0.1:5433",
                                                                    "127.0.0.1:5432"]


def test_after_a_promotion_the_old_primary_is_not_restarted_nor_watched(home, tools, monkeypatch):
    from telos.service import supervisor
    from tests.service.conftest import REPO
    import sys
    _with_standby(home)
    monkeypatch.setattr(standby, "primary_answers", lambda *a, **k: pytest.fail("heartbeat"))
    monkeypatch.setenv("TELOS_STORAGE", str(standby.storage_conf(home)))
    standby._write_client_conf(home, pg.read_state(home))
    conf = supervisor.write_supervisord_conf(home, REPO, sys.executable).read_text()
    assert "[program:standby-watch]" in conf
    standby.promote(home)
    assert standby.watch(home, interval=0.01) is None           # returns at once, no heartbeat
    conf = supervisor.write_supervisord_conf(home, REPO, sys.executable).read_text()
    assert "[program:standby-watch]" not in conf
    with pytest.raises(ConfigError, match="standby rebuild"):
        pg.start(home)


def test_rebuild_needs_a_promotion(home, tools):
    _with_standby(home)
    with pytest.raises(ConfigError, match="nothing to rebuild"):
        standby.rebuild(home)


def test_stop_without_a_standby_is_false(home, tools):
    assert standby.stop(home) is False and tools.calls == []


@pytest.mark.parametrize("rc, stopped", [(0, True), (1, False)])
def test_stop_reports_whether_pg_ctl_stopped_it(home, tools, rc, stopped):
    _with_standby(home)
    tools.state["rc"] = rc
    assert standby.stop(home) is stopped
    assert tools.calls[0][:4] == ["pg_ctl", "-D", str(standby.standby_dir(home)), "-m"]


def _heartbeats(monkeypatch, answers):
    answers = iter(answers)
    promoted = []
    monkeypatch.setattr(standby, "primary_answers", lambda home, timeout: next(answers))
    monkeypatch.setattr(standby, "promote", lambda home: promoted.append(home))
    monkeypatch.setattr(standby.time, "sleep", lambda s: None)
    return promoted


def test_watch_promotes_after_misses_in_a_row(home, monkeypatch, caplog):
    promoted = _heartbeats(monkeypatch, [True, False, False, True, False, False, False])
    when = standby.watch(home, interval=0.01, misses=3)
    assert promoted == [home] and isinstance(when, float)
    assert "primary heartbeat missed (3/3)" in caplog.text


def test_watch_stops_when_asked(home, monkeypatch):
    promoted = _heartbeats(monkeypatch, [True] * 10)
    ticks = iter([False, False, True])
    assert standby.watch(home, interval=0.01, misses=1, stop=lambda: next(ticks)) is None
    assert promoted == []
