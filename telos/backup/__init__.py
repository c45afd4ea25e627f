"""Backups that prove they restore (issue 7).

``image.backups`` (attached by ``AREA``, :mod:`telos.backup.area`) runs the BackupManager's
policy: repozo sets with signed, hash-chained manifests, optional AES-256-GCM, verification with a restore drill,
restore with fallback and retention. Without an open image: :func:`make_backup`,
:func:`verify`, :func:`restore_home`.
"""

from __future__ import annotations

from telos.backup.area import AREA
from telos.backup.engine import BackupResult, make_backup
from telos.backup.facade import Backups, backup_status, restore_home
from telos.backup.keys import BackupKeys, load_keys
from telos.backup.restore import RestoreResult, restore
from telos.backup.verify import VerifyReport, verify

__all__ = ["AREA", "Backups", "BackupKeys", "BackupResult", "RestoreResult", "VerifyReport",
           "backup_status", "load_keys", "make_backup", "restore", "restore_home", "verify"]
