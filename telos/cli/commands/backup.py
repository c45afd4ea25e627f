"""``backup [--full]``: make a backup set of the image now (progress on the terminal)."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        result = image.backups.backup(full=True if args.full else None, new_key=args.new_key)
        print(result.summary())
        status = image.backups.status()
        if status["warning"]:
            print(f"warning: {status['warning']}")
    finally:
        image.close()
    return 0


def register(sub) -> None:
    p = sub.add_parser("backup", help="back up the image (repozo set + manifest)",
                       description="Make a backup set: incremental by default, full when --full "
                                   "or when the BackupManager's policy says one is due. Key: "
                                   "TELOS_BACKUP_KEY or TELOS_HOME/keys/backup.key.")
    p.add_argument("--full", action="store_true", help="force a full backup (a new chain)")
    p.add_argument("--new-key", action="store_true",
                   help="the backup key changed on purpose: start a new chain under it (without "
                        "this, a key other than the newest set's is refused; the old sets stay, "
                        "readable only with the old key)")
    p.set_defaults(func=run)
