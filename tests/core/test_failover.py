"""Failover drill: kill -9 the primary PostgreSQL mid-workload; the heartbeat promotes the
synchronous standby; the writer keeps committing through replica-conf; no acknowledged thought
is lost; then the old primary is rebuilt as the new standby. Prints the drill's figures (run
with -s to see them)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.relstorage]


@pytest.fixture
def primary_and_standby(monkeypatch):
    from telos import pg, standby
    if not pg.available():
        pytest.skip("PostgreSQL server binaries are not installed: apt-get install postgresql-15")
    home = Path(tempfile.mkdtemp(prefix="tfo", dir="/tmp"))
    monkeypatch.setenv("TELOS_HOME", str(home))
    pg.init(home)
    pg.start(home)
    standby.init(home, sync=True)
    monkeypatch.setenv("TELOS_STORAGE", str(standby.storage_conf(home)))
    try:
        yield home
    finally:
        standby.stop(home)
        try:
            pg.stop(home)
        except pg.PostgresError:   # the primary the drill killed: its pid file outlived it
            pass
        shutil.rmtree(home, ignore_errors=True)


def test_kill_9_primary_promotes_standby_and_loses_no_acknowledged_thought(primary_and_standby):
    from telos import UvmObject, open_image, pg, standby
    home = primary_and_standby
    assert standby.status(home)["replication"][0]["sync"] == "sync"
    image = open_image()
    with image.thought("setup"):
        image.register("Log", UvmObject(n=0))
    acked: list[int] = []
    failures: list[str] = []
    first_after: list[float] = []
    killed_at: list[float] = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            started = time.time()
            try:
                with image.thought(f"w{i}"):
                    image.prototypes["Log"].n = i
            except Exception as exc:  # noqa: BLE001 -- the in-flight commit fails; count and retry
                failures.append(type(exc).__name__)
                time.sleep(0.05)
                continue
            acked.append(i)
            if killed_at and started > killed_at[0] and not first_after:
                first_after.append(time.time())

    promoted: list = []
    threads = [threading.Thread(target=writer),
               threading.Thread(target=lambda: promoted.append(
                   standby.watch(home, interval=0.5, misses=2, stop=stop.is_set)))]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        before = len(acked)
        pid = int((pg.data_dir(home) / "postmaster.pid").read_text().split()[0])
        killed_at.append(time.time())
        os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 60
        while time.time() < deadline and not (first_after and len(acked) > before + 50):
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    image.close()
    assert promoted and promoted[0], "the heartbeat did not promote the standby"
    assert first_after, f"no commit succeeded after the primary died ({failures[:5]})"
    image = open_image()
    try:
        notes = {t.note for t in image.thoughts(len(acked) + 100)}
        lost = [i for i in acked if f"w{i}" not in notes]
        assert image.prototypes["Log"].n == acked[-1]
    finally:
        image.close()
    print(f"\nfailover drill: {len(acked)} thoughts acknowledged, {len(lost)} lost, "
          f"{len(failures)} commits failed and were retried; standby promoted "
          f"{promoted[0] - killed_at[0]:.2f} s and first new commit {first_after[0] - killed_at[0]:.2f} s "
          f"after the primary's SIGKILL")
    assert lost == []

    # the old primary comes back as the new standby; clients now try the new primary first
    state = standby.rebuild(home)
    assert Path(state["data"]).name == "standby" and state["standby"]["sync"] is True
    st = standby.status(home)
    assert st["primary"] == "up" and st["standby_running"]
    assert st["replication"][0]["sync"] == "sync" and st["replication"][0]["state"] == "streaming"
    assert standby.replicas_file(home).read_text().splitlines()[0] == f"127.0.0.1:{state['port']}"
    image = open_image()
    try:
        with image.thought("after the rebuild"):
            image.prototypes["Log"].n = -1
    finally:
        image.close()
