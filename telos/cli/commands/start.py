"""``start``: supervisord (ZEO + the service) for this TELOS_HOME; waits until the service answers."""

from __future__ import annotations


def run(args) -> int:
    from telos import config
    from telos.service import control
    info = control.start(config.telos_home(), wait=args.wait)
    for p in info["programs"]:
        print(f"{p['name']:<10} {p['state']:<10} {p['description']}")
    if args.wait > 0 and not info["ready"]:
        print(f"the service did not answer on {info['bridge']}: {info.get('error', '')}\n"
              f"see `python3 master_forge.py status` and {config.log_dir()}/service.out")
        return 1
    print(f"bridge: {info['bridge']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("start", help="start supervisord with ZEO and the service",
                       description="Write supervisord.conf for this TELOS_HOME, start supervisord "
                                   "(or `supervisorctl start all` if it runs) and wait until the "
                                   "service answers on the bridge.")
    p.add_argument("--wait", type=float, default=120.0,
                   help="seconds to wait for the service to answer (0: don't wait; default 120)")
    p.set_defaults(func=run, log_name="control")
