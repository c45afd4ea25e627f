"""Memory panel and status bar against the real service."""

from __future__ import annotations

import math

from telos.bridge import protocol as P
from tests.ui.conftest import assert_stacked, image_stats

FACT = "The lighthouse keeper's cat is called Archimedes and sleeps on the lamp room stairs."


def test_status_bar_shows_the_service_and_its_llm_backend(ui):
    status = ui.root.ids.status
    ui.until(lambda: ui.link.last_status is not None and ui.link.last_status.backend, "a status with a backend")
    st = ui.link.last_status
    assert "ollama" in st.backend                      # the stack's service answers through Ollama
    # each field's whole text (``full``); what fits of it is drawn (test_backups_status.py)
    assert status.ids.status_backend.full.startswith(st.backend)
    assert any(m.loaded for m in st.models)            # the stand-in's /api/ps, as the service saw it
    assert any(m.name in status.ids.status_backend.full for m in st.models if m.loaded)
    assert status.ids.status_connection.text.startswith("connected")
    assert ui.link.endpoint in status.ids.status_connection.full
    assert status.ids.status_index.text.startswith(f"index {st.index.state}")
    tiers = {t: n for t, n in st.memory.items() if "_" not in t}
    assert tiers, st.memory                             # the service reports its memory tiers
    for n in tiers.values():                            # and the bar shows each tier's count
        assert f"{n:,}" in status.ids.status_memory.full, (st.memory, status.ids.status_memory.full)
    assert status.ids.status_backup.text.startswith("backup ")   # the stack made a first backup


def test_memory_search_shows_text_source_time_score_and_tiers(ui, stack):
    from telos.bridge.client import BridgeClient

    query = "what is the cat's name?"
    with BridgeClient(stack.endpoint, timeout=300) as c:
        ack = c.remember(FACT, source="ui-test")    # the stack's service has a memory area
        assert isinstance(ack, P.Ack) and ack.record_id
        expected = c.search(query, k=8).hits       # what the service itself answers
    ui.root.show_view("memory")
    mem = ui.root.ids.memory
    mem.ids.memory_query.text = query
    mem.ids.memory_query.dispatch("on_text_validate")
    ui.until(lambda: mem.replies > 0, "the search answered", timeout=300)
    rows = mem.ids.memory_results.data
    assert rows, mem.message
    assert len(rows) == len(expected)
    assert [r["source"] for r in rows] == [h.source or "unknown source" for h in expected]
    top = rows[0]
    assert top["text"] == FACT and top["source"] == "ui-test"
    assert top["tier"] == expected[0].tier != ""
    assert expected[0].tiers and top["tiers"] == " + ".join(expected[0].tiers)   # hybrid: who found it
    assert math.isclose(float(top["distance"]), expected[0].score, abs_tol=5e-4)
    hits = [w for w in ui.widgets("MemoryHitRow") if w.text == FACT]
    assert hits and hits[0].tier == top["tier"]
    assert_stacked(ui.widgets("MemoryHitRow"))
    shot = ui.screenshot("memory")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30
