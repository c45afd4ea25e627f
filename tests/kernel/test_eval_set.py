"""The kernel's evaluation sets (bench/kernel_eval.py, kernel_eval_held.py, kernel_eval_fresh.py)
are sound: every expected value is what a hand-written restricted method returns in a real image.
No language model is called."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from telos import mirror
from telos.uvm import lookup

PATH = Path(__file__).resolve().parents[2] / "bench" / "kernel_eval.py"


def _load():
    spec = importlib.util.spec_from_file_location("kernel_eval", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)   # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


EVAL = _load()
DEV = EVAL.REQUESTS
sys.path.insert(0, str(PATH.parent))       # kernel_eval_held imports kernel_eval by name
HELD = __import__("kernel_eval_held").REQUESTS
FRESH = __import__("kernel_eval_fresh").REQUESTS
REQUESTS = DEV + HELD + FRESH


def test_at_least_40_requests_covering_every_category():
    assert len(DEV) >= 40
    counts = Counter(r.category for r in DEV)
    assert set(counts) == set(EVAL.CATEGORIES)
    assert min(counts.values()) >= 5, counts


def test_the_held_out_set_covers_every_category_with_receivers_of_its_own():
    assert len(HELD) >= 20
    counts = Counter(r.category for r in HELD)
    assert set(counts) == set(EVAL.CATEGORIES) and min(counts.values()) >= 3, counts
    assert not {r.key for r in HELD} & {r.key for r in DEV}
    dev_slots = {(r.selector, tuple(sorted(r.slots))) for r in DEV}
    assert not [r.key for r in HELD if (r.selector, tuple(sorted(r.slots))) in dev_slots]


def _prototypes(requests) -> set[str]:
    return {r.proto for r in requests} | {r.parent.name for r in requests if r.parent}


def test_the_fresh_set_covers_every_category_with_prototypes_of_its_own():
    assert len(FRESH) == 30
    counts = Counter(r.category for r in FRESH)
    assert set(counts) == set(EVAL.CATEGORIES) and set(counts.values()) == {5}, counts
    shared = _prototypes(FRESH) & (_prototypes(DEV) | _prototypes(HELD))
    assert not shared, sorted(shared)
    earlier = {r.selector for r in DEV + HELD}
    assert not [r.key for r in FRESH if r.selector in earlier]
    kinds = Counter("kwargs" if r.kwargs else "args" if r.args else "none" for r in FRESH
                    if r.category == "arguments")
    assert kinds["args"] and kinds["kwargs"], kinds
    assert any(r.parent for r in FRESH) and any(r.methods for r in FRESH)


@pytest.mark.parametrize("requests", [DEV, HELD, FRESH], ids=["dev", "held-out", "fresh"])
def test_selectors_are_unique_per_receiver_and_new_to_it(requests):
    keys = [r.key for r in requests]
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    for r in requests:
        parent_methods = r.parent.methods if r.parent else {}
        assert r.selector not in r.methods and r.selector not in parent_methods, r.key
        assert r.selector.isidentifier() and not r.selector.startswith("_"), r.key


def test_delegation_requests_give_the_receiver_or_its_parent_methods_to_call():
    for r in REQUESTS:
        if r.category == "delegation":
            called = set(r.methods) | set(r.parent.methods if r.parent else {})
            assert called and any(f"self.{m}(" in r.reference for m in called), r.key


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.key for r in REQUESTS])
def test_reference_method_returns_the_expected_value(image, request_):
    r = request_
    with image.thought("kernel off: a missing method must never reach a model"):
        image.config.kernel_enabled = False
    receiver = EVAL.build(image, r)
    assert lookup(receiver, r.selector) is None          # the kernel would be asked for it
    with image.thought(f"reference {r.key}"):
        mirror(receiver).define(r.selector, r.reference)  # restricted: the model's conditions
    value = getattr(receiver, r.selector)(*r.args, **r.kwargs)
    assert EVAL.same_value(value, r.expected), (r.key, value, r.expected)


def test_same_value_is_exact_except_for_floats():
    same = EVAL.same_value
    assert same(12, 12) and same(12.0, 12) and same(0.1 + 0.2, 0.3)
    assert not same(True, 1) and not same(1, True) and not same("12", 12)
    assert not same([1, 2], [2, 1]) and same([1.0, 2], [1, 2])
    assert not same(None, 0) and same({"a": 1}, {"a": 1})
