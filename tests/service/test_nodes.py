"""The service on RelStorage (no ZEO), and two service nodes (two homes, two bridges) on one image."""

from __future__ import annotations

import os
import time

import pytest

from telos.bridge.client import BridgeClient
from tests.service.conftest import start_service
from tests.service.scripted import expected

pytestmark = pytest.mark.relstorage


def test_service_on_relstorage_answers_commits_and_remembers(tmp_path, pg_database):
    svc = start_service(tmp_path / "home", storage=pg_database)
    try:
        with BridgeClient(svc.endpoint, curve=None, timeout=60) as c:
            assert _until(lambda: c.status().status_text == "ready")
            assert c.status().connection.startswith("postgresql://postgres@127.0.0.1:")
            call = c.ask("alpha 5 0", persona="BRICK")
            assert [p.token for p in call] == expected("alpha", 5)
            ack = c.set_slot("colour", "teal", name="Object", note="on postgres")
            assert ack.thought_id
            c.remember("the lighthouse keeper feeds three grey cats", source="test")
            assert "cats" in c.search("who feeds the cats?", k=1).hits[0].text
        from telos.image import open_image
        import os
        os.environ["TELOS_STORAGE"] = pg_database
        try:
            other = open_image(home=tmp_path / "reader")
        finally:
            del os.environ["TELOS_STORAGE"]
        try:
            assert other.prototypes["Object"].colour == "teal"
            assert any(t.note == "on postgres" for t in other.thoughts(20))
        finally:
            other.close()
    finally:
        assert svc.stop() == 0, svc.log()[-3000:]


def _until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_two_nodes_on_one_image_see_each_others_thoughts_and_memories(tmp_path, pg_database):
    a = start_service(tmp_path / "node-a", storage=pg_database, ready=False)
    b = start_service(tmp_path / "node-b", storage=pg_database, ready=False)
    try:
        a.wait_ready()
        b.wait_ready()
        with BridgeClient(a.endpoint, curve=None, timeout=60) as ca, \
                BridgeClient(b.endpoint, curve=None, timeout=60) as cb:
            ca.set_slot("written_on", "a", name="Object", note="from node a")

            def seen_on_b():
                return any(s.name == "written_on" and s.value == "a"
                           for s in cb.inspect(name="Object").slots)
            assert _until(seen_on_b)
            cb.set_slot("answered_by", "b", name="Object")
            assert _until(lambda: any(s.name == "answered_by"
                                      for s in ca.inspect(name="Object").slots))
            rec = ca.remember("the lighthouse keeper feeds three grey cats", source="a").record_id
            cb.remember("quarterly tax forms are due in april", source="b")
            hits = cb.search("who feeds the cats?", k=2).hits    # node B's index catches up by tid
            assert hits and hits[0].record_id == rec
            assert "april" in ca.search("when are taxes due?", k=1).hits[0].text
    finally:
        codes = (a.stop(), b.stop())
        assert codes == (0, 0), a.log()[-2000:] + b.log()[-2000:]


def test_supervisord_runs_a_relstorage_service_without_zeo(pg_database, cli):
    import shutil
    from tests.service.conftest import SCRIPTED, short_dir
    home = short_dir("tsr")
    env = {"TELOS_HOME": str(home), "TELOS_STORAGE": pg_database, "TELOS_RESPONDER": SCRIPTED}
    try:
        out = cli("start", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        conf = (home / "supervisord.conf").read_text()
        assert "[program:zeo]" not in conf and "TELOS_STORAGE=" in conf
        st = cli("status", "--json", env=env)
        import json
        programs = {p["name"]: p["state"] for p in json.loads(st.stdout)["programs"]}
        assert set(programs) == {"service"}
        out = cli("remember", "the harbour master counts seven boats", env=env)
        assert "through the service" in out.stdout, out.stdout + out.stderr
    finally:
        cli("stop", env=env)
        shutil.rmtree(home, ignore_errors=True)


def test_a_lost_database_is_reported_in_status_and_the_service_recovers(tmp_path):
    """PostgreSQL goes away under a running service (its own cluster, stopped): status says
    so and health is not ok; when it is back, the service serves and commits again."""
    import shutil
    import tempfile
    from pathlib import Path
    from telos import pg
    if not pg.available():
        pytest.skip("PostgreSQL server binaries are not installed: apt-get install postgresql-15")
    pg_home = Path(tempfile.mkdtemp(prefix="tlost", dir="/tmp"))
    pg.init(pg_home)
    pg.start(pg_home)
    svc = start_service(tmp_path / "home", storage=pg.dsn(pg_home))
    try:
        with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
            assert _until(lambda: c.status().status_text == "ready")
            pg.stop(pg_home)
            st = _until(lambda: "database unreachable" in c.status().status_text and c.status(),
                        timeout=30)
            assert st, c.status().status_text
            import json
            import urllib.error
            import urllib.request
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(svc.info()["health"], timeout=5)
            assert err.value.code == 503 and json.loads(err.value.read())["database"] != "ok"
            pg.start(pg_home)
            assert _until(lambda: c.status().status_text == "ready", timeout=30)
            ack = _until(lambda: _try_set(c), timeout=30)
            assert ack and ack.thought_id
    finally:
        code = svc.stop()
        pg.stop(pg_home)
        shutil.rmtree(pg_home, ignore_errors=True)
    assert code == 0, svc.log()[-3000:]


def _try_set(c):
    from telos.errors import RemoteError
    try:
        return c.set_slot("after_outage", True, name="Object")
    except RemoteError:   # the first request after the outage may still meet a dead connection
        return None


def test_killed_database_connections_are_survived_without_a_restart(tmp_path, pg_cluster,
                                                                     pg_database):
    """The network between service and database drops every connection (PostgreSQL terminates
    the service's backends, as a failed link or a restarted proxy would): the service's next
    requests get through on new connections, with no restart and nothing lost."""
    from urllib.parse import urlsplit
    from telos import pg
    db = urlsplit(pg_database).path.lstrip("/")
    svc = start_service(tmp_path / "home", storage=pg_database)
    try:
        with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
            assert _until(lambda: c.status().status_text == "ready")
            before = c.set_slot("before_cut", 1, name="Object").thought_id
            conn = pg.connect(pg_cluster)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))
                    killed = sum(1 for (ok,) in cur.fetchall() if ok)
            finally:
                conn.close()
            assert killed >= 1, "the service held no database connection to cut"
            ack = _until(lambda: _try_set(c), timeout=30)
            assert ack and ack.thought_id and ack.thought_id != before
            view = c.inspect(name="Object")
            assert {s.name: s.value for s in view.slots}.get("before_cut") == 1
            assert _until(lambda: c.status().status_text == "ready", timeout=30)
    finally:
        code = svc.stop()
    assert code == 0, svc.log()[-3000:]


