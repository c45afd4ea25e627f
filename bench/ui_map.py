"""The memory map's part of ``bench ui``: N memories in the stack's image, the map loaded over
the bridge (MEMORY_MAP pages), then frames per second while it pans (every frame moves it) and
the time a zoom takes (the vertices are built again).

The memories carry *synthetic* embeddings (clustered unit vectors, as ``bench memory`` uses for
its index sizes): embedding 10,000 texts with the real model would take minutes on this machine
and measure the model, not the map. They are stored through the memory facade's own batch write
(one thought per 2,000, both indexes kept in step), in a shell attached to the stack's ZEO.
"""

from __future__ import annotations

import time

SEED = """
import numpy as np
rng = np.random.default_rng(19)
n, d = {n}, 384
centres = rng.normal(size=(12, d))
words = "kettle garden bicycle harbour library orchard violin glacier market lantern meadow engine".split()
m = image.memory
done = 0
while done < n:
    k = min(2000, n - done)
    which = rng.integers(0, len(centres), k)
    vecs = centres[which] + rng.normal(scale=0.8, size=(k, d))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype("float32")
    texts = [f"memory {{done + i}} about the {{words[w]}}" for i, w in enumerate(which)]
    m._store(texts, vecs, ["bench-ui"] * k)
    done += k
print(len(m.bank.contexts))
"""


def seed_memories(stack, n: int) -> int:
    out = stack.shell(SEED.format(n=n), timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"seeding {n} memories failed:\n{out.stdout}\n{out.stderr}")
    return int(out.stdout.strip().splitlines()[-1])


def measure_map(app, n: int, seconds: float = 4.0) -> dict:
    """Open the map, wait for every page, then pan for ``seconds`` and zoom a few times."""
    from kivy.base import EventLoop

    root = app.root
    view = root.ids.memory_map
    canvas = view.ids.map_canvas
    loads = view.loads
    t0 = time.perf_counter()
    root.show_view("map")
    deadline = time.monotonic() + 600
    while view.loads == loads or len(view.data) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the map never loaded {n} points (has {len(view.data)})")
        EventLoop.idle()
    load_s = time.perf_counter() - t0
    for _ in range(10):
        EventLoop.idle()

    frames, step, t0 = 0, 1, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        canvas.pan_by(3 * step, 2 * step)
        if frames % 60 == 59:
            step = -step
        EventLoop.idle()
        frames += 1
    pan_fps = frames / (time.perf_counter() - t0)

    zooms = []
    for factor in (1.25, 0.8, 1.25, 0.8, 1.25, 0.8):
        z0 = time.perf_counter()
        canvas.zoom(factor)
        EventLoop.idle()
        zooms.append(time.perf_counter() - z0)
    return {"points": len(view.data), "load_s": load_s, "pan_fps": pan_fps,
            "zoom_ms": 1000 * sorted(zooms)[len(zooms) // 2]}
