"""The window's root: header with the view tabs, the three screens, the status bar."""

from __future__ import annotations

import time

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from telos.bridge import protocol as P
from ui.status import status_fields

VIEWS = ("chat", "inspector", "memory")


class StatusBar(BoxLayout):
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
        self.view = name
        self.ids.screens.current = name
        for v in VIEWS:
            self.ids[f"tab_{v}"].state = "down" if v == name else "normal"
        if name == "inspector" and self.link is not None and self.link.connected:
            self.ids.inspector.load_registry()
