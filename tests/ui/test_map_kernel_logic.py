"""The Kivy-free logic of the memory map (``ui.mapgeom``) and the kernel view (``ui.kernelsteps``)."""

from __future__ import annotations

import numpy as np
import pytest

from telos.bridge import protocol as P
from ui import kernelsteps as K
from ui import mapgeom as G


def _pts(ids, cluster=None, tier="L1"):
    return [P.MemoryPoint(id=i, x=float(i), y=float(-i), tier=tier, cluster=cluster, text=f"t{i}")
            for i in ids]


def test_points_merge_in_id_order_and_replace_known_ids():
    d = G.MapData()
    assert d.add(_pts([5, 1, 3])) == 3 and list(d.ids) == [1, 3, 5] and d.texts == ["t1", "t3", "t5"]
    assert d.add(_pts([3, 9], cluster=7, tier="L2")) == 1
    assert list(d.ids) == [1, 3, 5, 9] and d.max_id == 9
    assert d.clusters[d.index_of(3)] == 7 and d.tiers[d.index_of(3)] == 1
    assert d.index_of(4) is None and d.index_of(100) is None


def test_the_view_fits_pans_and_zooms_around_the_pointer():
    xy = np.array([[0.0, 0.0], [10.0, 5.0]])
    v = G.View()
    v.fit(xy, 220, 120, margin=10)
    s = v.to_screen(xy, (110, 60))
    assert s[:, 0].min() == pytest.approx(10) and s[:, 0].max() == pytest.approx(210)
    v.pan_by(7, -3)
    assert v.to_screen(xy, (110, 60))[0] == pytest.approx(s[0] + [7, -3])
    before = v.to_data(150, 70, (110, 60))
    v.zoom(2.0, 150, 70, (110, 60))
    assert v.to_data(150, 70, (110, 60)) == pytest.approx(before)    # the point under it stays
    assert v.local(xy).shape == (2, 2)


def test_colour_groups_by_concept_and_by_tier():
    d = G.MapData()
    d.add(_pts([1, 2]) + _pts([3], cluster=40) + _pts([4], cluster=12, tier="L2"))
    assert list(G.colour_groups(d, "cluster", 10)) == [10, 10, 1, 0]
    assert list(G.colour_groups(d, "tier", 10)) == [0, 0, 0, 1]
    with pytest.raises(ValueError):
        G.colour_groups(d, "size", 10)


def test_one_quad_per_point_in_meshes_that_fit_gl_indices():
    verts, idx = G.quads(np.array([[0.0, 0.0], [10.0, 10.0]]), 2.0)
    assert len(verts) == 2 * 4 * 4 and idx == [0, 1, 2, 2, 3, 0, 4, 5, 6, 6, 7, 4]
    assert verts[:4] == [-2.0, -2.0, 0.0, 0.0]
    parts = G.chunks(np.arange(40_000))
    assert [len(p) for p in parts] == [16_000, 16_000, 8_000]
    assert max(G.quads(np.zeros((16_000, 2)), 1.0)[1]) < 65_536


def test_the_point_under_the_pointer():
    screen = np.array([[10.0, 10.0], [50.0, 50.0]])
    assert G.nearest(screen, 12, 9, 5) == 0 and G.nearest(screen, 30, 30, 5) is None
    assert G.nearest(np.zeros((0, 2)), 0, 0, 5) is None


def test_labels_and_summary():
    assert G.label_text("the kitchen things and where they are kept in the house", 20) \
        == "the kitchen things…"
    assert G.summary(10_000, 0, 3, [0.12, 0.07]).startswith("10,000 memories, 3 concepts")
    assert G.summary(2_000, 10_000, 0, []) == "loading the map: 2,000 of 10,000 memories…"


def _ev(step, outcome="ok", **kw):
    base = dict(cycle="c1", request="Gadget.tripled()", receiver="Gadget", selector="tripled",
                persona="BRICK", model="mistral:7b", attempt=1, seconds=0.002, time=100.0)
    base.update(kw)
    return P.KernelEvent(step=step, outcome=outcome, **base)


