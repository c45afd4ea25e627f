"""``status [--json]``: each supervised program's state, the bridge endpoint, the service's health."""

from __future__ import annotations

import json


def run(args) -> int:
    from telos import config
    from telos.service import control
    st = control.status(config.telos_home())
    healthy = bool(st["service"].get("bridge_ok"))
    if args.json:
        print(json.dumps(st, indent=2, default=str))
        return 0 if healthy else 3
    print(f"home        {st['home']}")
    print(f"supervisord {'running' if st['supervisord'] else 'not running'} ({st['conf']})")
    for p in st["programs"]:
        print(f"  {p['name']:<10} {p['state']:<10} {p['description']}")
    svc = st["service"]
    print(f"bridge      {st['bridge']}: "
          + (f"answers ({svc['bridge_ping_ms']} ms)" if healthy else f"no answer ({svc.get('bridge_error', '')})"))
    h = svc.get("health")
    if h:
        print(f"health      {'ok' if h.get('ok') else 'NOT ok'}: state {h.get('state')}, "
              f"{h.get('in_flight', 0)} in flight, up {h.get('uptime', 0):.0f} s")
        if h.get("connection"):
            print(f"storage     {h['connection']}")
        if h.get("model"):
            print(f"model       {h['model']}")
    if not st["supervisord"]:
        print("start it with: python3 master_forge.py start")
    return 0 if healthy else 3


def register(sub) -> None:
    p = sub.add_parser("status", help="state of ZEO, the service and the bridge",
                       description="Exit status 0 when the service answers on the bridge, else 3.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run, log_name="control")
