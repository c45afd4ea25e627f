"""``stop``: stop the service and ZEO (SIGTERM: in-flight thoughts finish or abort), then supervisord."""

from __future__ import annotations


def run(args) -> int:
    from telos import config
    from telos.service import control
    was = control.stop(config.telos_home(), programs_only=args.programs_only)
    print("stopped" if was else "supervisord was not running for this TELOS_HOME")
    return 0


def register(sub) -> None:
    p = sub.add_parser("stop", help="stop the service, ZEO and supervisord",
                       description="Stop every program (service first, then ZEO) and supervisord.")
    p.add_argument("--programs-only", action="store_true",
                   help="stop the programs but leave supervisord running")
    p.set_defaults(func=run, log_name="control")
