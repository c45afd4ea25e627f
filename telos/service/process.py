"""The service process (``master_forge.py serve``): the image through ZEO, the bridge, the
orchestrator, the maintenance and backup schedules, health and metrics.

Start-up waits for ZEO in short slices (supervisord's ``priority`` orders starts but never waits
for readiness) and still honours SIGTERM while waiting. SIGTERM/SIGINT or a SHUTDOWN_REQUEST:
stop accepting (new requests get ``shutting_down``), let in-flight requests finish for ``grace``
seconds, cancel the rest (their thoughts abort: nothing half-done is committed), close the image.
``$TELOS_HOME/run/service.json`` says where the bridge and the health endpoint are while it runs.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from telos import atomic, config
from telos.area import Area
from telos.areas import REGISTRY
from telos.bridge import authz, endpoints, keys
from telos.bridge.server import BridgeServer, Curve
from telos.errors import ImageUnavailableError, ServiceError, TelosError
from telos.scope import Progress
from telos.service.metrics import HealthServer, ServiceMetrics
from telos.service.responder import load_responder
from telos.service.sessions import ImageSessionPool
from telos.service.status import StatusBoard
from telos.service.thoughtfeed import ThoughtFeed

log = logging.getLogger(__name__)

STATUS_REFRESH_S = 2.0
# Periodic work: every registered area (telos.areas) with a ``maintain_every`` interval gets its
# ``maintain(session, status)`` hook called that often; ``status`` is a progress callback whose
# messages reach every client as SYSTEM_STATUS_UPDATE (status_text "ready — backup: 3/12").


def service_file(home: Path) -> Path:
    return endpoints.run_dir(home) / "service.json"


def read_service_file(home: Path) -> dict | None:
    try:
        return json.loads(service_file(home).read_text())
    except (OSError, ValueError):
        return None


class Service:
    def __init__(self, home: Path | None = None, *, zeo: str | None = None, file: bool = False,
                 endpoint: str | None = None, workers: int = 4, zeo_wait: float = 120.0,
                 grace: float = 10.0, status_push: float = 5.0) -> None:
        self.home = Path(home) if home else config.telos_home()
        from telos import storage
        # RelStorage (TELOS_STORAGE=postgresql://...): every node opens the database itself, no ZEO
        self.db_server = None if (file or zeo) else storage.configured(self.home)
        if self.db_server is not None and not self.db_server.is_relstorage:
            self.db_server = None
        self.file = file
        self.zeo = None if (file or self.db_server) else (
            zeo or config.get("zeo") or str(config.zeo_socket(self.home)))
        self.endpoint = endpoint or endpoints.bridge_endpoint(self.home)
        self.workers = workers
        self.zeo_wait = zeo_wait
        self.grace = grace
        self.status_push = status_push
        self.metrics = ServiceMetrics()
        self.status = StatusBoard(self)
        self.state = "starting"
        self.activity = ""          # long maintenance work in progress (backup, curation, ...)
        self.started_at = time.time()
        self.image: Any = None
        self.bridge: BridgeServer | None = None
        self.health_server: HealthServer | None = None
        self._stop = threading.Event()
        self._stop_reason = ""
        self._responder: Any = None
        self._responder_lock = threading.Lock()
        self._warm_error = ""
        self.database_problem: str | None = None   # why the database does not answer (status)
        self._maint: threading.Thread | None = None
        self._feed: ThoughtFeed | None = None       # THOUGHTS_COMMITTED pushes

    # --- helpers used by handlers and the status board ---------------------------------------

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            log.info("stop requested: %s", reason)
        self._stop.set()

    def responder(self) -> Any:
        with self._responder_lock:
            if self._responder is None:
                self._responder = load_responder(self.image)
            return self._responder

    def responder_if_loaded(self) -> Any:
        return self._responder

    def model_state(self) -> Progress:
        """What the language model is doing: warming up (converting, loading) or ready."""
        if self._warm_error:
            return Progress("failed", self._warm_error)
        backend = getattr(self._responder, "backend", None)
        readiness = getattr(backend, "readiness", None)
        if callable(readiness):
            return readiness()
        if self._responder is None:
            return Progress("starting", "choosing the language model")
        return Progress("ready", self.responder_name())

    def _warm(self) -> None:
        """Choose the backend and convert/load its model now, in the background, so that the
        first question does not wait for it (progress: :meth:`model_state`)."""
        try:
            backend = getattr(self.responder(), "backend", None)
            warm = getattr(backend, "warm", None)
            if callable(warm):
                warm()
                log.info("language model warming up: %s", self.model_state().text())
        except Exception as exc:  # noqa: BLE001 - the service serves everything else; asks say why
            self._warm_error = f"the language model cannot start: {exc}"
            log.exception("warming up the language model failed")

    def responder_name(self) -> str:
        r = self._responder
        return str(getattr(r, "name", type(r).__name__)) if r is not None else ""

    def connection_text(self) -> str:
        if self.image is None:
            return f"waiting for zeo:{self.zeo}" if self.zeo else "opening"
        if self.db_server:
            return self.db_server.describe()
        return f"zeo:{self.zeo}" if self.zeo else f"file:{self.image.store.path}"

    def state_text(self) -> str:
        text = {"serving": "ready", "starting": "starting", "stopping": "stopping",
                "stopped": "stopped"}.get(self.state, self.state)
        if self.database_problem:
            text = f"{text} — database unreachable"
        return f"{text} — {self.activity}" if self.activity else text

    def _check_database(self, session: Any) -> bool:
        """Probe the database; a change (lost, back) is logged and told to every client."""
        from telos import storage
        problem = storage.probe(session.store.db)
        if problem != self.database_problem:
            if problem:
                log.error("the database does not answer: %s", problem)
            else:
                log.warning("the database answers again")
            self.database_problem = problem
            if self.bridge:
                self.bridge.broadcast(self.status.snapshot())
        return problem is None

    def _progress(self, area: str):
        """A progress callback for long maintenance work: shown to every client."""
        def status(desc: str, n: int, total: int | None) -> None:
            self.activity = f"{desc}: {n}/{total}" if total else f"{desc}: {n}"
            if self.bridge:
                self.bridge.broadcast(self.status.snapshot())
        return status

    # --- life cycle -------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.request_stop(signal.Signals(signum).name)

    def open_image(self) -> Any:
        from telos.image import open_image
        if self.file:
            return open_image(home=self.home)
        where = self.db_server.describe() if self.db_server else f"ZEO at {self.zeo}"
        deadline = time.monotonic() + self.zeo_wait
        attempt = 0
        while True:
            if self._stop.is_set():
                raise ServiceError(f"stopped ({self._stop_reason}) while waiting for {where}")
            attempt += 1
            try:
                if self.db_server:
                    return open_image(home=self.home)
                return open_image(zeo=self.zeo, home=self.home, zeo_timeout=1.0)
            except ImageUnavailableError as exc:   # not up yet, or went away
                if time.monotonic() >= deadline:
                    raise ServiceError(f"no database server at {where} after {self.zeo_wait:g} s: "
                                       f"{exc}; is it running? (python3 master_forge.py status)") from exc
                if attempt == 1 or attempt % 10 == 0:
                    log.info("waiting for %s (attempt %d)", where, attempt)
                self._stop.wait(0.5)

    def _curve(self) -> Curve | None:
        if not endpoints.curve_required(self.endpoint):
            return None
        keys.ensure_keys(self.home)
        pair = keys.server_keys(self.home)
        allow = keys.AllowList(self.home)   # re-read when it changes: edits apply while we run

        def is_allowed(key: bytes) -> bool:
            return allow.lookup(key) is not None

        def identify(key: bytes) -> authz.Peer | None:
            entry = allow.lookup(key)
            return None if entry is None else authz.Peer(f"key:{entry.name}", entry.role, key)
        log.info("CURVE on: allow-list %s (rw), %s (ro)", keys.authorized_dir(self.home),
                 keys.readonly_dir(self.home))
        return Curve(public=pair.public, secret=pair.secret, is_allowed=is_allowed,
                     identify=identify)

    def start(self, install_signals: bool = True) -> "Service":
        if install_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        self.image = self.open_image()
        log.info("image open: %s", self.connection_text())
        from telos.service.handlers import build_registry
        self.bridge = BridgeServer(self.endpoint, build_registry(self), workers=self.workers,
                                   max_in_flight=config.get_int("bridge_in_flight"),
                                   max_per_client=config.get_int("bridge_client_in_flight"),
                                   curve=self._curve(), sessions=ImageSessionPool(self.image),
                                   observer=self.metrics)
        if self.endpoint.startswith("ipc://"):
            stale = Path(self.endpoint[len("ipc://"):])
            if stale.exists():
                stale.unlink()   # a socket file left by a killed service
        self.bridge.start()
        if self.endpoint.startswith("ipc://"):
            # no CURVE on ipc: the socket's permissions are the boundary (the home is 0700 too)
            os.chmod(self.endpoint[len("ipc://"):], 0o600)
        address = endpoints.metrics_address()
        if address is not None:
            self.health_server = HealthServer(self.metrics, self.status.health, *address).start()
        session = self.image.session()
        self._maint = threading.Thread(target=self._maintenance, args=(session,), name="maintenance",
                                       daemon=True)
        self._maint.start()
        self._feed = ThoughtFeed(self.image, self.bridge.broadcast).start()
        threading.Thread(target=self._warm, name="llm-warm-up", daemon=True).start()
        self.state = "serving"
        self.metrics.up.set(1)
        self._write_service_file()
        log.info("service ready (pid %d): bridge %s", os.getpid(), self.bridge.bound)
        return self

    def _write_service_file(self) -> None:
        info = {"pid": os.getpid(), "state": self.state, "bridge": self.bridge.bound if self.bridge else None,
                "health": f"{self.health_server.url}/health" if self.health_server else None,
                "metrics": f"{self.health_server.url}/metrics" if self.health_server else None,
                "connection": self.connection_text(), "started": self.started_at,
                "curve": bool(self.bridge and self.bridge.curve)}
        atomic.write_text(service_file(self.home), json.dumps(info, indent=1))

    def _maintenance(self, session: Any) -> None:
        last: dict[str, float] = {}
        now = time.monotonic()
        last_status = last_push = now
        try:
            self.status.refresh(session)   # first snapshot at once (areas may load slowly)
        except Exception:
            log.exception("first status refresh failed; continuing")
        while not self._stop.wait(0.5):
            now = time.monotonic()
            try:
                if now - last_status >= STATUS_REFRESH_S:
                    last_status = now
                    if not self._check_database(session):
                        continue   # nothing else can work until it answers again
                    session.refresh()
                    self.status.refresh(session)
                if self.status_push and now - last_push >= self.status_push and self.bridge:
                    last_push = now
                    self.bridge.broadcast(self.status.snapshot())
                self._maintain_due(session, last, now)
            except TelosError as exc:   # said in one sentence (a full disk, a changed backup key)
                log.error("maintenance: %s", exc)
            except Exception:
                log.exception("maintenance step failed; continuing")
        session.abort()

    def _maintain_due(self, session: Any, last: dict[str, float], now: float) -> None:
        """Run every area whose ``maintain_every`` has passed since ``last[name]`` (an area
        seen for the first time runs one interval later: not all at once at start)."""
        for area in REGISTRY:
            if area.maintain_every is None:
                continue
            if now - last.setdefault(area.name, now) >= area.maintain_every:
                last[area.name] = now
                self._run_maintenance(session, area)

    def _run_maintenance(self, session: Any, area: Area) -> None:
        """One area's ``maintain`` hook; its failure is logged and does not stop the others."""
        try:
            session.refresh()
            area.maintain(session, self._progress(area.name))
        except TelosError as exc:   # said in one sentence (a full disk, a changed backup key)
            log.error("maintenance of %s: %s", area.name, exc)
            session.abort()
        except Exception:
            log.exception("maintenance of %s failed; the other areas go on", area.name)
            session.abort()
        finally:
            if self.activity:
                self.activity = ""
                if self.bridge:
                    self.bridge.broadcast(self.status.snapshot())

    def wait(self) -> None:
        while not self._stop.wait(1.0):
            pass

    def stop(self) -> None:
        if self.state in ("stopping", "stopped"):
            return
        self.state = "stopping"
        self.metrics.up.set(0)
        self._stop.set()
        log.info("service stopping (%s)", self._stop_reason or "stop()")
        if self.bridge is not None:
            try:
                self._write_service_file()
            except OSError:
                pass
            if self._feed is not None:
                self._feed.stop()
            self.bridge.stop(grace=self.grace)
        if self._maint is not None:
            self._maint.join(timeout=15)
        if self.health_server is not None:
            self.health_server.stop()
        if self.image is not None:
            self.image.close()
            self.image = None
        try:
            service_file(self.home).unlink()
        except OSError:
            pass
        self.state = "stopped"
        log.info("service stopped")

    def run(self) -> int:
        """Start, serve until SIGTERM / SIGINT / SHUTDOWN_REQUEST, stop. Returns the exit status."""
        try:
            self.start()
        except ServiceError as exc:
            if self._stop.is_set():
                log.info("%s", exc)
                return 0
            raise
        try:
            self.wait()
        finally:
            self.stop()
        return 0
