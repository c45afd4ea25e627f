"""Prometheus metrics and the health endpoint of the service (loopback only).

``GET /health`` → JSON (``{"ok": true, "state": "serving", ...}``; HTTP 503 while starting or
stopping); any other path → the Prometheus text exposition of this service's own registry.
"""

from __future__ import annotations

import json
import logging
import threading
from socketserver import ThreadingMixIn
from typing import Any, Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from telos.bridge.server import Observer

log = logging.getLogger(__name__)

_LATENCY = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120)


class ServiceMetrics(Observer):
    """The bridge's observer hooks, plus what the service reports itself."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("telos_bridge_requests", "requests accepted", ["command"], registry=r)
        self.errors = Counter("telos_bridge_errors", "ERROR replies", ["code"], registry=r)
        self.latency = Histogram("telos_bridge_request_seconds", "time to the final reply",
                                 ["command"], buckets=_LATENCY, registry=r)
        self.ttft = Histogram("telos_time_to_first_token_seconds", "time to the first streamed token",
                              buckets=_LATENCY, registry=r)
        self.tokens = Counter("telos_tokens", "tokens streamed", ["persona"], registry=r)
        self.in_flight = Gauge("telos_bridge_in_flight", "requests being served", registry=r)
        self.commits = Counter("telos_commits", "thoughts committed by the service", registry=r)
        self.conflicts = Counter("telos_conflicts", "ZODB write conflicts met", registry=r)
        self.model_vram = Gauge("telos_model_vram_mb", "VRAM held by a loaded model (MiB)", ["model"],
                                registry=r)
        self.vram = Gauge("telos_vram_mb", "VRAM held by all loaded models (MiB)", registry=r)
        self.memory = Gauge("telos_memory_records", "memory records per tier", ["tier"], registry=r)
        self.last_backup = Gauge("telos_last_backup_timestamp_seconds", "newest good backup",
                                 registry=r)
        self.up = Gauge("telos_service_up", "1 while serving", registry=r)

    # Observer hooks (called from the bridge's threads; prometheus_client is thread-safe)
    def frame_rejected(self, code: str) -> None:
        self.errors.labels(code).inc()

    def request_started(self, command: str) -> None:
        self.requests.labels(command).inc()
        self.in_flight.inc()

    def request_finished(self, command: str, error_code: str | None, seconds: float) -> None:
        self.in_flight.dec()
        self.latency.labels(command).observe(seconds)
        if error_code:
            self.errors.labels(error_code).inc()

    def first_token(self, command: str, seconds: float) -> None:
        self.ttft.observe(seconds)

    def token(self, persona: str) -> None:
        self.tokens.labels(persona).inc()

    def commit(self) -> None:
        self.commits.inc()

    def conflict(self) -> None:
        self.conflicts.inc()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics http: " + format, *args)


class HealthServer:
    """/health and /metrics on loopback, in a daemon thread."""

    def __init__(self, metrics: ServiceMetrics, health: Callable[[], dict], host: str, port: int):
        prom = make_wsgi_app(metrics.registry)

        def app(environ, start_response):
            if environ.get("PATH_INFO", "") == "/health":
                body = health()
                status = "200 OK" if body.get("ok") else "503 Service Unavailable"
                data = json.dumps(body).encode()
                start_response(status, [("Content-Type", "application/json"),
                                         ("Content-Length", str(len(data)))])
                return [data]
            return prom(environ, start_response)

        self._httpd = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
        self.host, self.port = self._httpd.server_address[:2]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="health-http",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "HealthServer":
        self._thread.start()
        log.info("health and metrics on %s/health and %s/metrics", self.url, self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
