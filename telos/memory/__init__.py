"""Fractal memory (issue 3): ContextFractal/ConceptFractal records, FAISS L1 under two-phase
commit, DiskANN L2 archive, a Tantivy lexical index under the same commit (issue 18), hybrid search.

``AREA`` is the area (:mod:`telos.memory.area`); ``attach(image)`` returns the per-session
facade exposed as ``image.memory``::

    image.memory.remember("text", source=obj)       # -> id, one thought
    image.memory.remember_many(texts)               # batched, one thought per batch, progress
    image.memory.search("query", k=10)              # -> [Hit(id, text, distance, tier, record, tiers)]
    image.memory.search('"a phrase"', mode="lexical", source=obj)   # modes: hybrid | vector | lexical
    image.memory.stats() / .reindex() / .archive() / .maintain() / .forget(ids)
    image.memory.snapshot(dest_dir)                 # -> {"tid": ..., "files": [...]}

Index files live under ``$TELOS_HOME/index/`` (``l1/``: checkpoint + delta log, ``l2/``: DiskANN,
``lexical/``: Tantivy + stamp; :mod:`telos.memory.txtext`).
The reusable transactional index is :mod:`telos.memory.txindex` (over any mutable
:mod:`telos.index` kind; its data manager is :mod:`telos.memory.datamanager`); the L2 archive
wraps :class:`telos.index.DiskannIndex`. Both answer :class:`telos.index.Hit` lists.
"""

from __future__ import annotations

from telos.memory.area import AREA, attach, engine_for

__all__ = ["AREA", "attach", "engine_for"]
