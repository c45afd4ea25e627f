"""What ``start``, ``stop``, ``status`` and ``run`` do (the CLI modules only parse arguments)."""

from __future__ import annotations

import json
import logging
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from telos import config
from telos.bridge import endpoints, keys
from telos.errors import BridgeError, ConfigError, ServiceError
from telos.service import supervisor
from telos.service.process import read_service_file

log = logging.getLogger(__name__)


def start(home: Path, wait: float = 120.0) -> dict:
    """supervisord (with a freshly written config) and its programs; wait until the service answers."""
    keys.ensure_keys(home)
    if not supervisor.is_running(home):
        supervisor.write_supervisord_conf(home, config.REPO_ROOT, sys.executable)
        supervisor.start_supervisord(home)
    else:
        out = supervisor.ctl(home, "start", "all")
        log.info("supervisorctl start all: %s", out.stdout.strip())
    info = {"ready": False, "bridge": _endpoint(home)}
    if wait > 0:
        info.update(wait_ready(home, wait))
    info["programs"] = supervisor.programs(home)
    return info


def wait_ready(home: Path, timeout: float) -> dict:
    """Ping the service until it answers; give up early when supervisord gave up on it (FATAL)."""
    from telos.bridge.client import BridgeClient
    deadline = time.monotonic() + timeout
    with BridgeClient(home=home, timeout=5) as c:
        while True:
            try:
                c.wait_ready(timeout=min(2.0, max(0.1, deadline - time.monotonic())), interval=0.2)
                return {"ready": True}
            except BridgeError as exc:
                error = str(exc)
            states = {p["name"]: p["state"] for p in supervisor.programs(home)}
            fatal = [n for n, st in states.items() if st == "FATAL"]
            if fatal:
                return {"ready": False, "error": f"supervisord gave up on {', '.join(fatal)} (FATAL); "
                                                 f"see {Path(home) / 'log'}"}
            if time.monotonic() >= deadline:
                return {"ready": False, "error": error}


def stop(home: Path, programs_only: bool = False) -> bool:
    if programs_only:
        if not supervisor.is_running(home):
            return False
        out = supervisor.ctl(home, "stop", "all")
        if out.returncode not in (0,):
            raise ServiceError(f"supervisorctl stop all failed: {out.stdout}{out.stderr}")
        return True
    return supervisor.shutdown(home)


def _endpoint(home: Path) -> str:
    try:
        return endpoints.bridge_endpoint(home)
    except ConfigError as exc:
        return f"(invalid: {exc})"


def health(home: Path, timeout: float = 2.0) -> dict:
    """The service's own answer: its /health endpoint and a PING through the bridge."""
    out: dict[str, Any] = {"service_file": read_service_file(home)}
    url = (out["service_file"] or {}).get("health")
    if url:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                out["health"] = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            out["health"] = json.loads(exc.read() or b"{}") or {"ok": False, "http": exc.code}
        except (OSError, ValueError) as exc:
            out["health"] = {"ok": False, "error": str(exc)}
    from telos.bridge.client import BridgeClient
    try:
        with BridgeClient(home=home, timeout=timeout) as c:
            t0 = time.perf_counter()
            c.ping()
            out["bridge_ping_ms"] = round((time.perf_counter() - t0) * 1000, 3)
            out["bridge_ok"] = True
    except (BridgeError, ConfigError) as exc:
        out["bridge_ok"] = False
        out["bridge_error"] = str(exc)
    return out


def status(home: Path) -> dict:
    running = supervisor.is_running(home)
    return {"home": str(home), "supervisord": running, "conf": str(supervisor.conf_path(home)),
            "programs": supervisor.programs(home) if running else [],
            "bridge": _endpoint(home), "service": health(home)}
