"""The memory panel: search the layered memory, show text, source, time, score and tier."""

from __future__ import annotations

import logging
import time

from kivy.properties import ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P

log = logging.getLogger(__name__)


class MemoryHitRow(RecycleDataViewBehavior, BoxLayout):
    text = StringProperty("")
    source = StringProperty("")
    when = StringProperty("")
    distance = StringProperty("")
    tier = StringProperty("")
    tier_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0.15, 0.17, 0.2, 1))


def hit_record(hit: P.MemoryHit, prototypes) -> dict:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.created)) if hit.created else "time unknown"
    tier_colours = {"L1": prototypes.theme.accent, "L2": prototypes.theme.warn}
    return prototypes["MemoryRow"].record(
        text=hit.text, source=hit.source or "unknown source", when=when,
        distance=f"{hit.score:.3f}", tier=hit.tier or "?",
        tier_color=tier_colours.get(hit.tier.upper() if hit.tier else "", prototypes.theme.accent))


class MemoryScreenBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    message = StringProperty("Search the image's layered memory (L1 FAISS · L2 DiskANN).")
    busy = StringProperty("")
    replies = NumericProperty(0)         # search replies received (results or errors)

    def search(self, text: str | None = None, k: int = 8) -> str | None:
        text = (self.ids.memory_query.text if text is None else text).strip()
        if not text:
            self.message = "type what you are looking for"
            return None
        if self.link is None or not self.link.connected:
            self.message = "the service is not connected; nothing was searched (wait for 'connected')"
            return None
        msg = P.SearchMemory(query=text, k=k)
        self.busy = f"searching for {text!r}…"
        self.link.request(msg, self._on_reply)
        return msg.request_id

    def _on_reply(self, reply) -> None:
        self.busy = ""
        self.replies += 1
        if isinstance(reply, P.Error):
            self.message = f"search failed [{reply.code}]: {reply.message}" + (
                f" — {reply.hint}" if reply.hint else "")
            return
        if not isinstance(reply, P.SearchResults):
            self.message = f"unexpected reply {reply.command}"
            return
        rows = [hit_record(h, self.prototypes) for h in reply.hits]
        self.ids.memory_results.data = rows
        self.message = f"{len(rows)} result(s)" if rows else "nothing found"
