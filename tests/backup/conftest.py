"""Fixtures for backup tests: a key in the environment, a plain ZODB FileStorage with a workload,
and helpers to make sets and damage files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KEY_HEX = "5a" * 32


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("TELOS_BACKUP_KEY", KEY_HEX)
    return KEY_HEX


@pytest.fixture
def keys(key_env, telos_home):
    from telos.backup.keys import load_keys
    return load_keys(telos_home)


class Workload:
    """A plain ZODB FileStorage that grows by ``commit(n)`` transactions of random bytes."""

    def __init__(self, path: Path):
        import ZODB
        from ZODB.FileStorage import FileStorage
        self.path = path
        self.storage = FileStorage(str(path))
        self.db = ZODB.DB(self.storage)
        self.conn = self.db.open()
        self.i = 0

    def commit(self, n: int = 5, size: int = 2000) -> str:
        import transaction
        from persistent.mapping import PersistentMapping
        root = self.conn.root()
        for _ in range(n):
            root[f"k{self.i}"] = PersistentMapping(data=os.urandom(size), i=self.i)
            self.i += 1
            transaction.commit()
        return self.db.lastTransaction().hex()

    def close(self) -> None:
        self.conn.close()
        self.db.close()


@pytest.fixture
def workload(tmp_path):
    (tmp_path / "img").mkdir()
    w = Workload(tmp_path / "img" / "Data.fs")
    yield w
    w.close()


@pytest.fixture
def dest(tmp_path) -> Path:
    d = tmp_path / "dest"
    d.mkdir()
    return d


class HandMadeDest:
    """A destination written set by set: each manifest names the previous one's sha256."""

    def __init__(self, path, keys):
        self.path, self.keys = path, keys
        self.prev: str | None = None
        self.seq = 0
        self.end = 0

    def add(self, chain: str, stamp: str, kind: str = "incremental", *, head: bool = True,
            prev: str | None = "auto", keys=None, **extra):
        self.seq += 1
        start, self.end = (0 if kind == "full" else self.end), self.end + 100
        body = {"seq": self.seq, "kind": kind, "tid": None,
                "prev": self.prev if prev == "auto" else prev,
                "repozo": {"start": start, "end": self.end}, "files": {}, **extra}
        from telos.backup.manifest import sha256_bytes, sign
        data = sign(body, keys or self.keys)
        d = self.path / "chains" / chain / "sets" / stamp
        d.mkdir(parents=True)
        (d / "manifest.json").write_bytes(data)
        self.prev = sha256_bytes(data)
        if head:
            self.head()
        from telos.backup.layout import SetRef
        return SetRef(d)

    def head(self, seq=None, sha=None):
        from telos.backup.manifest import sign
        (self.path / "HEAD.json").write_bytes(sign(
            {"seq": seq or self.seq, "sha256": sha or self.prev, "set": "x"}, self.keys))


@pytest.fixture
def handmade(dest, keys) -> HandMadeDest:
    """A destination built from signed manifests alone (no repozo files)."""
    return HandMadeDest(dest, keys)


def flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    pos = len(data) // 2 if offset is None else offset
    data[pos] ^= 0x40
    path.write_bytes(bytes(data))


def data_file(ref) -> Path:
    rel = next(r for r, i in ref.manifest["files"].items() if i["role"] == "data")
    return ref.chain_dir / rel


def restored_tid(result) -> str:
    from telos.backup.repozo import last_tid
    return last_tid(result.image).hex()
