"""The conversation view: a RecycleView of bubbles cloned from the bubble prototypes.

Behaviour lives here, layout in ``kv/chat.kv``. The view never talks to the bridge itself: the
screen asks the :class:`ui.link.Link` to send, and the frame pump hands it whole batches of
replies on the main thread; :meth:`ChatView.sync` then rewrites only the rows that changed.
"""

from __future__ import annotations

import logging

from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview import views as rv_views
from kivy.uix.recycleview.views import RecycleDataAdapter, RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.measure import TextMeasure
from ui.chatlog import ERROR, PERSONA, SYSTEM, USER, ChatEntry, ChatLog, split_chunks

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
    part = StringProperty("only")       # only | first | middle | last: a long reply spans rows
    offset = NumericProperty(0)         # where this row's text starts in the whole reply
    length = NumericProperty(0)         # how many characters of the reply this row holds
    request_id = StringProperty("")
    kind = StringProperty("persona")    # user | persona | system | error
    fit_width = NumericProperty(0)      # > 0: the card is this wide (short messages), else 78 %

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        self._row_key = (data.get("request_id"), data.get("offset"), data.get("part"), data.get("text"))
        return super().refresh_view_attrs(rv, index, data)


class StableAdapter(RecycleDataAdapter):
    """Gives a row back the view that showed it before.

    Kivy's adapter drops every view into a shared cache whenever ``data`` changes and hands them
    out again in arbitrary order, so each visible bubble is re-bound to another row and all their
    labels re-render (a full texture upload each) — every time a row is appended. Looking for a
    cached view that already shows the same row first makes an append cost one new bubble."""

    def get_view(self, index, data_item, viewclass):
        cache = rv_views._cached_views.get(viewclass) if viewclass is not None else None
        if cache and index not in self.dirty_views.get(viewclass, {}):
            key = (data_item.get("request_id"), data_item.get("offset"), data_item.get("part"),
                   data_item.get("text"))
            for pos in range(len(cache) - 1, -1, -1):
                view = cache[pos]
                if getattr(view, "_row_key", None) == key:
                    del cache[pos]
                    rv_views._cache_count -= 1
                    self.refresh_view_attrs(index, data_item, view)   # same values: no re-render
                    return view
        return super().get_view(index, data_item, viewclass)


