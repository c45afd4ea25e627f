"""``pg init|start|stop|status``: the private PostgreSQL cluster of this TELOS_HOME (telos.pg)."""

from __future__ import annotations

import json


def run(args) -> int:
    from telos import config, pg
    home = config.telos_home()
    if args.action == "init":
        state = pg.init(home, port=args.port)
        print(f"cluster   {pg.pg_dir(home)} (port {state['port']})")
        print("start it with: python3 master_forge.py pg start")
        return 0
    if args.action == "start":
        pg.start(home)
        print(f"running   TELOS_STORAGE={pg.dsn(home)}")
        return 0
    if args.action == "stop":
        print("stopped" if pg.stop(home) else "not running")
        return 0
    st = pg.status(home)
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        print(f"cluster   {pg.pg_dir(home)}: {'running' if st['running'] else 'stopped'} "
              f"(127.0.0.1:{st['port']}, socket in {st['socket_dir']})")
        print(f"TELOS_STORAGE={st['dsn']}")
    return 0 if st["running"] else 3


def register(sub) -> None:
    p = sub.add_parser("pg", help="the private PostgreSQL cluster for RelStorage (init, start, stop, status)",
                       description="A PostgreSQL cluster under $TELOS_HOME/pg (run as the postgres "
                                   "user when root), on 127.0.0.1:PORT and a unix socket in pg/. "
                                   "`pg status` prints the TELOS_STORAGE to use (exit 3 when stopped).")
    p.add_argument("action", choices=("init", "start", "stop", "status"))
    p.add_argument("--port", type=int, help="init: the TCP port (default: a free one, recorded)")
    p.add_argument("--json", action="store_true", help="status: machine-readable")
    p.set_defaults(func=run, log_name="pg")
