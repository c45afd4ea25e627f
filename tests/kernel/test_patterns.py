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
