"""The memory map: every memory as a point of the service's 2-D projection of its embedding,
coloured by the concept that abstracts it (or by tier), concepts labelled with their definition;
hover or tap a point for its text; a search highlights its hits; a memory remembered here appears.

Drawing: one quad per point in a few ``Mesh`` instructions (one per colour, at most 16,000 quads
each), inside one ``Translate`` — panning moves that translation and nothing else, so 10,000
points pan at the frame rate; only a zoom or new points rebuild the vertices
(:mod:`ui.mapgeom`, Kivy-free, does the arithmetic).

Fed by bridge events on the Kivy clock, never polled: the map is asked for when the view is shown,
when the connection comes back, after a memory is remembered here, and when a status update
reports a different number of memories (someone else remembered or forgot).
"""

from __future__ import annotations

import logging

import numpy as np
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.graphics import (Color, InstructionGroup, Line, Mesh, PopMatrix, PushMatrix, Rectangle,
                           Translate)
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.metrics import dp, sp
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty, ObjectProperty,
                             OptionProperty, StringProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from telos.bridge import protocol as P
from ui import mapgeom as G

log = logging.getLogger(__name__)

PALETTE = ("#6fb1c9", "#e48a6a", "#8cc7a4", "#e9c77b", "#c39be3", "#7fc8c8", "#d98fb3",
           "#b5c96f", "#9f9fe8", "#e8a35f")
UNLINKED = "#6b7380"               # a memory no concept abstracts yet
TIERS = ("#6fb1c9", "#e9c77b")     # L1, L2
MAX_LABELS = 24


def _rgba(hex_colour: str, alpha: float = 1.0) -> tuple:
    from ui.theme import hex_rgba
    return hex_rgba(hex_colour, alpha)


