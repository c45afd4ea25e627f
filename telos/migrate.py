"""Copy the image between storages with ``zodbconvert`` (tids, oids and pickles kept), then prove
the copy by content: the same last tid, the same number of objects, and a sample of objects
(every object of the newest thoughts, plus a random sample) loaded from both with equal pickles
and serials.

``migrate --to postgresql://...`` (FileStorage → RelStorage) or ``--to file:PATH`` (back).
The source is the configured storage (``TELOS_STORAGE``); a FileStorage source must not be open
in another process (stop the service first: ZEO holds the file's lock).
"""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from telos import storage as storages
from telos.errors import ConfigError, MigrationError  # noqa: F401 - migrate.MigrationError is public

log = logging.getLogger(__name__)

SAMPLE = 200          # random objects compared beyond those of the newest thoughts
NEWEST = 20           # thoughts whose every object is compared


@dataclass
class Report:
    source: str
    destination: str
    last_tid: str = ""
    objects: int = 0
    transactions: int = 0
    compared: int = 0
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def zconfig_section(spec: storages.StorageSpec, *, read_only: bool) -> str:
    """The ZConfig storage section zodbconvert opens for ``spec``."""
    ro = "  read-only true\n" if read_only else ""
    if spec.is_file:
        return f"<filestorage>\n  path {spec.target}\n{ro}</filestorage>\n"
    if spec.is_zeo:
        address = spec.target if isinstance(spec.target, str) else "%s:%d" % tuple(spec.target)
        return f"<zeoclient>\n  server {address}\n  read-only true\n</zeoclient>\n"
    if spec.kind == "postgresql":
        return ("<relstorage>\n  keep-history true\n" + ro +
                f"  <postgresql>\n    driver psycopg2\n    dsn {storages.keyword_dsn(spec.target)}\n"
                "  </postgresql>\n</relstorage>\n")
    if spec.kind == "zconfig":     # e.g. the standby's storage.conf: its one storage section
        lines = [line for line in Path(spec.target).read_text().splitlines()
                 if line.strip() and not line.lstrip().startswith(("%import", "#"))]
        section = "\n".join(lines) + "\n"
        if read_only:
            head, rest = section.split("\n", 1)
            section = f"{head}\n  read-only true\n{rest}"
        return section
    raise ConfigError(f"migrate: {spec.describe()} as a zodbconvert section is not supported; "
                      "name a file:, a postgresql:// storage or a ZConfig file")


def _open(spec: storages.StorageSpec):
    if spec.is_file:
        from ZODB.FileStorage import FileStorage
        return FileStorage(str(spec.target), read_only=True)
    if spec.kind == "postgresql":
        return storages.open_relstorage(spec.target, read_only=True)
    if spec.kind == "zconfig":
        return storages.open_zconfig(Path(spec.target))
    import ZEO
    return ZEO.client(spec.target, read_only=True, wait_timeout=10)


def migrate(source: storages.StorageSpec, destination: storages.StorageSpec, *,
            incremental: bool = False, say: Callable[[str], None] | None = None) -> Report:
    """Copy ``source`` into ``destination`` with zodbconvert, then verify; MigrationError if not equal."""
    say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if destination.is_file and Path(destination.target).exists() and not incremental \
            and Path(destination.target).stat().st_size > 4:
        raise ConfigError(f"migrate: {destination.target} exists; name a new file "
                          "(or --incremental to resume an interrupted copy)")
    if source.is_file and not Path(source.target).exists():
        raise ConfigError(f"migrate: the source {source.target} does not exist")
    report = Report(source.describe(), destination.describe())
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="telos-migrate-") as tmp:
        conf = Path(tmp) / "convert.conf"
        conf.write_text("%import relstorage\n"
                        + _wrap("source", zconfig_section(source, read_only=True))
                        + _wrap("destination", zconfig_section(destination, read_only=False)))
        cmd = [str(Path(sys.executable).with_name("zodbconvert")), str(conf)]
        if incremental:
            cmd.append("--incremental")
        say(f"migrate: copying {report.source} -> {report.destination} (zodbconvert)")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail: list[str] = []
        for line in proc.stdout:      # zodbconvert's own progress, passed on
            line = line.rstrip()
            if line:
                tail = (tail + [line])[-20:]
                say(f"  {line}")
        if proc.wait() != 0:
            raise MigrationError(f"zodbconvert failed ({proc.returncode}): " + " | ".join(tail[-5:]))
    say("migrate: verifying by content (last tid, object count, sampled objects)")
    verify(source, destination, report, say)
    report.seconds = round(time.monotonic() - t0, 2)
    if not report.ok:
        raise MigrationError("the copy differs from its source: " + "; ".join(report.mismatches[:5]))
    say(f"migrate: done in {report.seconds} s: {report.transactions} thoughts, {report.objects} "
        f"objects, {report.compared} compared, last tid {report.last_tid}")
    return report


