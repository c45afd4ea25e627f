"""The window's root: header with the view tabs, the screens, the status bar.

The status bar shows short fields (:mod:`ui.status`), each fitted to its place at word
boundaries by :class:`StatusField`; a click anywhere on it opens the status page."""

from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from telos.bridge import protocol as P
from ui.measure import TextMeasure
from ui.status import fit, status_fields

VIEWS = ("chat", "inspector", "memory", "timeline", "backups", "status", "history", "map",
         "kernel")
TABBED = ("chat", "inspector", "memory", "timeline", "backups", "map", "kernel")   # the status page
TAB_OF = {"history": "inspector"}            # opens from the bar, history from the inspector


class StatusField(Label):
    """A one-line label showing as much of ``full`` as fits, cut only between segments or
    words (``text`` is what is shown)."""

    full = StringProperty("")

    def __init__(self, **kwargs):
        self._measure: TextMeasure | None = None
        self._refit = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        self.bind(full=self._refit, width=self._refit, font_size=self._refit)

    def _fit(self, *_args) -> None:
        if self._measure is None or self._measure.font_size != self.font_size:
            self._measure = TextMeasure(self.font_size, font_name=self.font_name)
        self.text = fit(self.full, self.width - dp(4), self._measure.line_width)


class StatusBar(ButtonBehavior, BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    backend = StringProperty("backend: —")
    memory = StringProperty("memory: —")
    index = StringProperty("index: —")
    backup = StringProperty("no backup yet")
    service = StringProperty("")

    def show(self, msg: P.SystemStatusUpdate) -> None:
        fields = status_fields(msg, time.time())
        self.backend, self.memory = fields["backend"], fields["memory"]
        self.index, self.backup, self.service = fields["index"], fields["backup"], fields["service"]


class RootView(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    view = StringProperty("chat")

    def show_view(self, name: str) -> None:
        if name not in VIEWS:
            raise ValueError(f"no view {name!r}; views are {', '.join(VIEWS)}")
        if name == "status" and self.view != "status":
            self.ids.status_page.back_to = self.view
        self.view = name
        self.ids.screens.current = name
        for v in TABBED:
            self.ids[f"tab_{v}"].state = "down" if v == TAB_OF.get(name, name) else "normal"
        self.ids.backups.shown = name == "backups"
        self.ids.timeline.shown = name == "timeline"
        self.ids.history.shown = name == "history"
        self.ids.status_page.shown = name == "status"
        self.ids.memory_map.shown = name == "map"
        self.ids.kernel.shown = name == "kernel"
        if name == "inspector" and self.link is not None and self.link.connected:
            self.ids.inspector.load_registry()

    # --- moving between the views of the image's past ----------------------------------------
    def open_as_of(self, thought_id: str, thought=None, *, name: str | None = None,
                   object_id: str | None = None) -> None:
        """The inspector, read-only, on an object as of a thought."""
        self.show_view("inspector")
        self.ids.inspector.open_as_of(thought_id, thought, name=name, object_id=object_id)

    def search_as_of(self, thought) -> None:
        """The memory panel, set to search as of a thought."""
        memory = self.ids.memory
        memory.picked = thought
        memory.use_as_of = thought is not None
        self.show_view("memory")

    def show_history(self, object_id: str, name: str | None = None) -> None:
        self.ids.history.open(name=name, object_id=object_id)
        self.show_view("history")

    def show_thought(self, thought_id: str) -> None:
        """The timeline with one thought picked (a diff's link to the thought of a change)."""
        self.show_view("timeline")
        self.ids.timeline.show_thought(thought_id)

    def on_thoughts(self, msg: P.ThoughtsCommitted) -> None:
        """The service's push: thoughts just committed (main thread, from the link)."""
        self.ids.timeline.on_committed(msg)
        self.ids.history.on_committed(msg)
