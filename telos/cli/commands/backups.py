"""``backups``: list backup sets and the backup status (age, policy warning, last drill)."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        sets = image.backups.sets()
        status = image.backups.status()
        current = image.backups.key_id()
    finally:
        image.close()
    print(f"destination: {status['destination']}")
    print(f"current backup key id: {current or '(none yet)'}")
    foreign = 0
    for s in sets:
        kid = s.manifest.get("key_id") if s.manifest else None
        if s.error:
            print(f"  BROKEN {s.ident}: {s.error}")
        elif current is not None and kid != current:
            foreign += 1
            print(f"  OTHER KEY {s.describe():50s} key id {kid}: the current key cannot open "
                  f"(verify, restore) this set")
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
    if foreign:
        print(f"warning: {foreign} set(s) were made with another backup key; restore that key to "
              f"use them (TELOS_BACKUP_KEY or the key file)")
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
