"""An object's history (opened from the inspector): its revisions — the object as each thought
that changed it left it — and, for any two picked, a per-slot diff (values, parents, a method's
source as a coloured unified diff), each change linked to its thought and, for a method, showing
its provenance. A picked revision's thought can be undone or the object opened as of it.

Picking: a click adds a revision to the pair (the third click drops the older pick); with one
pick the diff runs from it to now. The newest two are picked when the history arrives.
"""

from __future__ import annotations

import logging

from kivy.metrics import dp, sp
from kivy.properties import (BooleanProperty, ColorProperty, ListProperty, NumericProperty,
                             ObjectProperty, StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.measure import TextMeasure
from ui.timeline import change_texts, diff_title, revision_texts, thought_label, undo_text

log = logging.getLogger(__name__)


class RevisionRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    thought_id = StringProperty("")
    when = StringProperty("")
    author = StringProperty("")
    note = StringProperty("")
    summary = StringProperty("")
    panel = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.panel is not None:
            self.panel.pick(self.thought_id)


class ChangeRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    head = StringProperty("")
    body = StringProperty("")
    thought = StringProperty("")
    thought_id = StringProperty("")
    provenance = StringProperty("")
    kind = StringProperty("data")
    change = StringProperty("changed")
    head_color = ColorProperty((1, 1, 1, 1))
    body_height = NumericProperty(0)
    provenance_height = NumericProperty(0)
    panel = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.panel is not None and self.thought_id:
            self.panel.follow(self.thought_id)


class HistoryScreenBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    navigator = ObjectProperty(None, allownone=True)
    shown = BooleanProperty(False)
    object_id = StringProperty("")
    title = StringProperty("History")
    summary = StringProperty("Open an object in the inspector and press History.")
    diff_heading = StringProperty("Pick two revisions to compare them")
    picks = ListProperty([])                 # thought ids, older pick first
    outcome = StringProperty("")
    outcome_ok = BooleanProperty(True)
    replies = NumericProperty(0)             # HISTORY_LIST replies
    diffs = NumericProperty(0)               # OBJECT_DIFF replies
    undos = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.revisions: list[P.RevisionView] = []
        self.diff: P.ObjectDiff | None = None
        self._asking: str | None = None
        self._diffing: str | None = None
        self._stale = False
        self._undoing = ""
        self._body = self._mono = None

    # --- events ------------------------------------------------------------------------------
    def on_kv_post(self, base_widget):
        self.ids.changes.bind(width=lambda *_a: self.diff is not None and self._show_diff())

    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.on_found(lambda: self.shown and self.refresh())

    def on_shown(self, _instance, shown: bool) -> None:
        if shown and self._stale:
            self.refresh()

    def on_committed(self, _msg: P.ThoughtsCommitted) -> None:
        """Something committed: this object may have a new revision (asked only when shown)."""
        if not self.object_id:
            return
        if self.shown:
            self.refresh()
        else:
            self._stale = True

    # --- requests ----------------------------------------------------------------------------
    def _send(self, msg, callback) -> str | None:
        if self.link is None or not self.link.connected:
            self.outcome, self.outcome_ok = "the service is not connected; nothing was sent", False
            return None
        self.link.request(msg, callback)
        return msg.request_id

    def open(self, name: str | None = None, object_id: str | None = None) -> str | None:
        if object_id != self.object_id or name:
            self.picks, self.revisions, self.diff = [], [], None
            self.ids.revisions.data, self.ids.changes.data = [], []
            self.object_id = object_id or ""
            self.outcome = ""
        self.title = f"History of {name or (object_id or '')[:12]}"
        msg = P.ObjectHistory(name=name, object_id=None if name else object_id)
        self._asking = self._send(msg, self._on_history)
        self._stale = False
        return self._asking

    def refresh(self) -> str | None:
        if self._asking is not None or not self.object_id:
            return None
        return self.open(object_id=self.object_id)

    def _on_history(self, reply) -> None:
        self._asking = None
        self.replies += 1
        if isinstance(reply, P.Error):
            self.summary = f"no history [{reply.code}]: {reply.message}"
            return
        self.revisions = list(reply.revisions)
        if self.revisions:
            obj = self.revisions[0].object
            self.object_id = obj.object_id
            self.title = f"History of {obj.name or obj.object_id[:12]}"
        n = len(self.revisions)
        self.summary = (f"{n} revision{'s' if n != 1 else ''}, newest first — the object as each "
                        "thought left it. Click two to compare (one: compare with now).")
        ids = [r.thought.thought_id for r in self.revisions]
        picks = [p for p in self.picks if p in ids]
        if not picks:
            picks = list(reversed(ids[:2]))
        self._rows()
        self._set_picks(picks)

    def _rows(self) -> None:
        proto = self.prototypes["RevisionRow"]
        revs = self.revisions
        self.ids.revisions.data = [
            proto.record(panel=self, **revision_texts(r, revs[i + 1] if i + 1 < len(revs) else None))
            for i, r in enumerate(revs)]

    def thought(self, thought_id: str) -> P.ThoughtView | None:
        return next((r.thought for r in self.revisions if r.thought.thought_id == thought_id), None)

    # --- picking and the diff ------------------------------------------------------------------
    def pick(self, thought_id: str) -> None:
        picks = [p for p in self.picks if p != thought_id]
        if len(picks) == len(self.picks):          # a new pick: keep the last one with it
            picks = picks[-1:] + [thought_id]
        self.outcome = ""
        self._set_picks(picks)

    def _set_picks(self, picks: list[str]) -> None:
        self.picks = sorted(picks, key=lambda t: int(t, 16))
        if not self.picks:
            self.diff_heading = "Pick two revisions to compare them"
            self.diff, self.ids.changes.data = None, []
            return
        before = self.picks[0]
        after = self.picks[1] if len(self.picks) > 1 else None
        self.diff_heading = (f"comparing {thought_label(self.thought(before), before)} with "
                             f"{thought_label(self.thought(after), after) if after else 'now'}…")
        self._diffing = self._send(P.DiffObject(object_id=self.object_id, before=before, after=after),
                                   self._on_diff)

    def _on_diff(self, reply) -> None:
        if reply.request_id != self._diffing:
            return
        self._diffing = None
        self.diffs += 1
        if isinstance(reply, P.Error):
            self.diff_heading = f"no diff [{reply.code}]: {reply.message}"
            self.diff, self.ids.changes.data = None, []
            return
        self.diff = reply
        self.diff_heading = diff_title(reply, self.thought(reply.before),
                                       self.thought(reply.after) if reply.after else None)
        self._show_diff()

    def _show_diff(self) -> None:
        theme = self.prototypes.theme
        if self._body is None:
            self._body = TextMeasure(sp(theme.font_small))
            self._mono = TextMeasure(sp(theme.font_small), font_name=theme.mono_font)
        width = max(dp(100), self.ids.changes.width - dp(32))
        colours = {"added": theme.ok, "removed": theme.error, "changed": theme.warn}
        rows = []
        for change in self.diff.changes:
            t = change_texts(change)
            measure = self._mono if t["kind"] == "method" else self._body
            body_h = measure.height(t.pop("plain"), width)
            prov_h = self._body.height(t["provenance"], width) if t["provenance"] else 0
            rows.append(self.prototypes["ChangeRow"].record(
                panel=self, head_color=colours[t["change"]], body_height=body_h,
                provenance_height=prov_h, height=dp(22) + body_h + dp(20) + prov_h + dp(26), **t))
        self.ids.changes.data = rows

    def follow(self, thought_id: str) -> None:
        """A change's thought: show it in the timeline."""
        if self.navigator is not None:
            self.navigator.show_thought(thought_id)

    # --- acting on the newest pick --------------------------------------------------------------
    def focus(self) -> str:
        return self.picks[-1] if self.picks else ""

    def undo(self, thought_id: str | None = None) -> str | None:
        thought_id = thought_id or self.focus()
        if not thought_id:
            self.outcome, self.outcome_ok = "pick a revision first", False
            return None
        self._undoing = thought_id
        self.outcome, self.outcome_ok = f"undoing thought {thought_id}…", True
        return self._send(P.UndoThought(thought_id=thought_id), self._on_undone)

    def _on_undone(self, reply) -> None:
        self.undos += 1
        self.outcome, self.outcome_ok = undo_text(reply, self._undoing)
        if self.outcome_ok:
            self.picks = []                         # the newest two again, with the undo's revision
            self.refresh()

    def open_as_of(self) -> None:
        if self.focus() and self.navigator is not None:
            self.navigator.open_as_of(self.focus(), self.thought(self.focus()), object_id=self.object_id)
