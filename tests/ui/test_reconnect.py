"""The service killed and restarted: the UI says disconnected, then reconnects by itself."""

from __future__ import annotations

from tests.ui.conftest import REPLY, grounded, image_stats


def test_service_killed_and_restarted(ui, stack):
    theme = ui.app.theme
    status = ui.root.ids.status
    chat = ui.root.ids.chat

    stack.kill_service()                                   # SIGKILL: a crash, not a shutdown
    ui.until(lambda: not ui.link.connected, "the UI noticed the service is gone")
    assert "disconnected" in status.ids.status_connection.text
    assert list(status.ids.status_connection.color) == list(theme.error)
    shot = ui.screenshot("disconnected")
    assert image_stats(shot)["std"] > 10

    rid = chat.submit("anyone home?")                      # refused in the UI, with what to do
    ui.frames(2)
    assert any(e.kind == "error" and e.request_id == rid and "not connected" in e.text
               for e in chat.chatlog.entries)

    stack.start_service()                                  # nobody touches the UI
    ui.until(lambda: ui.link.connected and ui.link.reconnects >= 1, "reconnected by itself", timeout=120)
    assert status.ids.status_connection.text.startswith("connected")

    rid = chat.submit("and now?")
    ui.until(lambda: any(e.kind == "persona" and e.request_id == rid and not e.streaming
                         for e in chat.chatlog.entries), "an answer after the restart", timeout=120)
    answer = next(e for e in chat.chatlog.entries if e.kind == "persona" and e.request_id == rid)
    assert grounded(answer.text)[0] == REPLY
