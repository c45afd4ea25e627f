"""Memory panel and status bar against the real service."""

from __future__ import annotations

import pytest

from telos.bridge import protocol as P
from telos.errors import RemoteError
from tests.ui.conftest import assert_stacked, image_stats

FACT = "The lighthouse keeper's cat is called Archimedes and sleeps on the lamp room stairs."


def test_status_bar_shows_the_service_and_its_llm_backend(ui):
    status = ui.root.ids.status
    ui.until(lambda: ui.link.last_status is not None and ui.link.last_status.backend, "a status with a backend")
    st = ui.link.last_status
    assert "ollama" in st.backend                      # the stack's service answers through Ollama
    assert status.ids.status_backend.text.startswith(st.backend)
    assert any(m.loaded for m in st.models)            # the stand-in's /api/ps, as the service saw it
    assert any(m.name in status.ids.status_backend.text for m in st.models if m.loaded)
    assert status.ids.status_connection.text.startswith("connected")
    assert ui.link.endpoint in status.ids.status_connection.text
    assert status.ids.status_index.text.startswith("index ")
    assert status.ids.status_memory.text.startswith("memory")
    assert status.ids.status_backup.text                # "no backup yet" or "backup … ago"


def test_memory_search_shows_text_source_time_score_and_tier(ui, stack):
    from telos.bridge.client import BridgeClient

    with BridgeClient(stack.endpoint, timeout=300) as c:
        try:
            ack = c.remember(FACT, source="ui-test")
        except RemoteError as exc:
            ack = exc
    ui.root.show_view("memory")
    mem = ui.root.ids.memory
    mem.ids.memory_query.text = "what is the cat's name?"
    mem.ids.memory_query.dispatch("on_text_validate")
    ui.until(lambda: mem.replies > 0, "the search answered", timeout=300)
    if isinstance(ack, RemoteError):
        # the service has no memory area: the panel must say so (code and reason), not hide it
        assert ack.code in mem.message and "search failed" in mem.message
        assert not mem.ids.memory_results.data
        ui.screenshot("memory-unavailable")
        pytest.skip(f"the service's memory area is unavailable: {ack}")
    assert isinstance(ack, P.Ack)
    rows = mem.ids.memory_results.data
    assert rows, mem.message
    top = rows[0]
    assert top["text"] == FACT and top["source"] == "ui-test" and top["tier"]
    assert float(top["distance"]) == float(top["distance"])          # a number
    hits = [w for w in ui.widgets("MemoryHitRow") if w.text == FACT]
    assert hits and hits[0].tier == top["tier"]
    assert_stacked(ui.widgets("MemoryHitRow"))
    shot = ui.screenshot("memory")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30
