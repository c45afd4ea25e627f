"""The conversation against the real service: typed query → streamed answer, batched per frame."""

from __future__ import annotations

from tests.ui.conftest import REPLY, assert_stacked, grounded, image_stats

PERSONAS = {"ALFRED", "BRICK", "ROBIN", "BABS"}


def _reply_entry(ui, request_id):
    for entry in ui.root.ids.chat.chatlog.entries:
        if entry.kind == "persona" and entry.request_id == request_id:
            return entry
    return None


def test_typed_query_streams_an_answer_into_the_chat_view(ui, stack):
    standin = stack.standin
    chat = ui.root.ids.chat
    field = chat.ids.query
    field.text = "What is a prototype?"
    field.dispatch("on_text_validate")            # what pressing Enter does
    assert field.text == ""
    user = chat.chatlog.entries[-1]
    assert user.kind == "user" and user.text == "What is a prototype?"
    rid = user.request_id

    seen_partial = {}

    def after_each_batch():          # runs after every frame that brought messages
        entry = _reply_entry(ui, rid)
        if entry is not None and entry.streaming and entry.text:
            seen_partial.setdefault("partial", entry.text)
            seen_partial.setdefault("working", chat.working)
            seen_partial.setdefault("indicator", ui.root.ids.working.text)
            seen_partial.setdefault("lengths", set()).add(len(entry.text))

    ui.link.on_frame(after_each_batch)

    def done():
        entry = _reply_entry(ui, rid)
        return entry is not None and not entry.streaming

    ui.until(done, "the streamed answer completed")
    entry = _reply_entry(ui, rid)
    body, sources = grounded(entry.text)
    assert body == REPLY
    assert "prototype Object" in sources      # grounded: the root prototype's documentation
    assert entry.persona in PERSONAS                  # the orchestrator routed it
    # it really streamed: a strict prefix was on screen before the end, and many tokens arrived
    assert "partial" in seen_partial and REPLY.startswith(seen_partial["partial"])
    assert len(seen_partial["partial"]) < len(REPLY)
    assert len(seen_partial["lengths"]) >= 2          # it grew on screen, frame after frame
    assert seen_partial["working"] is True and chat.working is False
    assert "answering" in seen_partial["indicator"] and ui.root.ids.working.text == ""
    assert entry.tokens > 10
    # the query went through the service to the (stand-in) model, persona prompt included
    chats = [r["body"] for r in standin.requests if r["path"] == "/api/chat"]
    assert any("What is a prototype?" in m["content"] for b in chats for m in b["messages"])
    # batching: the rows were rewritten at most once per frame that brought messages, and far
    # fewer times than tokens arrived
    view = chat.ids.chat_view
    assert view.syncs <= ui.link.frames_with_messages
    assert view.syncs < entry.tokens

    # the widget tree shows it: a bubble labelled with the persona, holding the answer
    # (a paragraph per piece: the answer, then its sources line)
    bubbles = [b for b in ui.widgets("ChatBubble") if b.text == REPLY]
    assert bubbles and bubbles[0].persona == entry.persona, [b.text for b in ui.widgets("ChatBubble")]
    assert any(b.text == "Sources: " + sources for b in ui.widgets("ChatBubble"))
    assert bubbles[0].ids.persona.text.startswith(entry.persona)
    assert list(bubbles[0].persona_color) == list(ui.app.theme.persona_colour(entry.persona))
    assert any(b.text == "What is a prototype?" and b.align == "right" for b in ui.widgets("ChatBubble"))

    assert_stacked([b for b in ui.widgets("ChatBubble") if b.parent is not view.live_area])
    shot = ui.screenshot("chat")
    stats = image_stats(shot)
    assert stats["width"] > 600 and stats["std"] > 10 and stats["colours"] > 50


def test_sending_while_disconnected_says_so_and_sends_nothing(ui, stack):
    standin = stack.standin
    chat = ui.root.ids.chat
    def chats():       # the service also polls /api/ps for its status board: count chats only
        return [r for r in standin.requests if r["path"] == "/api/chat"]

    before = len(chats())
    ui.link.connected = False                  # as the link marks it when the service is lost
    try:
        rid = chat.submit("are you there?")
        ui.frames(2)
        errors = [e for e in chat.chatlog.entries if e.kind == "error" and e.request_id == rid]
        assert errors and "not connected" in errors[0].text and "What to do:" in errors[0].text
    finally:
        ui.link.connected = True
    ui.frames(5)
    assert len(chats()) == before


def test_a_long_reply_spans_rows_and_only_its_open_piece_is_live(ui, stack):
    standin = stack.standin
    long_reply = " ".join(f"word{i}" for i in range(450)) + "\n\nThe end."
    standin.script(long_reply)
    chat = ui.root.ids.chat
    view = chat.ids.chat_view
    rid = chat.submit("tell me a long story")
    live_seen = []
    ui.link.on_frame(lambda: live_seen.append(len(view._live)))
    ui.until(lambda: any(e.request_id == rid and e.kind == "persona" and not e.streaming
                         for e in chat.chatlog.entries), "the long reply completed", timeout=120)
    rows = [r for r in view.data if r.get("request_id") == rid and r.get("kind") == "persona"]
    assert len(rows) >= 5
    assert [r["part"] for r in rows] == ["first"] + ["middle"] * (len(rows) - 2) + ["last"]
    assert rows[0]["persona"] in PERSONAS and rows[-1]["status"]
    entry = next(e for e in chat.chatlog.entries if e.request_id == rid and e.kind == "persona")
    assert grounded(entry.text)[0] == long_reply
    assert sum(r["length"] for r in rows) == len(entry.text)      # the rows hold all of it
    assert max(live_seen) == 1 and not view._live                  # one live piece, gone at the end
    assert_stacked(ui.widgets("ChatBubble"))
    ui.screenshot("chat-long")


def test_the_overlap_check_can_fail(kivy_window):
    import pytest
    from kivy.uix.widget import Widget

    a, b = Widget(pos=(0, 100), size=(10, 50)), Widget(pos=(0, 60), size=(10, 50))
    with pytest.raises(AssertionError, match="overlap"):
        assert_stacked([a, b])
    b.y = 50
    assert_stacked([a, b])
