"""The pattern book (telos/kernel/patterns.py) is sound: every worked example, installed as a
restricted method on its own prototype, returns a value for its call — an example that raised
or returned None would teach the model (and the analogical transfer) a broken method."""

from __future__ import annotations

import pytest

from telos import mirror
from telos.kernel.patterns import PATTERNS


@pytest.mark.parametrize("pattern", PATTERNS, ids=[f"{p.proto}.{p.selector}" for p in PATTERNS])
def test_each_pattern_runs_on_its_own_prototype(image, pattern):
    with image.thought("kernel off: a pattern must not reach a model"):
        image.config.kernel_enabled = False
    with image.thought(f"pattern {pattern.proto}.{pattern.selector}"):
        obj = image.prototypes["Object"].derive(**pattern.slots)
        for selector, source in pattern.methods.items():
            mirror(obj).define(selector, source)
        mirror(obj).define(pattern.selector, pattern.source)
    value = getattr(obj, pattern.selector)(*pattern.args, **pattern.kwargs)
    assert value is not None, pattern.selector


def test_selectors_are_unique():
    keys = [(p.proto, p.selector) for p in PATTERNS]
    assert len(keys) == len(set(keys))


def test_a_superlative_or_a_taking_away_finds_its_idiom_by_meaning():
    from telos.kernel import analogy
    from telos.kernel.patterns import PATTERNS
    pool = [analogy.from_pattern(p) for p in PATTERNS]
    docs = [analogy._expand(analogy.example_terms(e)) for e in pool]

    def nearest(selector, slots, args=(), k=1):
        q = analogy._expand(analogy.request_terms(selector, slots, args, {}, {}))
        scores = analogy.rank(q, docs)
        return [pool[i].selector for i in sorted(range(len(pool)), key=lambda i: -scores[i])][:k]

    assert nearest("lightest_weight", {"weights": [2, 7, 4]}) == ["fastest_time"]    # min(...)
    assert nearest("heaviest_weight", {"weights": [2, 7, 4]}) == ["slowest_time"]    # max(...)
    # among the six whose methods are transferred (cycle.TRANSFER_EXAMPLES)
    assert "sweets_minus" in nearest("balance_after_withdrawal", {"balance": 100}, (30,), k=6)
