"""The transactional wrapper against the conformance suite: ``TxVectorIndex`` over FAISS (as the
memory L1 and the production VSA cleanup index use it) and over the NumPy reference. Every
add/remove is a committed ZODB transaction, and ``reload`` closes the index and reopens it from
its files (checkpoint + delta log) and the storage."""

import numpy as np
import pytest
import transaction
import ZODB
import ZODB.FileStorage
from BTrees.LOBTree import LOBTree

from telos.index import FaissIndex, NumpyIndex
from telos.index.base import VectorIndex
from telos.memory.txindex import TxVectorIndex
from tests.index.conformance import DIM, MutableConformance


class RootVectors:
    """``VectorSource`` over root["vecs"] (id -> tuple of floats)."""

    def enumerate(self, conn):
        for i, v in conn.root()["vecs"].items():
            yield i, np.asarray(v, np.float32)

    def lookup(self, conn, ids):
        vecs = conn.root()["vecs"]
        return {i: np.asarray(vecs[i], np.float32) for i in ids if i in vecs}


class Transactional(VectorIndex):
    """A ``TxVectorIndex`` on its own FileStorage, driven through the plain interface."""

    inner = FaissIndex

    def __init__(self, home, metric):
        super().__init__(DIM, metric)
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.db = ZODB.DB(ZODB.FileStorage.FileStorage(str(home / "t.fs")))
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(self.tm)
        if "vecs" not in self.conn.root():
            self.conn.root()["vecs"] = LOBTree()
            self.tm.commit()
        self.ix = TxVectorIndex(self.db, home / "ix", name="t", dim=DIM, metric=metric,
                                source=RootVectors(), kind=self.inner).open()

    def add(self, ids, vectors):
        ids = [int(i) for i in ids]
        vectors = np.asarray(vectors, np.float32).reshape(len(ids), DIM)
        for i, v in zip(ids, vectors):
            self.conn.root()["vecs"][i] = tuple(float(x) for x in v)
        self.ix.add(self.tm, ids, vectors)
        self.tm.commit()

    def remove(self, ids):
        ids = [int(i) for i in ids]
        n = len(set(ids) & self.ix.ids())
        for i in ids:
            self.conn.root()["vecs"].pop(i, None)
        self.ix.remove(self.tm, ids)
        self.tm.commit()
        return n

    def search(self, queries, k):
        return self.ix.search(queries, k)

    @property
    def count(self):
        return self.ix.count

    def ids(self):
        return np.asarray(sorted(self.ix.ids()), np.int64)

    def save(self, path):
        self.ix.checkpoint()

    @classmethod
    def load(cls, path):
        raise NotImplementedError("reopened by the test (see reload)")

    def close(self):
        self.ix.close()
        self.tm.abort()
        self.conn.close()
        self.db.close()


class TestTransactional(MutableConformance):
    kind = Transactional

    @pytest.fixture(autouse=True)
    def _close(self):
        self.made = []
        yield
        for index in self.made:
            index.close()

    def make(self, tmp_path, metric, ids=(), vectors=()):
        index = self.kind(tmp_path / f"home{len(self.made)}", metric)
        self.made.append(index)
        if len(ids):
            index.add(ids, vectors)
        return index

    def reload(self, index, tmp_path):
        index.add(np.arange(900, 902), np.ones((2, DIM), np.float32))   # a tail for the log
        index.remove([900, 901])
        index.close()
        self.made.remove(index)
        again = self.kind(index.home, index.metric)
        assert again.ix.kind is self.kind.inner
        self.made.append(again)
        return again


class TransactionalNumpy(Transactional):
    inner = NumpyIndex


class TestTransactionalNumpy(TestTransactional):
    kind = TransactionalNumpy
