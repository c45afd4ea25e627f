"""The codebook: the image's atomic symbols, its structured records and its cleanup entries.

``Codebook`` is a prototype (registered as ``image.prototypes["Codebook"]``) with slots

* ``seed``, ``dimension`` — symbols are ``algebra.named_symbol(seed, name, dimension)``, so two
  images with the same seed agree on every symbol whatever order they were created in;
* ``symbols``  OOBTree  name -> Hypervector (roles and fillers alike);
* ``records``  OOBTree  key -> Hypervector of the record, with its ``fields`` as a slot;
* ``entries``  IOBTree  label -> (kind, key, Hypervector): everything the cleanup index holds
  (kinds ``symbol``, ``record``, ``concept``); ``labels`` OOBTree (kind, key) -> label.

Labels are int64 ids of the cleanup index and are never reused.  Writes happen in thoughts; the
facade (``telos.vsa.VSA``) tells the transactional index about them.
"""

from __future__ import annotations

from typing import Mapping

from BTrees.IOBTree import IOBTree
from BTrees.OOBTree import OOBTree

from telos.errors import UnknownSymbolError, VSAError
from telos.uvm import UvmObject
from telos.vsa import algebra, records
from telos.vsa.hypervector import Hypervector

SYMBOL, RECORD, CONCEPT = "symbol", "record", "concept"
KINDS = (SYMBOL, RECORD, CONCEPT)


class Codebook(UvmObject):
    def __init__(self, seed: int | str = 0, dimension: int = algebra.DEFAULT_DIMENSION,
                 _name: str | None = None):
        if int(dimension) < 16:
            raise VSAError(f"codebook dimension {dimension} is too small (at least 16)")
        super().__init__(_name, seed=seed, dimension=int(dimension), symbols=OOBTree(),
                         records=OOBTree(), entries=IOBTree(), labels=OOBTree(), next_label=1)

    # -- symbols ---------------------------------------------------------------------------
    def symbol(self, name: str, *, create: bool = True) -> tuple[Hypervector, int | None]:
        """``(hypervector, new label or None)``; creates the symbol when missing and allowed."""
        if not isinstance(name, str) or not name:
            raise VSAError(f"a symbol name is a non-empty string, got {name!r}")
        hv = self.symbols.get(name)
        if hv is not None:
            return hv, None
        if not create:
            raise UnknownSymbolError(name)
        hv = Hypervector(algebra.named_symbol(self.seed, name, self.dimension), _name=name)
        self.symbols[name] = hv
        return hv, self._enter(SYMBOL, name, hv)

    def knows(self, name: str) -> bool:
        return name in self.symbols

    # -- records ---------------------------------------------------------------------------
    def record(self, key: str, fields: Mapping[str, str]) -> tuple[Hypervector, list[int]]:
        """Store (or replace) a record; returns its hypervector and the labels that changed."""
        fields = records.check_fields(fields)
        changed: list[int] = []

        def vector_of(name: str):
            hv, label = self.symbol(name)
            if label is not None:
                changed.append(label)
            return hv.array

        hv = Hypervector(records.encode(fields, vector_of), _name=key, fields=dict(fields))
        self.records[key] = hv
        changed.append(self._enter(RECORD, key, hv))
        return hv, changed

    def concept(self, key: str, hv: Hypervector) -> int:
        return self._enter(CONCEPT, key, hv)

    def _enter(self, kind: str, key: str, hv: Hypervector) -> int:
        if hv.dimension != self.dimension:
            from telos.errors import DimensionMismatchError
            raise DimensionMismatchError(
                f"codebook is {self.dimension}-d, {kind} {key!r} is {hv.dimension}-d")
        label = self.labels.get((kind, key))
        if label is None:
            label = self.next_label
            self.next_label = label + 1
            self.labels[(kind, key)] = label
        self.entries[label] = (kind, key, hv)
        return label

    def remove(self, kind: str, key: str) -> int | None:
        label = self.labels.pop((kind, key), None)
        if label is not None:
            self.entries.pop(label, None)
            if kind == RECORD:
                self.records.pop(key, None)
            elif kind == SYMBOL:
                self.symbols.pop(key, None)
        return label


class CodebookSource:
    """``VectorSource`` for the transactional cleanup index: every entry, mapped to real."""

    def __init__(self, name: str = "Codebook"):
        self.name = name

    def _codebook(self, conn):
        protos = conn.root().get("prototypes")
        return protos.get(self.name) if protos is not None else None

    def enumerate(self, conn):
        cb = self._codebook(conn)
        if cb is None:
            return
        for label, (_kind, _key, hv) in cb.entries.items():
            yield int(label), algebra.to_real(hv.array)

    def lookup(self, conn, ids):
        cb = self._codebook(conn)
        out = {}
        if cb is None:
            return out
        for i in ids:
            entry = cb.entries.get(int(i))
            if entry is not None:
                out[int(i)] = algebra.to_real(entry[2].array)
        return out
