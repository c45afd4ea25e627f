"""``standby init|status|promote|watch|rebuild|stop``: a streaming standby of this home's PostgreSQL (telos.standby)."""

from __future__ import annotations

import json


def run(args) -> int:
    from telos import config, standby
    home = config.telos_home()
    if args.action == "init":
        state = standby.init(home, sync=args.sync)
        sb = state["standby"]
        print(f"standby   {sb['data']} on port {sb['port']} "
              f"({'synchronous' if sb['sync'] else 'asynchronous'} replication)")
        print(f"TELOS_STORAGE={standby.storage_conf(home)}")
        return 0
    if args.action == "promote":
        state = standby.promote(home)
        print(f"promoted  the standby on port {state['promoted']['port']} takes writes")
        return 0
    if args.action == "rebuild":
        state = standby.rebuild(home)
        print(f"rebuilt   the old primary streams from the new one (port {state['port']}) as "
              f"the standby on port {state['standby']['port']}")
        return 0
    if args.action == "watch":
        at = standby.watch(home, interval=args.interval, misses=args.misses)
        print(f"promoted at {at}")
        return 0
    if args.action == "stop":
        print("stopped" if standby.stop(home) else "not running")
        return 0
    st = standby.status(home)
    if args.json:
        print(json.dumps(st, indent=2, default=str))
        return 0
    print(f"primary   port {st['primary_port']}: {st['primary']}")
    sb = st.get("standby")
    if sb:
        print(f"standby   port {sb['port']}: {'running' if st.get('standby_running') else 'stopped'}")
    pr = st.get("promoted")
    if pr:
        print(f"promoted  port {pr['port']}: "
              f"{'takes writes' if pr['takes_writes'] else 'NOT answering'} (the primary until "
              f"`standby rebuild` makes the old one its standby)")
    for r in st["replication"]:
        print(f"  stream  {r['name']}: {r['state']}, {r['sync']}, {r['lag_bytes']} bytes behind")
    return 0


def register(sub) -> None:
    p = sub.add_parser("standby", help="a streaming PostgreSQL standby that can take over",
                       description="init: pg_basebackup -R -X stream of this home's cluster into "
                                   "pg/standby, started on its own port, and storage.conf (use it as "
                                   "TELOS_STORAGE: clients fail over through replica-conf). promote: "
                                   "the standby takes writes. watch: heartbeat the primary and promote "
                                   "after --misses failures in a row. rebuild: after a promotion, "
                                   "the old primary becomes the new standby (fresh base backup).")
    p.add_argument("action", choices=("init", "status", "promote", "watch", "rebuild", "stop"))
    p.add_argument("--sync", action="store_true",
                   help="init: synchronous replication (a commit waits for the standby)")
    p.add_argument("--interval", type=float, default=1.0, help="watch: seconds between heartbeats")
    p.add_argument("--misses", type=int, default=3, help="watch: failures in a row before promoting")
    p.add_argument("--json", action="store_true", help="status: machine-readable")
    p.set_defaults(func=run, log_name="standby")
