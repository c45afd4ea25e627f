"""The conversation view: a RecycleView of bubbles cloned from the bubble prototypes.

Behaviour lives here, layout in ``kv/chat.kv``. The view never talks to the bridge itself: the
screen asks the :class:`ui.link.Link` to send, and the frame pump hands it whole batches of
replies on the main thread; :meth:`ChatView.sync` then rewrites only the rows that changed.
"""

from __future__ import annotations

import logging

from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.chatlog import ERROR, PERSONA, SYSTEM, USER, ChatEntry, ChatLog

log = logging.getLogger(__name__)

_PROTO_FOR_KIND = {USER: "UserBubble", PERSONA: "PersonaBubble", SYSTEM: "SystemBubble",
                   ERROR: "ErrorBubble"}


class ChatBubble(RecycleDataViewBehavior, BoxLayout):
    """One bubble (a recycled view; its slots come from a bubble prototype's record)."""

    text = StringProperty("")
    persona = StringProperty("")
    status = StringProperty("")
    persona_color = ColorProperty((1, 1, 1, 1))
    bubble_color = ColorProperty((0.15, 0.17, 0.2, 1))
    text_color = ColorProperty((1, 1, 1, 1))
    align = StringProperty("left")
    streaming = BooleanProperty(False)
    index = NumericProperty(-1)

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        return super().refresh_view_attrs(rv, index, data)


class ChatView(RecycleView):
    """The RecycleView itself. Rows carry their measured ``height`` (RecycleView then never has
    to chase bubbles that resize themselves) and it counts its syncs, so tests and the bench can
    see the batching: at most one sync per frame however many tokens arrived."""

    syncs = NumericProperty(0)          # how many times rows were rewritten (≤ one per frame)
    follow = BooleanProperty(True)      # keep the newest bubble in view

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._measured_width = None
        self._chatlog: ChatLog | None = None
        self._prototypes = None
        self.bind(width=self._on_width)

    # --- measuring ----------------------------------------------------------------------------
    def _text_width(self, align: str) -> float:
        # mirrors kv/chat.kv: outer padding dp(16) + 22 % of the row, card padding 2 × dp(14)
        return max(dp(40), self.width - dp(16) - self.width * 0.22 - 2 * dp(14))

    def measure(self, entry: ChatEntry, theme) -> float:
        text = entry.text or "…"
        label = CoreLabel(text=text, font_size=sp(theme.font_size), line_height=1.15,
                          text_size=(self._text_width("left"), None), halign="left")
        label.refresh()
        body = label.texture.size[1] if label.texture is not None else sp(theme.font_size)
        status = dp(16) + dp(4) if entry.status else 0
        return dp(5) * 2 + dp(8) * 2 + dp(18) + dp(4) + body + status + dp(2)

    def row_for(self, entry: ChatEntry, prototypes) -> dict:
        proto = prototypes[_PROTO_FOR_KIND.get(entry.kind, "PersonaBubble")]
        row = proto.record(text=entry.text or ("…" if entry.streaming else ""),
                           status=entry.status, streaming=entry.streaming)
        if entry.kind == PERSONA:
            row["persona"] = entry.persona or "?"
            row["persona_color"] = prototypes.theme.persona_colour(entry.persona)
        row["height"] = self.measure(entry, prototypes.theme)
        return row

    def _on_width(self, *_args) -> None:
        if self._chatlog is not None and self.width != self._measured_width:
            self._measured_width = self.width
            self.data = [self.row_for(e, self._prototypes) for e in self._chatlog.entries]

    def sync(self, chatlog: ChatLog, prototypes) -> bool:
        """Bring the rows in line with the log: appended rows in one extend, changed rows one by
        one (a handful per frame). Returns whether anything changed."""
        self._chatlog, self._prototypes = chatlog, prototypes
        dirty, appended = chatlog.take_dirty()
        if not dirty:
            return False
        if self._measured_width != self.width:
            self._measured_width = self.width
            self.data = [self.row_for(e, prototypes) for e in chatlog.entries]
        else:
            n_rows = len(self.data)
            for i in dirty:
                if i < n_rows:
                    self.data[i] = self.row_for(chatlog.entries[i], prototypes)
            if len(chatlog.entries) > n_rows:
                self.data.extend(self.row_for(e, prototypes) for e in chatlog.entries[n_rows:])
        self.syncs += 1
        if self.follow:
            self.scroll_y = 0
        return True


class ChatScreenBody(BoxLayout):
    """The chat screen: the view, the input line, the persona chooser and the working indicator."""

    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    working = BooleanProperty(False)
    personas = ObjectProperty(["auto", "ALFRED", "BRICK", "ROBIN", "BABS"])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.chatlog = ChatLog()

    # --- outgoing --------------------------------------------------------------------------
    def submit(self, text: str | None = None, persona: str | None = None) -> str | None:
        """Send the input line as a USER_QUERY_REQUEST; returns its request id (None if empty)."""
        field = self.ids.query
        text = (field.text if text is None else text).strip()
        if not text:
            return None
        if persona is None:
            persona = self.ids.persona.text
        persona = None if persona in ("", "auto") else persona
        try:
            message = P.UserQueryRequest(query_text=text, persona=persona)
        except ValueError as exc:
            self.chatlog.error(None, "invalid_message", f"cannot send that: {exc}",
                               "shorten the message")
            self.refresh()
            return None
        field.text = ""
        self.chatlog.user(text, message.request_id)
        if self.link is None or not self.link.connected:
            self.chatlog.error(message.request_id, "unavailable",
                               "the service is not connected; nothing was sent",
                               "wait for the status bar to say connected, then send again")
        else:
            self.link.send(message)
        self.refresh()
        return message.request_id

    # --- incoming (main thread, one batch per frame) ----------------------------------------
    def on_partials(self, request_id: str, persona: str, tokens: list[str]) -> None:
        self.chatlog.tokens(request_id, persona, tokens)

    def on_complete(self, msg: P.PersonaResponseComplete) -> None:
        self.chatlog.complete(msg.request_id, msg.persona_id, msg.full_text, msg.thought_id)

    def on_error(self, msg: P.Error) -> None:
        self.chatlog.error(msg.request_id, msg.code, msg.message, msg.hint)

    def on_disconnected(self, reason: str) -> None:
        if self.chatlog.pending:
            self.chatlog.abandon_pending(reason)

    def refresh(self, *_args) -> None:
        """Called once at the end of every frame that brought messages."""
        self.ids.chat_view.sync(self.chatlog, self.prototypes)
        self.working = self.chatlog.working
