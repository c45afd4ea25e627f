"""``backups``: list backup sets and the backup status (age, policy warning, last drill)."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        sets = image.backups.sets()
        status = image.backups.status()
    finally:
        image.close()
    print(f"destination: {status['destination']}")
    for s in sets:
        if s.error:
            print(f"  BROKEN {s.ident}: {s.error}")
        else:
            m = s.manifest
            print(f"  {s.describe():60s} tid {m['tid']}  {s.when().isoformat(timespec='seconds')}"
                  f"  {m['objects']} objects")
    age = status["age_seconds"]
    print(f"newest: {status['newest']} ({'-' if age is None else f'{age / 3600:.2f} h old'}, "
          f"policy max {status['max_age'] / 3600:.1f} h)")
    lv = status["last_verify"]
    if lv:
        print(f"last verify: {'ok' if lv['ok'] else 'FAILED'} at {lv['time']} ({lv['set']})")
    if status["warning"]:
        print(f"warning: {status['warning']}")
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser("backups", help="list backup sets and backup status",
                       description="List the backup sets (unauthenticated listing; `verify` "
                                   "checks them) and warn when the newest is older than the "
                                   "BackupManager's max_age.")
    p.set_defaults(func=run)