def test_events_fold_into_a_cycle_with_its_steps_and_code():
    log = K.KernelLog()
    log.add(_ev("request", "started", attempt=0, time=100.0))
    log.add(_ev("generation", "streaming", code="def tripled(self):\n    ret", time=100.1))
    c = log.add(_ev("generation", "streaming", code="def tripled(self):\n    return self.size",
                    time=100.2))
    assert c.code.endswith("self.size") and c.state == "working"
    assert K.state_text(c) == "working: request" and K.writer_text(c) == \
        "BRICK with mistral:7b is writing it"
    for step in ("generation", "extract", "policy", "trial", "install", "commit"):
        log.add(_ev(step, code="def tripled(self):\n    return self.size * 3", time=100.3))
    c = log.add(_ev("done", seconds=1.5, attempt=1, time=101.5))
    assert [s.step for s in c.steps] == ["request", "generation", "extract", "policy", "trial",
                                         "install", "commit", "done"]
    assert c.state == "installed" and K.state_text(c) == "installed and committed in 1.50 s"
    assert K.method_link(c) == ("Gadget", "tripled")
    assert log.add(_ev("done", seconds=1.5, attempt=1, time=101.5)) is None    # seen twice: once
    assert K.summary_line(c).endswith("  installed  Gadget.tripled()")


def test_a_refusal_shows_its_reason():
    log = K.KernelLog()
    log.add(_ev("request", "started", time=10.0))
    log.add(_ev("policy", "failed", reason="import of 'socket' is not allowed.", time=10.2))
    c = log.add(_ev("refused", "failed", time=12.0,
                    reason="the policy step refused it: import of 'socket' is not allowed."))
    assert c.state == "refused" and K.method_link(c) is None
    assert K.state_text(c) == "refused — the policy step refused it: import of 'socket' is not allowed."
    label, outcome, secs = K.step_text(c.steps[1])
    assert (label, outcome) == ("policy · attempt 1", "failed: import of 'socket' is not allowed.")
    assert secs == "2.0 ms" and K.seconds_text(0.0000123) == "12 µs"
    assert K.seconds_text(2.345) == "2.35 s" and c.seconds == pytest.approx(2.0)


def test_the_log_keeps_the_newest_cycles():
    log = K.KernelLog(keep=3)
    for n in range(5):
        log.add(_ev("request", "started", cycle=f"c{n}"))
    assert [c.cycle for c in log.recent()] == ["c4", "c3", "c2"] and log.newest().cycle == "c4"


def test_a_method_the_reranker_took_from_elsewhere_says_where_it_came_from():
    log = K.KernelLog()
    log.add(_ev("request", "started", attempt=0, time=100.0))
    log.add(_ev("rerank", reason="chose transfer: Coat.sale_cost of 5 scored", time=100.5))
    c = log.add(_ev("done", seconds=1.5, attempt=1, time=101.5))
    assert K.writer_text(c) == \
        "BRICK with mistral:7b · the installed code was transferred from Coat.sale_cost"
    log.add(_ev("request", "started", cycle="c2", attempt=0, time=102.0))
    log.add(_ev("rerank", cycle="c2", reason="chose units of 3 scored", time=102.5))
    assert K.writer_text(log.add(_ev("done", cycle="c2", seconds=1.0, attempt=1, time=103.0))) \
        == "BRICK with mistral:7b · the installed code was the unit conversion its names imply"
    log.add(_ev("request", "started", cycle="c3", attempt=0, time=104.0))
    log.add(_ev("rerank", cycle="c3", reason="chose model of 4 scored", time=104.5))
    assert K.writer_text(log.add(_ev("done", cycle="c3", seconds=1.0, attempt=1, time=105.0))) \
        == "BRICK with mistral:7b wrote it"
    log.add(_ev("request", "started", cycle="c4", attempt=0, time=106.0))
    log.add(_ev("reuse", cycle="c4", reason="copied from Parcel.shipping_cost", time=106.1))
    assert K.writer_text(log.add(_ev("done", cycle="c4", seconds=1.0, attempt=1, time=107.0))) \
        == "BRICK with mistral:7b · the installed code was copied from Parcel.shipping_cost"