class ChatView(RecycleView):
    """The RecycleView itself. Rows carry their measured ``height`` (RecycleView then never has
    to chase bubbles that resize themselves) and it counts its syncs, so tests and the bench can
    see the batching: at most one sync per frame however many tokens arrived."""

    syncs = NumericProperty(0)          # how many times rows were rewritten (≤ one per frame)
    follow = BooleanProperty(True)      # keep the newest bubble in view
    live_area = ObjectProperty(None, allownone=True)   # where streaming pieces are drawn

    def __init__(self, **kwargs):
        kwargs.setdefault("view_adapter", StableAdapter())
        super().__init__(**kwargs)
        self._measured_width = None
        self._chatlog: ChatLog | None = None
        self._prototypes = None
        self._spans: list[tuple[int, int]] = []        # entry index -> (first row, row count)
        self._measure: TextMeasure | None = None
        self._live: dict[int, ChatBubble] = {}         # entry index -> live bubble
        self.bind(width=self._on_width)

    # --- measuring ----------------------------------------------------------------------------
    def _text_width(self) -> float:
        # mirrors kv/chat.kv: outer padding dp(16) + 22 % of the row, card padding 2 × dp(14)
        return max(dp(40), self.width - dp(16) - self.width * 0.22 - 2 * dp(14))

    def _body_height(self, text: str, theme) -> float:
        if self._measure is None:
            self._measure = TextMeasure(sp(theme.font_size), line_height=1.15)
        return self._measure.height(text or "…", self._text_width())

    def rows_for(self, entry: ChatEntry, prototypes) -> list[dict]:
        """One row per piece of the entry's text (usually one), cloned from its bubble prototype."""
        proto = prototypes[_PROTO_FOR_KIND.get(entry.kind, "PersonaBubble")]
        theme = prototypes.theme
        pieces = split_chunks(entry.text) if entry.text else [(0, "…" if entry.streaming else "")]
        rows = []
        for k, (offset, piece) in enumerate(pieces):
            first, last = k == 0, k == len(pieces) - 1
            part = "only" if first and last else "first" if first else "last" if last else "middle"
            shown = piece if part == "only" else piece.strip() if part == "middle" else \
                piece.rstrip() if first else piece.lstrip()
            row = proto.record(text=shown, status=entry.status if last else "",
                               streaming=entry.streaming, part=part, offset=offset,
                               length=len(piece), request_id=entry.request_id or "",
                               kind=entry.kind)
            if entry.kind == PERSONA:
                row["persona"] = entry.persona or "?"
                row["persona_color"] = theme.persona_colour(entry.persona)
            height = self._body_height(shown, theme)
            height += dp(8) * (first + last)                       # card padding
            height += dp(5) * (first + last)                       # row padding
            if first:
                height += dp(18) + 2 * dp(4)                       # persona line + spacing
            if last and entry.status:
                height += dp(16)
            row["height"] = height
            if entry.kind == USER and part == "only" and "\n" not in shown:
                natural = self._measure.line_width(shown) + 2 * dp(14) + dp(4)
                row["fit_width"] = natural if natural < self._text_width() + 2 * dp(14) else 0
            rows.append(row)
        return rows

    # --- rows in the list, and the live piece -------------------------------------------------
    def _split(self, entry: ChatEntry, prototypes) -> tuple[list[dict], dict | None]:
        """The rows that go into the list, and the open piece of a streaming reply (or None).

        RecycleView re-binds *every* visible view whenever its data changes (Kivy's adapter
        invalidates on any data flag), so a reply that changes every frame must not live in
        ``data``: its closed pieces do (they change once), its open piece is drawn by a live
        bubble under the list that only re-renders itself."""
        rows = self.rows_for(entry, prototypes)
        if entry.streaming:
            return rows[:-1], rows[-1]
        return rows, None

    def _all_rows(self) -> list[dict]:
        rows, spans, live = [], [], {}
        for i, e in enumerate(self._chatlog.entries):
            r, piece = self._split(e, self._prototypes)
            spans.append((len(rows), len(r)))
            rows.extend(r)
            if piece is not None:
                live[i] = piece
        self._spans = spans
        self._show_live(live)
        return rows

    def _on_width(self, *_args) -> None:
        if self._chatlog is not None and self.width != self._measured_width:
            self._measured_width = self.width
            if self._measure is not None:
                self._measure.clear()
            self.data = self._all_rows()

    def _show_live(self, pieces: dict[int, dict]) -> None:
        if self.live_area is None:
            return
        for i in [i for i in self._live if i not in pieces]:
            self.live_area.remove_widget(self._live.pop(i))
        for i, row in sorted(pieces.items()):
            bubble = self._live.get(i)
            if bubble is None:
                bubble = self._live[i] = self._prototypes["Bubble"].clone(size_hint_y=None)
                self.live_area.add_widget(bubble)
            for key, value in row.items():
                if key != "viewclass":
                    setattr(bubble, key, value)

    def sync(self, chatlog: ChatLog, prototypes) -> bool:
        """Bring the list and the live bubbles in line with the log. Rows in ``data`` change only
        when a piece closes or a message is added; the streaming piece is one live widget.
        Returns whether anything changed (at most one call per frame does work)."""
        self._chatlog, self._prototypes = chatlog, prototypes
        dirty, _appended = chatlog.take_dirty()
        if not dirty:
            return False
        if self._measured_width != self.width or len(self._spans) > len(chatlog.entries):
            self._measured_width = self.width
            self.data = self._all_rows()
        else:
            data = self.data
            live = {i: self._live_row(i) for i in self._live}
            for i in dirty:
                new, piece = self._split(chatlog.entries[i], prototypes)
                live.pop(i, None)
                if piece is not None:
                    live[i] = piece
                if i >= len(self._spans):
                    self._spans.append((len(data), len(new)))
                    data.extend(new)
                    continue
                start, count = self._spans[i]
                if len(new) < count or (len(new) > count and i != len(self._spans) - 1):
                    self.data = self._all_rows()          # rare: a row count changed mid-list
                    break
                for k in range(count):
                    if data[start + k] != new[k]:
                        data[start + k] = new[k]
                if len(new) > count:
                    data.extend(new[count:])
                self._spans[i] = (start, len(new))
            else:
                self._show_live({i: r for i, r in live.items() if r is not None})
        self.syncs += 1
        if self.follow:
            self.scroll_y = 0
        return True

    def reset(self) -> None:
        """Forget every row and live bubble (the conversation was cleared)."""
        self._show_live({})
        self._spans = []
        self.data = []

    def _live_row(self, i: int) -> dict | None:
        entry = self._chatlog.entries[i] if i < len(self._chatlog.entries) else None
        if entry is None or not entry.streaming:
            return None
        return self._split(entry, self._prototypes)[1]

    def visible_text(self, request_id: str) -> tuple[int, str]:
        """How much of a reply the widget tree shows: (characters covered, text of the widgets)."""
        views = [w for w in self.walk(restrict=False)
                 if isinstance(w, ChatBubble) and w.request_id == request_id and w.kind == PERSONA]
        views += [w for w in self._live.values() if w.request_id == request_id and w.kind == PERSONA]
        covered = max((w.offset + w.length for w in views), default=0)
        return covered, "".join(w.text for w in sorted(views, key=lambda w: w.offset))


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

    def clear(self) -> None:
        """Start a new conversation view (replies still in flight are dropped from view)."""
        self.chatlog = ChatLog()
        self.ids.chat_view.reset()
        self.working = False

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
