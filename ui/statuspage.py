"""The status page: everything the service reports in its ``SYSTEM_STATUS_UPDATE``, in readable
sections (health, service, language model, memory, backups, areas). Opened by a click on the
status bar; redrawn when a new status arrives (``Link.last_status``) while it is shown."""

from __future__ import annotations

import time

from kivy.metrics import dp, sp
from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from ui.measure import TextMeasure
from ui.statusinfo import ClientInfo, status_sections

LABEL_WIDTH = 210      # dp: the left column
ROW_PADDING = 6        # dp above and below a value


class StatusRow(RecycleDataViewBehavior, BoxLayout):
    label = StringProperty("")
    value = StringProperty("")
    kind = StringProperty("row")              # row | header
    label_color = ColorProperty((1, 1, 1, 1))
    value_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0, 0, 0, 0))
    value_height = NumericProperty(0)


class StatusPage(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    shown = BooleanProperty(False)
    back_to = StringProperty("chat")          # the view the back button returns to
    heading = StringProperty("Waiting for the service's first status…")
    renders = NumericProperty(0)              # statuses drawn (tests)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._received: float | None = None
        self._measure: TextMeasure | None = None

    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.bind(last_status=self._on_status, connected=lambda *_a: self.shown and self.render())

    def on_kv_post(self, base_widget):
        self.ids.status_rows.bind(width=lambda *_a: self.shown and self.render())

    def on_shown(self, _instance, shown: bool) -> None:
        if shown:
            self.render()

    def _on_status(self, _link, msg) -> None:
        if msg is not None:
            self._received = time.time()
        if self.shown:
            self.render()

    def render(self) -> None:
        link = self.link
        msg = link.last_status if link is not None else None
        if msg is None:
            self.ids.status_rows.data = []
            return
        client = ClientInfo(endpoint=link.endpoint, state=link.state_text, connected=link.connected,
                            reconnects=int(link.reconnects), received=self._received)
        self.heading = f"Service status — {msg.status_text}"
        self.ids.status_rows.data = self.records(status_sections(msg, client))
        self.renders += 1

    def records(self, sections) -> list[dict]:
        theme, protos = self.prototypes.theme, self.prototypes
        if self._measure is None:
            self._measure = TextMeasure(sp(theme.font_size))
        width = max(dp(100), self.ids.status_rows.width - dp(LABEL_WIDTH) - dp(40))
        colours = {"ok": theme.ok, "warn": theme.warn, "error": theme.error}
        out = []
        for section in sections:
            out.append(protos["StatusHeading"].record(label=section.title, height=dp(40)))
            for row in section.rows:
                h = self._measure.height(row.value, width)
                out.append(protos["StatusRow"].record(
                    label=row.label, value=row.value, value_height=h,
                    height=h + 2 * dp(ROW_PADDING),
                    value_color=colours.get(row.level, theme.text)))
        return out
