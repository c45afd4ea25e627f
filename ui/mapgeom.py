"""The memory map's geometry and colours, without Kivy: the points as arrays, the view (scale and
pan) between data and screen, colour groups (by concept or by tier), the vertices of one quad per
point for a handful of Kivy ``Mesh`` instructions, and the point under the pointer.

Panning never touches the vertices: they are laid out around the view's centre at the current
scale, and the canvas moves them with one ``Translate``. Only a zoom or a new set of points
builds them again (vectorised, a few milliseconds for 10,000 points).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

MAX_QUADS_PER_MESH = 16_000       # 4 vertices each: indices stay below 65,536 (GL unsigned short)
UNCLUSTERED = -1


@dataclass
class MapData:
    """Every point the client holds, in id order (arrays for speed; texts for hover)."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    tiers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))    # 0 L1, 1 L2
    clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    texts: list[str] = field(default_factory=list)
    concepts: dict[int, tuple[str, float, float, int]] = field(default_factory=dict)
    basis: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def max_id(self) -> int:
        return int(self.ids.max()) if len(self.ids) else 0

    def add(self, points: Sequence) -> int:
        """Add points (objects with id, x, y, tier, cluster, text); an id already held is
        replaced. Returns how many points were new."""
        if not points:
            return 0
        new_ids = np.array([p.id for p in points], dtype=np.int64)
        known = np.isin(self.ids, new_ids)
        keep = ~known
        fresh = int(len(new_ids) - known.sum())
        texts = [t for t, k in zip(self.texts, keep) if k] + [p.text for p in points]
        ids = np.concatenate([self.ids[keep], new_ids])
        xy = np.concatenate([self.xy[keep], np.array([(p.x, p.y) for p in points], dtype=float)])
        tiers = np.concatenate([self.tiers[keep],
                                np.array([p.tier == "L2" for p in points], dtype=np.int8)])
        clusters = np.concatenate([self.clusters[keep], np.array(
            [UNCLUSTERED if p.cluster is None else p.cluster for p in points], dtype=np.int64)])
        order = np.argsort(ids, kind="stable")
        self.ids, self.xy, self.tiers, self.clusters = ids[order], xy[order], tiers[order], clusters[order]
        self.texts = [texts[i] for i in order]
        return fresh

    def set_concepts(self, concepts: Iterable) -> None:
        self.concepts = {c.id: (c.definition, c.x, c.y, c.size) for c in concepts}

    def index_of(self, record_id: int) -> int | None:
        i = int(np.searchsorted(self.ids, record_id))
        return i if i < len(self.ids) and self.ids[i] == record_id else None


@dataclass
class View:
    """Data -> screen: ``screen = (data - centre) * scale + origin + pan`` (origin: the widget's
    centre). Vertices are built as ``(data - centre) * scale``; the canvas adds the rest."""

    centre: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)

    def fit(self, xy: np.ndarray, width: float, height: float, margin: float = 24.0) -> None:
        """Show every point: centre on their bounding box, scale it into the widget, no pan."""
        if len(xy) == 0:
            self.centre, self.scale, self.pan = (0.0, 0.0), 1.0, (0.0, 0.0)
            return
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.maximum(hi - lo, 1e-9)
        self.centre = (float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2))
        self.scale = float(min((max(width, 1) - 2 * margin) / span[0],
                               (max(height, 1) - 2 * margin) / span[1]))
        self.scale = max(self.scale, 1e-6)
        self.pan = (0.0, 0.0)

    def local(self, xy: np.ndarray) -> np.ndarray:
        """Vertex coordinates (before the canvas translation)."""
        return (np.asarray(xy, dtype=float) - np.asarray(self.centre)) * self.scale

    def to_screen(self, xy: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
        return self.local(xy) + np.asarray(origin) + np.asarray(self.pan)

    def to_data(self, px: float, py: float, origin: tuple[float, float]) -> tuple[float, float]:
        return (self.centre[0] + (px - origin[0] - self.pan[0]) / self.scale,
                self.centre[1] + (py - origin[1] - self.pan[1]) / self.scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self.pan = (self.pan[0] + dx, self.pan[1] + dy)

    def zoom(self, factor: float, px: float, py: float, origin: tuple[float, float]) -> None:
        """Zoom by ``factor`` keeping the data point under (px, py) where it is."""
        ax, ay = self.to_data(px, py, origin)
        self.scale = float(min(max(self.scale * factor, 1e-6), 1e9))
        # choose the pan so that (ax, ay) maps to (px, py) again
        self.pan = (px - origin[0] - (ax - self.centre[0]) * self.scale,
                    py - origin[1] - (ay - self.centre[1]) * self.scale)


def colour_groups(data: MapData, by: str, palette_size: int) -> np.ndarray:
    """One group per point: by ``"tier"`` 0 (L1) / 1 (L2); by ``"cluster"`` the concept's place
    in the palette (concepts in id order, cycling), or ``palette_size`` when no concept links it."""
    if by == "tier":
        return data.tiers.astype(np.int64)
    if by != "cluster":
        raise ValueError(f"colour by {by!r}: 'cluster' or 'tier'")
    out = np.full(len(data), palette_size, dtype=np.int64)
    clustered = data.clusters != UNCLUSTERED
    if clustered.any():
        ranks = {c: k for k, c in enumerate(sorted(set(data.clusters[clustered].tolist())))}
        out[clustered] = [ranks[c] % palette_size for c in data.clusters[clustered].tolist()]
    return out


def quads(local: np.ndarray, half: float) -> tuple[list[float], list[int]]:
    """Vertices (x, y, u, v per corner) and triangle indices of one square per point."""
    n = len(local)
    if n == 0:
        return [], []
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float) * half
    uv = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], dtype=float)
    pos = local[:, None, :] + corners[None, :, :]                         # n × 4 × 2
    verts = np.concatenate([pos, np.broadcast_to(uv, (n, 4, 2))], axis=2)  # n × 4 × 4
    base = (np.arange(n) * 4)[:, None]
    idx = (base + np.array([0, 1, 2, 2, 3, 0])[None, :]).ravel()
    return verts.ravel().tolist(), idx.tolist()


def chunks(mask_indices: np.ndarray, size: int = MAX_QUADS_PER_MESH) -> list[np.ndarray]:
    return [mask_indices[i:i + size] for i in range(0, len(mask_indices), size)]


def nearest(screen: np.ndarray, px: float, py: float, radius: float) -> int | None:
    """The index of the point nearest (px, py) within ``radius`` pixels, else None."""
    if len(screen) == 0:
        return None
    d2 = (screen[:, 0] - px) ** 2 + (screen[:, 1] - py) ** 2
    i = int(np.argmin(d2))
    return i if d2[i] <= radius * radius else None


def label_text(definition: str, limit: int = 42) -> str:
    text = " ".join(definition.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0]
    return (cut or text[:limit - 1]) + "…"


def summary(n_points: int, total: int, n_concepts: int, explained: Sequence[float]) -> str:
    ex = f"; the axes explain {explained[0] * 100:.0f} % and {explained[1] * 100:.0f} % of the " \
         "variance" if len(explained) == 2 else ""
    if total and n_points < total:
        return f"loading the map: {n_points:,} of {total:,} memories…"
    return (f"{n_points:,} memor{'y' if n_points == 1 else 'ies'}, {n_concepts} concept"
            f"{'' if n_concepts == 1 else 's'}{ex}")
