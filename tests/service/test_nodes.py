"""The service on RelStorage (no ZEO), and two service nodes (two homes, two bridges) on one image."""

from __future__ import annotations

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
