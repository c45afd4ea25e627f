"""``TantivyIndex``: the lexical :class:`~telos.index.base.TextIndex` over Tantivy (BM25).

    index = TantivyIndex()                  # in RAM; TantivyIndex(path) keeps it in a directory
    index.add([1, 2], ["a text", "another"], sources=["oid:00..01", None])
    index.search('"exact phrase" words', k=10, source=None)   # -> [Hit(id, -score), ...]
    index.flush()                           # make the staged changes durable (a Tantivy commit)
    index.save(path); TantivyIndex.load(path)

Writes are staged in Tantivy's writer; ``flush`` commits them (new segments + ``meta.json``,
O(change)); ``search`` flushes first, so an index always answers for what was added. Text is
analysed with Tantivy's English stemmer; a query is words (any may match, BM25 ranks) and
``"quoted phrases"``, nothing else of Tantivy's query syntax (``plain_query``), so text such as
``a - b`` or ``x:y`` is searched as written and never raises. The source key is one raw term per entry.
Damaged or foreign directories raise ``VectorIndexError`` from ``load``.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Iterable

import numpy as np

from telos.index.base import Hit, TextIndex, VectorIndexError

HEAP_BYTES = 16 << 20
_SKIP = (".tantivy-writer.lock", ".tantivy-meta.lock", ".managed.json")


def plain_query(text: str) -> str:
    """A user's words as a Tantivy query: ``"quoted phrases"`` stay phrases, everything else is
    words (any of them may match); no other query syntax (``-x``, ``a:b``, ``AND``, ``^``)."""
    parts = []
    for phrase, rest in re.findall(r'"([^"]*)"|([^"]+)', str(text)):
        words = [w.lower() for w in re.findall(r"\w+", phrase or rest)]
        if phrase and len(words) > 1:
            parts.append('"' + " ".join(words) + '"')
        else:
            parts += words
    return " ".join(parts)


def _schema():
    import tantivy
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("text", stored=False, tokenizer_name="en_stem")
    sb.add_text_field("source", stored=False, tokenizer_name="raw")
    return sb.build()


class TantivyIndex(TextIndex):
    """See the module docstring."""

    def __init__(self, path: Path | None = None, *, _open: bool = False):
        import tantivy
        self.path = Path(path) if path is not None else None
        self._lock = threading.RLock()
        try:
            if self.path is None:
                self._index = tantivy.Index(_schema())
            else:
                if not _open:
                    shutil.rmtree(self.path, ignore_errors=True)
                    self.path.mkdir(parents=True, exist_ok=True)
                self._index = tantivy.Index(_schema(), path=str(self.path), reuse=_open)
            self._writer = self._index.writer(HEAP_BYTES, 1)
            self._index.reload()
            # the id set of an index opened from disk is read on first need (``_known``), not
            # here: reading it loads every stored document, O(records) at every open
            self._ids: set[int] | None = None if _open else set()
        except (ValueError, OSError, RuntimeError) as exc:
            raise VectorIndexError(f"TantivyIndex at {self.path}: {exc}") from exc
        self._dirty = False

    # -- writes ------------------------------------------------------------------------
    def add(self, ids: Iterable[int], texts: Iterable[str], sources=None) -> None:
        ids = [int(i) for i in ids]
        texts = [str(t) for t in texts]
        sources = list(sources) if sources is not None else [None] * len(ids)
        if not len(ids) == len(texts) == len(sources):
            raise VectorIndexError(f"{len(ids)} ids for {len(texts)} texts, {len(sources)} sources")
        import tantivy
        with self._lock:
            for i, text, src in zip(ids, texts, sources):
                self._writer.delete_documents_by_term("id", i)
                doc = tantivy.Document(id=i, text=text)
                if src is not None:
                    doc.add_text("source", str(src))
                self._writer.add_document(doc)
                if self._ids is not None:
                    self._ids.add(i)
            self._dirty = self._dirty or bool(ids)

    def remove(self, ids: Iterable[int]) -> int:
        n = 0
        with self._lock:
            drop = {int(i) for i in ids}
            known = self._known() if drop else set()
            for i in drop:
                if i in known:
                    self._writer.delete_documents_by_term("id", i)
                    self._ids.discard(i)
                    n += 1
            self._dirty = self._dirty or bool(n)
        return n

    def flush(self) -> bool:
        """Commit staged changes (durable when the index has a path); False if none were."""
        with self._lock:
            if not self._dirty:
                return False
            try:
                self._writer.commit()
                self._index.reload()
            except (ValueError, OSError, RuntimeError) as exc:
                raise VectorIndexError(f"TantivyIndex at {self.path}: commit failed: {exc}") from exc
            self._dirty = False
            return True

    @property
    def dirty(self) -> bool:
        return self._dirty

    # -- reads -------------------------------------------------------------------------
    def search(self, query: str, k: int, source: str | None = None) -> list[Hit]:
        import tantivy
        if k <= 0 or not str(query).strip():
            return []
        with self._lock:
            self.flush()
            q, _errors = self._index.parse_query_lenient(plain_query(query), ["text"])
            if source is not None:
                q = tantivy.Query.boolean_query([
                    (tantivy.Occur.Must, q),
                    (tantivy.Occur.Must, tantivy.Query.term_query(self._index.schema, "source",
                                                                  str(source)))])
            try:
                searcher = self._index.searcher()
                res = searcher.search(q, int(k), count=False)
                hits = [Hit(int(searcher.doc(addr)["id"][0]), -float(score))
                        for score, addr in res.hits]
            except (ValueError, OSError, RuntimeError) as exc:
                raise VectorIndexError(f"TantivyIndex at {self.path}: search failed: {exc}") from exc
        hits.sort(key=lambda h: (h.distance, h.id))
        return hits

    @property
    def count(self) -> int:
        with self._lock:
            if self._ids is None and not self._dirty:
                return int(self._index.searcher().num_docs)
            return len(self._known())

    def ids(self) -> np.ndarray:
        with self._lock:
            return np.asarray(sorted(self._known()), np.int64)

    def __contains__(self, id: int) -> bool:
        with self._lock:
            return int(id) in self._known()

    def _known(self) -> set[int]:
        """The id set, read from the index the first time it is needed after an open (staged
        changes are committed first, so the committed documents are all there is)."""
        if self._ids is None:
            self.flush()
            self._ids = set(self._all_ids())
        return self._ids

    def _all_ids(self) -> list[int]:
        import tantivy
        searcher = self._index.searcher()
        n = searcher.num_docs
        if not n:
            return []
        res = searcher.search(tantivy.Query.all_query(), n, count=False)
        return [int(searcher.doc(addr)["id"][0]) for _, addr in res.hits]

    # -- files -------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """The files of the last flush (``meta.json`` and the segments), for a copy."""
        if self.path is None:
            return []
        return sorted(p for p in self.path.iterdir() if p.is_file() and p.name not in _SKIP
                          and not p.name.startswith("."))

    def save(self, path: Path) -> None:
        """Flush, then copy the index files into the directory ``path``."""
        with self._lock:
            if self.path is None:
                raise VectorIndexError("an in-RAM TantivyIndex has no files to save")
            self.flush()
            dest = Path(path)
            dest.mkdir(parents=True, exist_ok=True)
            for p in self.files():
                shutil.copy2(p, dest / p.name)

    @classmethod
    def load(cls, path: Path) -> "TantivyIndex":
        path = Path(path)
        if not (path / "meta.json").is_file():
            raise VectorIndexError(f"no Tantivy index at {path}")
        return cls(path, _open=True)

    def close(self, flush: bool = True) -> None:
        """Flush (unless ``flush`` is False: staged changes are dropped, as when the index is
        being replaced), let the writer's merge threads finish and release the directory's lock."""
        with self._lock:
            if self._writer is None:
                return
            try:
                if flush:
                    self.flush()
            finally:
                writer, self._writer = self._writer, None
                writer.wait_merging_threads()