def _wrap(name: str, section: str) -> str:
    """ZConfig names a storage section's role with its name: ``<filestorage source>``."""
    head, rest = section.split("\n", 1)
    return f"{head[:-1]} {name}>\n{rest}"


def verify(source: storages.StorageSpec, destination: storages.StorageSpec, report: Report,
           say: Callable[[str], None]) -> Report:
    src, dst = _open(source), _open(destination)
    try:
        last_src, last_dst = src.lastTransaction(), dst.lastTransaction()
        report.last_tid = last_src.hex()
        if last_src != last_dst:
            report.mismatches.append(f"last tid {last_src.hex()} != {last_dst.hex()}")
        tids, oids, newest = _scan(src, "source", say)
        report.transactions, report.objects = len(tids), len(oids)
        dst_tids, dst_oids, _ = _scan(dst, "copy", say)
        if dst_tids != tids:
            report.mismatches.append(f"thoughts {len(tids)} != {len(dst_tids)} (or different tids)")
        if dst_oids != oids:   # exact: RelStorage's len() is PostgreSQL's estimate
            report.mismatches.append(f"object count {len(oids)} != {len(dst_oids)}")
        sample = set().union(*newest) if newest else set()
        rest = sorted(oids - sample)
        sample |= set(random.Random(0).sample(rest, min(SAMPLE, len(rest))))
        for oid in sorted(sample):
            a, b = _load(src, oid), _load(dst, oid)
            if a != b:
                report.mismatches.append(f"object {oid.hex()} differs")
        report.compared = len(sample)
    finally:
        src.close()
        dst.close()
    return report


def _scan(storage, what: str, say: Callable[[str], None]) -> tuple[list, set, list]:
    """(every tid, every oid, the oid sets of the NEWEST last thoughts) of ``storage``."""
    tids, oids, newest = [], set(), []
    it = storage.iterator()
    try:
        for txn in it:
            tids.append(txn.tid)
            these = {rec.oid for rec in txn}
            oids |= these
            newest = (newest + [these])[-NEWEST:]
            if len(tids) % 1000 == 0:
                say(f"  {what}: read {len(tids)} thoughts, {len(oids)} objects")
    finally:
        getattr(it, "close", lambda: None)()
    return tids, oids, newest


def _load(storage, oid: bytes):
    from ZODB.POSException import POSKeyError
    from ZODB.utils import load_current
    try:
        return load_current(storage, oid)
    except POSKeyError:
        return None


def mirror_path(home: Path) -> Path:
    return Path(home) / "relstorage-mirror.fs"


def mirror(source: storages.StorageSpec, path: Path,
           say: Callable[[str], None] | None = None) -> Path:
    """Bring the FileStorage ``path`` up to date with ``source`` (zodbconvert --incremental: only
    the thoughts it does not have yet) and check it ends at the same tid. What backups of a
    RelStorage image keep with repozo, which needs a file."""
    say = say or (lambda msg: log.info("%s", msg))
    destination = storages.StorageSpec("file", Path(path))
    with tempfile.TemporaryDirectory(prefix="telos-mirror-") as tmp:
        conf = Path(tmp) / "mirror.conf"
        conf.write_text("%import relstorage\n"
                        + _wrap("source", zconfig_section(source, read_only=True))
                        + _wrap("destination", zconfig_section(destination, read_only=False)))
        cp = subprocess.run([str(Path(sys.executable).with_name("zodbconvert")), str(conf),
                             "--incremental"], capture_output=True, text=True)
        if cp.returncode != 0:
            raise MigrationError(f"zodbconvert (mirror to {path}) failed ({cp.returncode}): "
                                 + " | ".join(cp.stderr.strip().splitlines()[-5:]))
    src, dst = _open(source), _open(destination)
    try:
        if src.lastTransaction() > dst.lastTransaction():
            raise MigrationError(f"the mirror {path} ends at {dst.lastTransaction().hex()}, "
                                 f"before the image's {src.lastTransaction().hex()}")
    finally:
        src.close()
        dst.close()
    say(f"mirror {path} is at the image's last thought")
    return Path(path)
