"""Reciprocal-rank fusion of ranked id lists (Cormack, Clarke & Buettcher 2009).

    fuse({"vector": [7, 3, 9], "lexical": [3, 12]}, weights={"vector": 1.0, "lexical": 1.0}, k=60)
    # -> [(3, 0.0325..., ("vector", "lexical")), (7, ...), ...]   best first

An id ranked ``r`` (from 1) by a list scores ``weight / (k + r)``; its scores add up over the
lists. Ties go to the smaller id. Each result names the lists that found it, in their order.
"""

from __future__ import annotations


def fuse(rankings: dict[str, list[int]], *, weights: dict[str, float], k: int) -> list[tuple[int, float, tuple[str, ...]]]:
    scores: dict[int, float] = {}
    found: dict[int, list[str]] = {}
    for name, ids in rankings.items():
        w = float(weights.get(name, 1.0))
        for rank, i in enumerate(ids, start=1):
            scores[i] = scores.get(i, 0.0) + w / (k + rank)
            found.setdefault(i, []).append(name)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [(i, scores[i], tuple(found[i])) for i in order]
