"""Awakening of the ``BackupManager`` prototype: the backup policy and run history live in its
slots (the work itself is done by :mod:`telos.backup.facade`)."""

from __future__ import annotations

from telos.reflect import mirror

POLICY = {
    "full_interval": 7 * 86400,       # seconds between full backups (a new chain)
    "incremental_interval": 3600,     # seconds between incremental backups
    "max_age": 3 * 3600,              # status warns when the newest set is older than this
    "keep_chains": 4,                 # retention: newest chains (full + incrementals) kept
    "encrypt": False,                 # AES-256-GCM (key: TELOS_BACKUP_KEY or HOME/keys/backup.key)
    "destination": None,              # None: TELOS_BACKUPS, else backups/ or HOME/backups
    "drill": "full",                  # restore drill after: "every" backup, "full" ones, "never"
}
STATE = {
    "history": [],                    # recent runs (dicts), newest last, capped
    "last_backup": None,              # ISO time of the newest set made by this image
    "last_full": None,
    "last_verify": None,              # {"time", "ok", "set", "seconds", "message"}
    "verified": {},                   # set ident -> {"time", "ok", "how", "message"}: its last check
}
DESCRIPTION = ("Owns backups of the image: policy (intervals, retention, destination, encryption) "
               "and the history of runs and restore drills. Use image.backups to act.")


def awaken(image) -> None:
    """Create the BackupManager prototype, or add policy slots missing from an older one."""
    from telos.uvm import UvmObject
    protos = image.prototypes
    if "BackupManager" not in protos:
        image.register("BackupManager", UvmObject(description=DESCRIPTION, **POLICY, **STATE))
        return
    mgr = protos["BackupManager"]
    have = mirror(mgr).data()
    for key, value in {**POLICY, **STATE}.items():
        if key not in have:
            setattr(mgr, key, value)
