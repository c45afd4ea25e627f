"""telos/memory/engine.py: the bank located through a connection, the embedder taken lazily,
and L1 rebuilt from the image when it does not hold exactly the unarchived records (real image,
stand-in embedder; archiving into L2: test_layered.py)."""

from __future__ import annotations

import transaction

from telos.memory import engine as engine_module
from telos.memory.engine import CHECKED, MemoryEngine, locate_bank


def _conn(db):
    tm = transaction.TransactionManager()
    return db.open(tm), tm


def test_locate_bank_through_a_connection(image):
    conn, tm = _conn(image.store.db)
    try:
        assert locate_bank(conn) is not None
        assert len(locate_bank(conn).contexts) == 0
    finally:
        tm.abort()
        conn.close()


def test_locate_bank_before_awakening_is_none():
    class Conn:
        def __init__(self, root):
            self._root = root

        def root(self):
            return self._root
    assert locate_bank(Conn({})) is None
    assert locate_bank(Conn({"prototypes": {}})) is None


def test_the_embedder_is_taken_from_the_shared_place_on_first_use(image, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(engine_module, "shared_embedder",
                        lambda shared: asked.append(shared) or "the shared embedder")
    shared = {}
    eng = MemoryEngine(image.store.db, tmp_path / "index", shared=shared)
    try:
        assert asked == []                                  # nothing loaded at construction
        assert eng.embedder == "the shared embedder" and eng.embedder == "the shared embedder"
        assert asked == [shared]
    finally:
        eng.close()


def test_a_given_embedder_is_used(image, tmp_path):
    eng = MemoryEngine(image.store.db, tmp_path / "index", embedder="mine")
    try:
        assert eng.embedder == "mine"
    finally:
        eng.close()


def test_l1_lost_is_rebuilt_from_the_image(image, standin_embedder, tmp_path):
    image.memory.remember_many(["one", "two", "three"])
    eng = MemoryEngine(image.store.db, tmp_path / "fresh-index")   # no L1 files there
    try:
        assert len(eng.l1) == 3 and set(eng.l1.ids()) == {1, 2, 3}
        assert eng.l2.max_id == 0
    finally:
        eng.close()


def test_l1_that_disagrees_with_the_image_is_rebuilt(image, standin_embedder, tmp_path, caplog):
    image.memory.remember_many(["one", "two", "three"])
    eng = MemoryEngine(image.store.db, tmp_path / "index")
    eng.l1.checkpoint()
    eng.close()
    with image.thought("a record removed behind the index's back"):
        del image.prototypes["MemoryManager"].bank.contexts[2]
    # L1 is counted against the image when the archive is not the one it was last checked
    # against (tests/memory/test_startup.py); here there is no stamp of that check
    (tmp_path / "index" / CHECKED).unlink()
    with caplog.at_level("WARNING"):
        again = MemoryEngine(image.store.db, tmp_path / "index")
    try:
        assert "L1 holds 3 vectors but the image has 2 records above the archive watermark 0" \
            in caplog.text
        assert set(again.l1.ids()) == {1, 3}
    finally:
        again.close()


def test_an_engine_matching_the_image_does_not_rebuild(image, standin_embedder, tmp_path,
                                                       caplog):
    """Reopening indexes that hold what the image holds loads them: no rebuild of either."""
    image.memory.remember_many(["one", "two", "three"])
    eng = MemoryEngine(image.store.db, tmp_path / "index")
    eng.l1.checkpoint()
    eng.close()                     # (its first open built both from the image)
    caplog.clear()
    with caplog.at_level("WARNING"):
        again = MemoryEngine(image.store.db, tmp_path / "index")
    try:
        assert "rebuil" not in caplog.text, caplog.text
        assert set(again.l1.ids()) == {1, 2, 3} and again.lexical.ids() == {1, 2, 3}
    finally:
        again.close()
