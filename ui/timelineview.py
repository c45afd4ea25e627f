"""The Thoughts timeline: the image's recent thoughts (time, author and its kind, note), filtered
by object or author, kept live by the service's ``THOUGHTS_COMMITTED`` pushes, with undo and the
way into the past (an object as of a thought, memory as of a thought).

Nothing polls: the list is asked for when the panel is shown, when a filter changes and when the
connection comes back; after that every push (delivered by :class:`ui.link.Link` on the Kivy
clock) adds its thoughts on top — or, while an object filter is set (a push does not say which
objects a thought changed), asks the service for the filtered list again. A RecycleView shows
them, so 10,000 thoughts cost a handful of row widgets.
"""

from __future__ import annotations

import logging

from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.timeline import Timeline, thought_label, thought_texts, undo_text

log = logging.getLogger(__name__)

LIMIT = 10_000          # the most LIST_THOUGHTS answers with, and the most the timeline keeps
MIN_PAGE = 100


class ThoughtRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    thought_id = StringProperty("")
    when = StringProperty("")
    author = StringProperty("")
    author_kind = StringProperty("person")
    note = StringProperty("")
    author_color = ColorProperty((1, 1, 1, 1))
    panel = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.panel is not None:
            self.panel.select(self.thought_id)


class TimelinePanel(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    navigator = ObjectProperty(None, allownone=True)    # the RootView: as-of, history, views
    shown = BooleanProperty(False)
    summary = StringProperty("The image's thoughts: every commit, newest first.")
    selected = StringProperty("")                      # thought id of the picked row
    picked = ObjectProperty(None, allownone=True)      # its ThoughtView (memory's "as of")
    picked_text = StringProperty("")
    outcome = StringProperty("")
    outcome_ok = BooleanProperty(True)
    object_filter = StringProperty("")                 # applied filters (the fields may differ)
    author_filter = StringProperty("")
    replies = NumericProperty(0)                       # THOUGHT_LIST replies received
    pushes = NumericProperty(0)                        # THOUGHTS_COMMITTED received
    live_added = NumericProperty(0)                    # thoughts added from pushes
    undos = NumericProperty(0)                         # UNDO_THOUGHT replies received

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.timeline = Timeline(LIMIT)
        self._asking: str | None = None
        self._ask_again = False
        self._undoing: str | None = None
        self._scroll_to = False
        self.page = LIMIT                 # halved while the service's answer is too large a frame

    # --- events ------------------------------------------------------------------------------
    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.on_found(lambda: self.shown and self.refresh())

    def on_shown(self, _instance, shown: bool) -> None:
        if shown and (self.replies == 0 or self._ask_again):
            self.refresh()

    def on_committed(self, msg: P.ThoughtsCommitted) -> None:
        """A push: the thoughts that just committed, anyone's (main thread, from the link)."""
        self.pushes += 1
        if self.replies == 0:
            return                        # nothing listed yet: the first list will have them
        if self.object_filter:
            self._ask_again = True        # which objects they changed is the service's to say
            if self.shown:
                self.refresh()
            return
        added = self.timeline.add(msg.thoughts, self.author_filter or None)
        if added:
            self.live_added += len(added)
            self.ids.thought_rows.data = self._records(added) + self.ids.thought_rows.data
            self._say_summary()

    # --- requests ----------------------------------------------------------------------------
    def _connected(self) -> bool:
        return self.link is not None and self.link.connected

    def apply_filters(self, obj: str | None = None, author: str | None = None) -> str | None:
        obj = (self.ids.object_field.text if obj is None else obj).strip()
        author = (self.ids.author_field.text if author is None else author).strip()
        self.ids.object_field.text, self.ids.author_field.text = obj, author
        self.object_filter, self.author_filter = obj, author
        return self.refresh(force=True)

    def clear_filters(self) -> str | None:
        return self.apply_filters("", "")

    def refresh(self, force: bool = False) -> str | None:
        if not self._connected():
            self.summary = "the service is not connected; the timeline waits for it"
            return None
        if self._asking is not None:
            self._ask_again = True        # asked again once this answer is in
            if not force:
                return None
        obj = self.object_filter
        msg = P.ListThoughts(limit=self.page, name=obj or None, author=self.author_filter or None)
        self._asking, self._ask_again = msg.request_id, False
        self.link.request(msg, self._on_list)
        return msg.request_id

    def _on_list(self, reply) -> None:
        if reply.request_id != self._asking:
            return                        # an older question, overtaken by a filter change
        self._asking = None
        self.replies += 1
        if isinstance(reply, P.Error) and reply.code == P.TOO_LARGE and self.page > MIN_PAGE:
            # 10,000 thoughts do not fit in one bridge frame (1 MiB): ask for fewer; the pushes
            # still add every new one on top, up to LIMIT
            self.page = max(MIN_PAGE, self.page // 2)
            log.info("timeline: the list was too large for a frame; asking for %d", self.page)
            self.refresh(force=True)
            return
        if isinstance(reply, P.Error):
            self.summary = f"could not list the thoughts [{reply.code}]: {reply.message}"
            self.timeline.replace([])
            self.ids.thought_rows.data = []
            return
        self.timeline.replace(reply.thoughts)
        self.ids.thought_rows.data = self._records(self.timeline.thoughts)
        self._say_summary()
        if self.selected and (self.picked is None or self._scroll_to):
            self.show_thought(self.selected)       # picked before the list had it
        if self._ask_again and self.shown:
            self.refresh()

    def _say_summary(self) -> None:
        n = len(self.timeline)
        where = []
        if self.object_filter:
            where.append(f"that changed {self.object_filter}")
        if self.author_filter:
            where.append(f"by an author matching {self.author_filter!r}")
        self.summary = (f"{n:,} thought{'s' if n != 1 else ''} " + " ".join(where)
                        + (f" (the newest {n:,})" if n >= self.page else "")
                        + " — live: new thoughts appear as they commit").replace("  ", " ")

    def _records(self, thoughts) -> list[dict]:
        theme, proto = self.prototypes.theme, self.prototypes["ThoughtRow"]
        colours = {"person": theme.text, "persona": theme.persona_colour("ALFRED"),
                   "kernel": theme.persona_colour("KERNEL"), "job": theme.text_muted}
        return [proto.record(panel=self, author_color=colours.get(t.author_kind, theme.text),
                             **thought_texts(t)) for t in thoughts]

    # --- the picked thought --------------------------------------------------------------------
    def select(self, thought_id: str) -> None:
        self.selected = thought_id
        self.picked = self.timeline.get(thought_id)
        self.picked_text = thought_label(self.picked, thought_id)
        self.outcome = ""

    def show_thought(self, thought_id: str) -> None:
        """Pick a thought and scroll it into view (from a diff's "by thought" link)."""
        self.select(thought_id)
        ids = [t.thought_id for t in self.timeline.thoughts]
        self._scroll_to = thought_id not in ids
        if thought_id in ids and len(ids) > 1:
            self.ids.thought_rows.scroll_y = 1 - ids.index(thought_id) / (len(ids) - 1)

    def undo(self, thought_id: str | None = None) -> str | None:
        thought_id = thought_id or self.selected
        if not thought_id:
            self.outcome, self.outcome_ok = "pick a thought to undo", False
            return None
        if not self._connected():
            self.outcome, self.outcome_ok = "the service is not connected; nothing was undone", False
            return None
        msg = P.UndoThought(thought_id=thought_id)
        self._undoing = thought_id
        self.outcome, self.outcome_ok = f"undoing thought {thought_id}…", True
        self.link.request(msg, self._on_undone)
        return msg.request_id

    def _on_undone(self, reply) -> None:
        self.undos += 1
        self.outcome, self.outcome_ok = undo_text(reply, self._undoing or "")
        self._undoing = None

    def open_as_of(self) -> None:
        if not self.selected:
            self.outcome, self.outcome_ok = "pick a thought first", False
            return
        self.navigator.open_as_of(self.selected, self.picked, name=self.object_filter or None)

    def search_as_of(self) -> None:
        if not self.selected:
            self.outcome, self.outcome_ok = "pick a thought first", False
            return
        self.navigator.search_as_of(self.picked)
