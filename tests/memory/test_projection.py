"""The memory map's projection (``telos.memory.projection``): a PCA basis fitted once and kept,
new records projected as they come, a refit only when the memory has grown a lot, forgotten
records dropped, concepts placed at the centre of their points."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from telos.memory import projection as pj


@dataclass
class Rec:
    id: int
    vector: np.ndarray
    text: str = ""


@dataclass
class Concept:
    id: int
    definition: str
    contexts: list = field(default_factory=list)


def _records(n, start=1, seed=0, d=16):
    rng = np.random.default_rng(seed)
    # two blobs far apart along the first axis, so the first component separates them
    out = {}
    for k in range(n):
        i = start + k
        v = rng.normal(0, 0.1, d)
        v[0] += 5.0 if i % 2 else -5.0
        out[i] = Rec(i, v.astype("<f4"), f"memory number {i} " + "word " * 40)
    return out


def test_the_basis_is_the_principal_directions_with_a_stable_sign():
    recs = _records(200)
    vecs = np.stack([r.vector for r in recs.values()])
    b = pj.Basis.fit(vecs)
    assert abs(abs(b.components[0][0]) - 1.0) < 0.05 and b.components[0][0] > 0
    assert b.explained[0] > 0.9 and b.fitted_on == 200
    xy = b.project(vecs)
    assert xy.shape == (200, 2)
    odd = xy[[i % 2 == 1 for i in recs]][:, 0]
    even = xy[[i % 2 == 0 for i in recs]][:, 0]
    assert odd.min() > 0 > even.max()             # the blobs land on either side
    again = pj.Basis.fit(-vecs[::-1] * -1)         # the same data in another order
    assert np.allclose(again.components[0], b.components[0], atol=1e-6)


def test_degenerate_memories_do_not_break_the_fit():
    assert pj.Basis.fit(np.zeros((0, 8))).project(np.zeros((0, 8))).shape == (0, 2)
    one = pj.Basis.fit(np.ones((1, 8)))
    assert np.allclose(one.project(np.ones((1, 8))), 0)


def test_new_records_are_projected_once_and_the_basis_is_kept():
    recs = _records(100)
    cache = pj.MapCache(refit_growth=2.0, refit_min_new=10)
    cache.update(recs)
    assert cache.fits == 1 and len(cache.points()) == 100
    basis = cache.basis
    before = {p.id: (p.x, p.y) for p in cache.points()}
    recs.update(_records(50, start=101, seed=1))
    cache.update(recs)
    assert cache.fits == 1 and cache.basis is basis             # grown by half: kept
    assert cache.projected == 150                               # only the 50 new ones added
    assert all((p.x, p.y) == before[p.id] for p in cache.points() if p.id in before)
    assert [p.id for p in cache.points(after_id=120)] == list(range(121, 151))
    recs.update(_records(60, start=151, seed=2))                # 210 >= 2 x 100: refit
    cache.update(recs)
    assert cache.fits == 2 and cache.basis.fitted_on == 210 and len(cache.points()) == 210


def test_forgotten_records_leave_the_map_and_text_is_short():
    recs = _records(20)
    cache = pj.MapCache()
    cache.update(recs)
    del recs[3], recs[4]
    cache.update(recs)
    ids = [p.id for p in cache.points()]
    assert 3 not in ids and 4 not in ids and len(ids) == 18
    text = cache.points()[0].text
    assert len(text) <= pj.TEXT_CHARS and text.endswith("…") and "  " not in text


def test_concepts_sit_at_the_centre_of_their_points():
    recs = _records(40)
    cache = pj.MapCache()
    cache.update(recs)
    odd = [i for i in recs if i % 2]
    concepts = cache.concepts([Concept(1000, "the odd ones", odd + [9999]),
                               Concept(1001, "nothing on the map", [8888])])
    c = concepts[0]
    assert c.members == odd                       # 9999 is not on the map
    pts = {p.id: p for p in cache.points()}
    assert c.x == pytest.approx(np.mean([pts[i].x for i in odd]))
    assert concepts[1].members == []
    clusters = pj.cluster_of(concepts)
    assert clusters[1] == 1000 and 2 not in clusters


def test_the_sample_is_evenly_spaced_and_deterministic():
    ids = list(range(1, 10_001))
    s = pj.sample_ids(ids, 100)
    assert len(s) == 100 and s[0] == 1 and s == pj.sample_ids(ids, 100)
    assert max(b - a for a, b in zip(s, s[1:])) == 100
    assert pj.shared_cache({}) is not None
    shared: dict = {}
    assert pj.shared_cache(shared) is pj.shared_cache(shared)
