"""A thought that stores thousands of memories commits: the ids it changed ride in the
transaction's extension as runs (FileStorage keeps an extension under 64 KiB; 12,000 ids listed
one by one under two indexes failed with "too much extension data")."""

from __future__ import annotations

import numpy as np

from telos.memory.datamanager import read_extension


def test_twelve_thousand_memories_in_one_thought_commit_and_are_found(image):
    mem = image.memory
    n = 12_000
    vecs = np.random.default_rng(0).standard_normal((n, 384)).astype("f4")
    texts = [f"note number {i} about kettle {i % 97}" for i in range(n)]
    ids = mem._store(texts, vecs, [None] * n)
    assert len(ids) == n and mem.get(ids[-1]).text == texts[-1]
    storage = image.connection.db().storage
    ext = next(iter(storage.iterator(storage.lastTransaction()))).extension
    added = [read_extension(v)[1] for v in ext.values() if isinstance(v, dict) and "token" in v]
    assert added and all(sorted(a) == sorted(ids) for a in added)
    hits = mem.search(vecs[1234], k=1, mode="vector")
    assert hits[0].id == ids[1234]