@pytest.mark.slow
def test_supervised_heartbeat_promotes_the_standby_and_the_service_keeps_serving(cli):
    """The operator's failover: `standby init --sync`, `start` on storage.conf — supervisord runs
    the service and the heartbeat. kill -9 the primary mid-workload: the supervised watch
    promotes the standby, the service keeps answering and committing through replica-conf, no
    acknowledged thought is lost, and `status` still reads ready."""
    import json
    import os
    import shutil
    import signal
    import threading
    from telos import pg, standby
    from telos.errors import BridgeError
    from tests.service.conftest import SCRIPTED, short_dir
    if not pg.available():
        pytest.skip("PostgreSQL server binaries are not installed: apt-get install postgresql-15")
    home = short_dir("tfs")
    env = {"TELOS_HOME": str(home), "TELOS_RESPONDER": SCRIPTED}
    try:
        assert cli("pg", "init", env=env).returncode == 0
        assert cli("pg", "start", env=env).returncode == 0
        out = cli("standby", "init", "--sync", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        env["TELOS_STORAGE"] = str(standby.storage_conf(home))
        out = cli("start", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        programs = {p["name"]: p["state"]
                    for p in json.loads(cli("status", "--json", env=env).stdout)["programs"]}
        assert set(programs) == {"service", "standby-watch"}, programs   # the service answers
        assert programs["standby-watch"] in ("STARTING", "RUNNING"), programs
        acked: list[int] = []
        failed: list[str] = []
        stop = threading.Event()

        def writer():
            with BridgeClient(home=home, curve=None, timeout=30) as c:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        c.set_slot("beat", i, name="Object", note=f"beat {i}")
                    except BridgeError as exc:      # the commit in flight at the moment of death
                        failed.append(str(exc))
                        time.sleep(0.1)
                        continue
                    acked.append(i)

        t = threading.Thread(target=writer)
        t.start()
        try:
            assert _until(lambda: len(acked) >= 20, timeout=30)
            at_kill = len(acked)
            pid = int((pg.data_dir(home) / "postmaster.pid").read_text().split()[0])
            for victim in [pid, *_children(pid)]:    # the machine dies: postmaster and backends
                os.kill(victim, signal.SIGKILL)
            assert _until(lambda: "promoted" in pg.read_state(home), timeout=60), \
                "the supervised heartbeat did not promote the standby"
            at_promotion = len(acked)
            assert _until(lambda: len(acked) >= at_promotion + 20, timeout=90), \
                (len(acked), failed[-3:])
        finally:
            stop.set()
            t.join(60)
        st = standby.status(home)
        assert st["promoted"]["takes_writes"] and st["primary"].startswith("down"), st
        with BridgeClient(home=home, curve=None, timeout=30) as c:
            assert _until(lambda: c.status().status_text == "ready", timeout=30)
            view = {s.name: s.value for s in c.inspect(name="Object").slots}
            assert view["beat"] == acked[-1]
        from telos.image import open_image
        os.environ["TELOS_STORAGE"] = env["TELOS_STORAGE"]
        try:
            image = open_image(home=home / "reader")
        finally:
            del os.environ["TELOS_STORAGE"]
        try:
            notes = {th.note for th in image.thoughts(len(acked) + 200)}
        finally:
            image.close()
        lost = [i for i in acked if not any(n.endswith(f"beat {i}") for n in notes)]
        print(f"\nservice failover drill: {len(acked)} acknowledged ({at_kill} before the kill, "
              f"{at_promotion} by the promotion), {len(lost)} lost, {len(failed)} refused in flight")
        assert lost == []
    finally:
        cli("stop", env=env)
        try:
            standby.stop(home)
            pg.stop(home)
        except Exception:  # noqa: BLE001 - the killed primary's pid file may outlive it
            pass
        shutil.rmtree(home, ignore_errors=True)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry))
    return out
