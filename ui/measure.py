"""Text heights for RecycleView rows, measured before the row exists.

RecycleView rows here carry their ``height`` in the data: a view that resizes itself after its
label renders makes the recycle layout relayout (and re-bind) everything, and rows overlap until
it settles. Measuring runs only Kivy's layout pass (``CoreLabel.render()``), not the rasterizer.
"""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel


class TextMeasure:
    """Cached ``height(text, width)`` for one font size / line height."""

    def __init__(self, font_size: float, line_height: float = 1.0, font_name: str = "Roboto",
                 limit: int = 5000):
        self.font_size, self.line_height, self.font_name = font_size, line_height, font_name
        self.limit = limit
        self._cache: dict[tuple[str, float], float] = {}

    def height(self, text: str, width: float) -> float:
        key = (text, round(width, 1))
        h = self._cache.get(key)
        if h is None:
            label = CoreLabel(text=text or " ", font_size=self.font_size, line_height=self.line_height,
                              font_name=self.font_name, text_size=(max(1.0, width), None), halign="left")
            label.resolve_font_name()
            h = float(label.render()[1])
            if len(self._cache) >= self.limit:
                self._cache.clear()
            self._cache[key] = h
        return h

    def line_width(self, text: str) -> float:
        """The width of ``text`` on one line (no wrapping)."""
        key = (text, -1.0)
        w = self._cache.get(key)
        if w is None:
            label = CoreLabel(text=text or " ", font_size=self.font_size, font_name=self.font_name)
            label.resolve_font_name()
            w = float(label.render()[0])
            self._cache[key] = w
        return w

    def clear(self) -> None:
        self._cache.clear()
