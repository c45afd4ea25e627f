"""``migrate --to STORAGE``: copy the image to another storage with zodbconvert, verified by content."""

from __future__ import annotations

import json


def run(args) -> int:
    from telos import config, migrate, storage
    home = config.telos_home()
    source = storage.parse(args.source, home) if args.source else storage.configured(home)
    destination = storage.parse(args.to, home)
    if destination == source:
        print("error: the destination is the source", flush=True)
        return 2
    report = migrate.migrate(source, destination, incremental=args.incremental)
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        print(f"copied    {report.transactions} thoughts, {report.objects} objects "
              f"(last tid {report.last_tid}) in {report.seconds} s")
        print(f"verified  last tid, object count, {report.compared} objects compared: equal")
        print(f"use it    TELOS_STORAGE={args.to}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("migrate", help="copy the image to another storage (file <-> PostgreSQL), verified",
                       description="Copy the configured storage (TELOS_STORAGE; default the file) "
                                   "to --to with zodbconvert, keeping tids, oids and pickles, then "
                                   "compare both: last tid, object count, every object of the "
                                   "newest thoughts and a random sample. Progress on stderr. Stop "
                                   "the service first when the source is the file.")
    p.add_argument("--to", required=True, metavar="STORAGE",
                   help="postgresql://USER@HOST:PORT/DB (an existing database) or file:PATH (a new file)")
    p.add_argument("--from", dest="source", metavar="STORAGE",
                   help="the source (default: TELOS_STORAGE, else $TELOS_HOME/telos.fs)")
    p.add_argument("--incremental", action="store_true",
                   help="resume an interrupted copy (zodbconvert --incremental)")
    p.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    p.set_defaults(func=run, log_name="migrate")
