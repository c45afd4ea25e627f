"""``serve``: run the service in the foreground (what supervisord runs)."""

from __future__ import annotations


def run(args) -> int:
    from telos.service.process import Service
    service = Service(zeo=args.zeo, file=args.file, endpoint=args.endpoint, workers=args.workers,
                      zeo_wait=args.zeo_wait, grace=args.grace)
    return service.run()


def register(sub) -> None:
    p = sub.add_parser(
        "serve", help="run the service (bridge, orchestrator, maintenance) in the foreground",
        description="Open the image through ZEO (TELOS_ZEO, else $TELOS_HOME/run/zeo.sock, waiting "
                    "for it), serve the ZeroMQ bridge (TELOS_BRIDGE, default "
                    "ipc://$TELOS_HOME/run/bridge.sock) and health/metrics on loopback "
                    "(TELOS_METRICS). SIGTERM stops it cleanly. Normally supervisord runs this: "
                    "see `start`, `stop`, `status`.")
    p.add_argument("--file", action="store_true",
                   help="open $TELOS_HOME/telos.fs directly instead of through ZEO (single process)")
    p.add_argument("--zeo", help="ZEO address (host:port or socket path); default TELOS_ZEO or "
                                 "$TELOS_HOME/run/zeo.sock")
    p.add_argument("--endpoint", help="bridge endpoint (default TELOS_BRIDGE or the local socket)")
    p.add_argument("--workers", type=int, default=4, help="request worker threads (default 4)")
    p.add_argument("--zeo-wait", type=float, default=120.0,
                   help="seconds to wait for the ZEO server at start (default 120)")
    p.add_argument("--grace", type=float, default=10.0,
                   help="seconds in-flight requests get to finish on SIGTERM (default 10)")
    p.set_defaults(func=run, log_name="service")
