"""The memory panel: search the layered memory, show text, source, time, score and the tiers
that found each hit — now, or *as of* the thought picked in the timeline (``SEARCH_MEMORY.as_of``:
what the image remembered then)."""

from __future__ import annotations

import logging
import time

from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.measure import TextMeasure
from ui.timeline import thought_label

log = logging.getLogger(__name__)


class MemoryHitRow(RecycleDataViewBehavior, BoxLayout):
    text = StringProperty("")
    source = StringProperty("")
    when = StringProperty("")
    distance = StringProperty("")
    tier = StringProperty("")
    tiers = StringProperty("")           # every tier that found the hit, e.g. "L1 + lexical"
    tier_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0.15, 0.17, 0.2, 1))
    text_height = NumericProperty(0)


SHOWN_CHARS = 600      # a hit longer than this is shown cut, with its full length noted


def hit_record(hit: P.MemoryHit, prototypes, measure: TextMeasure, width: float) -> dict:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.created)) if hit.created else "time unknown"
    tier_colours = {"L1": prototypes.theme.accent, "L2": prototypes.theme.warn}
    text = hit.text if len(hit.text) <= SHOWN_CHARS else \
        hit.text[:SHOWN_CHARS].rstrip() + f" … ({len(hit.text):,} characters)"
    text_height = measure.height(text, width - 2 * dp(14))
    return prototypes["MemoryRow"].record(
        text=text, source=hit.source or "unknown source", when=when,
        distance=f"{hit.score:.3f}", tier=hit.tier or "?", text_height=text_height,
        tiers=" + ".join(hit.tiers) if hit.tiers else (hit.tier or "?"),
        height=text_height + 2 * dp(9) + dp(5) + dp(20),
        tier_color=tier_colours.get(hit.tier.upper() if hit.tier else "", prototypes.theme.accent))


class MemoryScreenBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    message = StringProperty("Search the image's memory: meanings (L1 FAISS · L2 DiskANN) and "
                             "words (Tantivy), fused.")
    busy = StringProperty("")
    replies = NumericProperty(0)         # search replies received (results or errors)
    picked = ObjectProperty(None, allownone=True)   # the thought picked in the timeline
    use_as_of = BooleanProperty(False)   # search as of ``picked`` instead of now
    as_of_text = StringProperty("")

    def on_picked(self, _instance, picked) -> None:
        self.as_of_text = thought_label(picked) if picked is not None else ""
        if picked is None:
            self.use_as_of = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._hits: list[P.MemoryHit] = []
        self._measure: TextMeasure | None = None

    def _show_hits(self, *_args) -> None:
        results = self.ids.memory_results
        if self._measure is None:
            self._measure = TextMeasure(sp(self.prototypes.theme.font_size))
        results.data = [hit_record(h, self.prototypes, self._measure, results.width) for h in self._hits]

    def on_kv_post(self, base_widget):
        self.ids.memory_results.bind(width=lambda *_a: self._hits and self._show_hits())

    def search(self, text: str | None = None, k: int = 8) -> str | None:
        text = (self.ids.memory_query.text if text is None else text).strip()
        if not text:
            self.message = "type what you are looking for"
            return None
        if self.link is None or not self.link.connected:
            self.message = "the service is not connected; nothing was searched (wait for 'connected')"
            return None
        as_of = self.picked.thought_id if (self.use_as_of and self.picked is not None) else None
        msg = P.SearchMemory(query=text, k=k, as_of=as_of)
        self.busy = f"searching for {text!r}" + (f" as of {self.as_of_text}" if as_of else "") + "…"
        self._searched_as_of = as_of
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
        self._hits = list(reply.hits)
        self._show_hits()
        rows = self.ids.memory_results.data
        when = f" as of {self.as_of_text}" if getattr(self, "_searched_as_of", None) else ""
        self.message = (f"{len(rows)} result(s)" if rows else "nothing found") + when
