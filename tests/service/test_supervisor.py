"""supervisord: the generated configuration, and kill -9 of the core service under real supervisord."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from telos.reflect import mirror
from telos.service import supervisor
from tests.service.conftest import REPO, SCRIPTED, short_dir, service_env
from tests.service.scripted import expected


def test_conf_is_absolute_commented_and_zeo_conf_loads(tmp_path):
    home = tmp_path / "home"
    conf = supervisor.write_supervisord_conf(home, REPO, sys.executable)
    assert conf == home.resolve() / "supervisord.conf"
    text = conf.read_text()
    assert "%(here)s" not in text
    cp = configparser.RawConfigParser(inline_comment_prefixes=(";",))
    cp.read_string(text)
    assert {"program:zeo", "program:service", "supervisord", "unix_http_server"} <= set(cp.sections())
    svc = cp["program:service"]
    assert int(svc["startsecs"]) > 5 and int(svc["stopwaitsecs"]) > 10
    assert svc["stopasgroup"] == "true" and svc["autorestart"] in ("true", "unexpected")
    assert svc["command"].split()[0] == os.path.abspath(sys.executable)   # the venv's, unresolved
    for section in cp.sections():
        for key, value in cp[section].items():
            if key.endswith(("file", "logfile", "pidfile", "directory", "childlogdir")):
                assert Path(value.split("://")[-1]).is_absolute(), (section, key, value)
    assert str(home.resolve() / "log") in cp["program:service"]["stdout_logfile"]
    assert cp["program:service"]["stdout_logfile_maxbytes"] and cp["program:zeo"]["stdout_logfile_backups"]
    # every key line that is not a default carries a comment; the defaults we state say so too
    for line in text.splitlines():
        if "=" in line and not line.startswith((";", "[", "supervisor.rpcinterface_factory", "command")):
            assert ";" in line, line
    from ZEO.runzeo import ZEOOptions
    opts = ZEOOptions()
    opts.realize(["-C", str(supervisor.zeo_conf_path(home))])
    assert opts.address == str(home.resolve() / "run" / "zeo.sock")
    assert opts.storages[0].config.path == str(home.resolve() / "telos.fs")


def _pid(home: Path, name: str) -> int | None:
    return next((p["pid"] for p in supervisor.programs(home)
                 if p["name"] == name and p["state"] in ("STARTING", "RUNNING")), None)


@pytest.mark.slow
def test_kill_9_under_supervisord_loses_no_acknowledged_thought(monkeypatch):
    from telos.bridge.client import BridgeClient
    from telos.errors import BridgeUnavailable, RemoteError
    home = short_dir("ts")
    env = service_env(home)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("TELOS_BRIDGE", raising=False)
    supervisor.write_supervisord_conf(home, REPO, sys.executable,
                                      extra_env={"TELOS_RESPONDER": SCRIPTED, "OMP_NUM_THREADS": "1"})
    supervisor.start_supervisord(home)
    acked: dict[str, int] = {}
    stop = threading.Event()
    problems: list[BaseException] = []
    interrupted = {"writes": 0, "streams": 0, "streams_done": 0}
    try:
        from telos.service.control import wait_ready
        assert wait_ready(home, 180)["ready"]
        client = BridgeClient(home=home, timeout=10)

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    ack = client.set_slot(f"ack_{i}", i, name="Object")
                    assert ack.thought_id
                    acked[f"ack_{i}"] = i            # the test's log: acknowledged = committed
                except (BridgeUnavailable, RemoteError):
                    interrupted["writes"] += 1       # outcome unknown: not in the log
                    try:
                        client.wait_ready(60, interval=0.2)
                    except BridgeUnavailable as exc:
                        problems.append(exc)
                        return
                except BaseException as exc:
                    problems.append(exc)
                    return

        def streamer():
            j = 0
            while not stop.is_set():
                j += 1
                try:
                    call = client.ask(f"s{j} 100 10")
                    assert list(call.tokens()) == expected(f"s{j}", 100)
                    interrupted["streams_done"] += 1
                except (BridgeUnavailable, RemoteError):
                    interrupted["streams"] += 1
                    try:
                        client.wait_ready(60, interval=0.2)
                    except BridgeUnavailable as exc:
                        problems.append(exc)
                        return
                except BaseException as exc:
                    problems.append(exc)
                    return

        threads = [threading.Thread(target=writer), threading.Thread(target=streamer)]
        for t in threads:
            t.start()
        for round_ in range(2):
            before = len(acked)
            deadline = time.monotonic() + 120
            while len(acked) < before + 15:
                assert not problems, problems
                assert time.monotonic() < deadline, "writes did not resume after the restart"
                time.sleep(0.05)
            old = _pid(home, "service")
            assert old
            os.kill(old, 9)
            deadline = time.monotonic() + 120
            while _pid(home, "service") in (None, old):
                assert time.monotonic() < deadline, supervisor.programs(home)
                time.sleep(0.1)
        before = len(acked)
        deadline = time.monotonic() + 120
        while len(acked) < before + 15 or interrupted["streams_done"] < 2:
            assert not problems, problems
            assert time.monotonic() < deadline, "service not usable after the second restart"
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(120)
        client.close()
        assert not problems, problems
        assert interrupted["streams"] >= 1 or interrupted["writes"] >= 1
        # status --json through the CLI, as an operator would run it
        assert supervisor.wait_for(home, "service", ("RUNNING",), 60) == "RUNNING"
        out = subprocess.run([sys.executable, "-m", "telos.cli", "status", "--json"], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                             text=True, timeout=120)
        st = json.loads(out.stdout)
        assert out.returncode == 0, out.stderr
        assert {p["name"]: p["state"] for p in st["programs"]} == {"zeo": "RUNNING", "service": "RUNNING"}
        assert st["service"]["bridge_ok"] and st["bridge"].startswith("ipc://")
        # every acknowledged thought is in the image, read by another ZEO client
        from telos.image import open_image
        image = open_image(zeo=str(home / "run" / "zeo.sock"), home=home)
        try:
            obj = image.prototypes["Object"]
            missing = {k: v for k, v in acked.items() if mirror(obj).get(k) != v}
        finally:
            image.close()
        assert len(acked) >= 45
        assert not missing, f"{len(missing)} acknowledged thoughts lost: {sorted(missing)[:10]}"
    finally:
        stop.set()
        supervisor.shutdown(home)