class MapCanvas(Widget):
    """The points. ``data`` (a :class:`ui.mapgeom.MapData`) is drawn by :meth:`rebuild`."""

    colour_by = OptionProperty("cluster", options=("cluster", "tier"))
    hovered = NumericProperty(-1)            # index into data of the point under the pointer
    selected = NumericProperty(-1)           # index of the point tapped last
    highlighted = ListProperty([])           # record ids to ring (search hits, a new memory)
    rebuilds = NumericProperty(0)

    def __init__(self, **kwargs):
        self.data = G.MapData()
        self.view = G.View()
        self._fitted = False
        self._touch_start = None
        super().__init__(**kwargs)
        with self.canvas:
            self._bg_colour = Color(0.11, 0.12, 0.14, 1)
            self._bg = Rectangle(pos=self.pos, size=self.size)
            self._scissor = ScissorPush(x=0, y=0, width=1, height=1)   # clip to the widget
            PushMatrix()
            self._translate = Translate(0, 0)
            self._halo = InstructionGroup()
            self._points = InstructionGroup()
            self._labels = InstructionGroup()
            self._marks = InstructionGroup()
            PopMatrix()
            ScissorPop()
        self.bind(pos=self._moved, size=self._resized, colour_by=self.rebuild,
                  highlighted=self._draw_halo, hovered=self._draw_marks, selected=self._draw_marks)
        Window.bind(mouse_pos=self._on_mouse)

    # --- geometry --------------------------------------------------------------------------
    @property
    def origin(self) -> tuple[float, float]:
        return (self.center_x, self.center_y)

    def _moved(self, *_a) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        x, y = self.to_window(self.x, self.y)
        self._scissor.x, self._scissor.y = int(x), int(y)
        self._scissor.width, self._scissor.height = int(self.width), int(self.height)
        self._translate.xy = (self.center_x + self.view.pan[0], self.center_y + self.view.pan[1])

    def _resized(self, *_a) -> None:
        self._moved()
        if len(self.data) and not self._fitted:
            self.fit()

    def fit(self) -> None:
        self.view.fit(self.data.xy, self.width, self.height, margin=dp(28))
        self._fitted = len(self.data) > 0 and self.width > 100
        self.rebuild()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the map: one translation, no vertex is touched."""
        self.view.pan_by(dx, dy)
        self._moved()

    def zoom(self, factor: float, px: float | None = None, py: float | None = None) -> None:
        px = self.center_x if px is None else px
        py = self.center_y if py is None else py
        self.view.zoom(factor, px, py, self.origin)
        self._moved()
        self.rebuild()

    # --- drawing ---------------------------------------------------------------------------
    def set_data(self, data: G.MapData, refit: bool) -> None:
        self.data = data
        self.hovered = self.selected = -1
        if refit or not self._fitted:
            self.fit()
        else:
            self.rebuild()

    def rebuild(self, *_a) -> None:
        self._points.clear()
        local = self.view.local(self.data.xy)
        half = dp(2.2) if len(self.data) > 2_000 else dp(3.5)     # a small map: larger dots
        palette = [_rgba(c) for c in (TIERS if self.colour_by == "tier" else PALETTE)]
        groups = G.colour_groups(self.data, self.colour_by, len(PALETTE))
        for g in np.unique(groups):
            colour = palette[g] if g < len(palette) else _rgba(UNLINKED, 0.85)
            self._points.add(Color(*colour))
            for chunk in G.chunks(np.flatnonzero(groups == g)):
                verts, idx = G.quads(local[chunk], half)
                self._points.add(Mesh(vertices=verts, indices=idx, mode="triangles"))
        self._draw_labels(local)
        self._draw_halo()
        self._draw_marks()
        self.rebuilds += 1

    def _draw_labels(self, _local) -> None:
        self._labels.clear()
        concepts = sorted(self.data.concepts.items(), key=lambda kv: -kv[1][3])[:MAX_LABELS]
        for _cid, (definition, x, y, _size) in concepts:
            lx, ly = self.view.local(np.array([[x, y]]))[0]
            label = CoreLabel(text=G.label_text(definition), font_size=sp(12), bold=True)
            label.refresh()
            tex = label.texture
            w, h = tex.size
            self._labels.add(Color(0.08, 0.09, 0.1, 0.72))
            self._labels.add(Rectangle(pos=(lx - w / 2 - dp(4), ly + dp(6)), size=(w + dp(8), h)))
            self._labels.add(Color(0.95, 0.96, 0.97, 1))
            self._labels.add(Rectangle(texture=tex, pos=(lx - w / 2, ly + dp(6)), size=tex.size))

    def _draw_halo(self, *_a) -> None:
        self._halo.clear()
        idx = [i for i in (self.data.index_of(r) for r in self.highlighted) if i is not None]
        if not idx:
            return
        local = self.view.local(self.data.xy[idx])
        self._halo.add(Color(1.0, 1.0, 1.0, 0.95))
        verts, ind = G.quads(local, dp(5.5))
        self._halo.add(Mesh(vertices=verts, indices=ind, mode="triangles"))
        self._halo.add(Color(0.96, 0.36, 0.36, 1))
        verts, ind = G.quads(local, dp(4.0))
        self._halo.add(Mesh(vertices=verts, indices=ind, mode="triangles"))

    def _draw_marks(self, *_a) -> None:
        self._marks.clear()
        for i, colour in ((self.selected, (1, 1, 1, 1)), (self.hovered, (1, 0.85, 0.4, 1))):
            if 0 <= i < len(self.data):
                x, y = self.view.local(self.data.xy[i:i + 1])[0]
                self._marks.add(Color(*colour))
                self._marks.add(Line(circle=(x, y, dp(7)), width=dp(1.3)))

    # --- pointer ---------------------------------------------------------------------------
    def point_at(self, x: float, y: float, radius: float | None = None) -> int | None:
        screen = self.view.to_screen(self.data.xy, self.origin)
        return G.nearest(screen, x, y, dp(8) if radius is None else radius)

    def _on_mouse(self, _window, pos) -> None:
        if not self.get_root_window() or not len(self.data):
            return
        x, y = self.to_widget(*pos)
        if not self.collide_point(x, y):
            return
        i = self.point_at(x, y)
        self.hovered = -1 if i is None else i

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        if touch.is_mouse_scrolling:
            factor = 1.2 if touch.button in ("scrolldown", "scrollleft") else 1 / 1.2
            self.zoom(factor, *touch.pos)
            return True
        touch.grab(self)
        self._touch_start = touch.pos
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is self:
            self.pan_by(touch.dx, touch.dy)
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        sx, sy = self._touch_start or touch.pos
        if abs(touch.x - sx) + abs(touch.y - sy) < dp(6):        # a tap, not a drag
            i = self.point_at(*touch.pos)
            self.selected = -1 if i is None else i
        return True


class MemoryMapBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    shown = BooleanProperty(False)
    message = StringProperty("The memories as points: nearby points mean similar things.")
    detail = StringProperty("Hover or tap a point to read it; drag to pan, scroll to zoom.")
    search_message = StringProperty("")
    loads = NumericProperty(0)               # complete map loads (every page arrived)
    searches = NumericProperty(0)            # search replies received
    remembered = NumericProperty(0)          # REMEMBER acknowledged
    loading = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data = G.MapData()
        self._pending = G.MapData()
        self._page_request: str | None = None
        self._memory_count: int | None = None
        self._again = False
        self._explained: list[float] = []
        self._total = 0

    def on_kv_post(self, _base):
        canvas = self.ids.map_canvas
        canvas.bind(hovered=self._show_point, selected=self._show_point)

    # --- events ------------------------------------------------------------------------------
    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.bind(last_status=self._on_status)
            link.on_found(lambda: self.shown and self.load(full=True))

    def on_shown(self, _instance, shown: bool) -> None:
        if shown:
            self.load(full=not len(self.data))

    def _on_status(self, _link, msg) -> None:
        """The memory's size changed (anyone's remember or forget): bring the map up to date."""
        count = sum((getattr(msg, "memory", None) or {}).values()) if msg is not None else None
        if count is not None and count != self._memory_count:
            grew = self._memory_count is not None and count > self._memory_count
            self._memory_count = count
            if self.shown and self.loads:
                self.load(full=not grew)

    # --- the map, page by page ---------------------------------------------------------------
    def load(self, full: bool = False) -> str | None:
        if self.link is None or not self.link.connected:
            self.message = "the service is not connected; the map will load once it is"
            return None
        if self._page_request is not None:
            self._again = True                 # one more load once this one finishes
            return None
        self._pending = G.MapData() if full else self.data
        self.loading = True
        return self._ask(0, 0 if full else self.data.max_id, full)

    def _ask(self, offset: int, after_id: int, full: bool) -> str:
        msg = P.MemoryMap(offset=offset, after_id=after_id)
        self._page_request = msg.request_id
        self.link.request(msg, lambda reply: self._on_page(reply, offset, after_id, full))
        return msg.request_id

    def _on_page(self, reply, offset: int, after_id: int, full: bool) -> None:
        self._page_request = None
        if isinstance(reply, P.Error):
            self.loading = False
            self.message = f"the map could not be loaded [{reply.code}]: {reply.message}"
            return
        pending = self._pending
        if pending.basis and reply.basis != pending.basis:       # refitted meanwhile: start over
            self._pending = G.MapData()
            self._ask(0, 0, True)
            return
        pending.basis = reply.basis
        if offset == 0:                        # the concepts come with the first page
            pending.set_concepts(reply.concepts)
        pending.add(reply.points)
        self._explained, self._total = list(reply.explained), reply.total
        if reply.next_offset is not None:
            self.message = G.summary(len(pending), len(pending) + reply.total - reply.next_offset,
                                     len(pending.concepts), self._explained)
            self._ask(reply.next_offset, after_id, full)
            return
        self._finish(full)

    def _finish(self, full: bool) -> None:
        self.data = self._pending
        self.loading = False
        self.ids.map_canvas.set_data(self.data, refit=full)
        self.loads += 1
        self.message = G.summary(len(self.data), 0, len(self.data.concepts), self._explained)
        if self._again:
            self._again = False
            self.load(full=True)

    # --- search, remember, the point shown -----------------------------------------------------
    def search(self, text: str | None = None, k: int = 5) -> str | None:
        text = (self.ids.map_query.text if text is None else text).strip()
        if not text:
            self.ids.map_canvas.highlighted = []
            self.search_message = "type what you are looking for"
            return None
        if self.link is None or not self.link.connected:
            self.search_message = "the service is not connected; nothing was searched"
            return None
        msg = P.SearchMemory(query=text, k=k)
        self.search_message = f"searching for {text!r}…"
        self.link.request(msg, self._on_hits)
        return msg.request_id

    def _on_hits(self, reply) -> None:
        self.searches += 1
        if isinstance(reply, P.Error):
            self.search_message = f"search failed [{reply.code}]: {reply.message}"
            return
        ids = [int(h.record_id) for h in reply.hits if h.record_id.isdigit()]
        on_map = [i for i in ids if self.data.index_of(i) is not None]
        self.ids.map_canvas.highlighted = on_map
        self.search_message = (f"{len(ids)} hit(s), {len(on_map)} on the map (ringed in red)"
                               if ids else "nothing found")
        if on_map:
            self.ids.map_canvas.selected = self.data.index_of(on_map[0])

    def remember(self, text: str | None = None) -> str | None:
        text = (self.ids.map_remember.text if text is None else text).strip()
        if not text:
            self.search_message = "type something to remember"
            return None
        if self.link is None or not self.link.connected:
            self.search_message = "the service is not connected; nothing was remembered"
            return None
        msg = P.Remember(text=text, source="ui:map")
        self.search_message = "remembering…"
        self.link.request(msg, self._on_remembered)
        return msg.request_id

    def _on_remembered(self, reply) -> None:
        if isinstance(reply, P.Error):
            self.search_message = f"not remembered [{reply.code}]: {reply.message}"
            return
        self.remembered += 1
        self.ids.map_remember.text = ""
        rid = int(reply.record_id) if reply.record_id and reply.record_id.isdigit() else None
        self.search_message = f"remembered as memory #{rid}; it appears ringed on the map"
        if rid is not None:
            self.ids.map_canvas.highlighted = [rid]
        self.load()

    def _show_point(self, canvas, _value) -> None:
        i = canvas.hovered if canvas.hovered >= 0 else canvas.selected
        if not 0 <= i < len(self.data):
            return
        d = self.data
        cluster = int(d.clusters[i])
        concept = d.concepts.get(cluster, ("",))[0] if cluster != G.UNCLUSTERED else ""
        tier = "L2" if d.tiers[i] else "L1"
        self.detail = (f"#{int(d.ids[i])} · {tier}" + (f" · concept: {G.label_text(concept, 60)}"
                                                        if concept else " · no concept yet")
                       + f"\n{d.texts[i]}")
