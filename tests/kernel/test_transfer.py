"""Analogical transfer (telos/kernel/transfer.py): an example's method mapped onto a receiver."""

from __future__ import annotations

from telos.kernel.analogy import Example
from telos.kernel.transfer import transfer


def _ex(source, slots, methods=None, args=()):
    return Example("Runner", slots, source.split("(")[0][4:], source, args=args,
                   methods=methods or {})


def test_slots_map_by_kind_and_every_consistent_mapping_is_offered():
    ex = _ex("def minutes_per_km(self):\n    return self.minutes / self.km",
             {"minutes": 50, "km": 10})
    out = transfer(ex, "average_speed", {"distance_km": 150, "hours": 2.5, "name": "x"}, [], [])
    assert out == ["def average_speed(self):\n    return self.distance_km / self.hours",
                   "def average_speed(self):\n    return self.hours / self.distance_km"]


def test_a_slot_of_a_kind_the_receiver_lacks_maps_to_nothing():
    ex = _ex("def total(self):\n    return sum(self.durations)", {"durations": [1, 2]})
    assert transfer(ex, "total_price", {"price": 3, "name": "pen"}, [], []) == []


def test_parameters_and_called_methods_are_renamed():
    ex = _ex("def yearly_cost(self, price):\n    return self.yearly_kwh() * price",
             {"watts": 75}, methods={"yearly_kwh": "def yearly_kwh(self): ..."}, args=(0.3,))
    out = transfer(ex, "paint_cost", {"width": 3, "length": 4}, ["floor_area"], ["number"])
    assert out == ["def paint_cost(self, number):\n    return self.floor_area() * number"]


def test_another_arity_or_a_constant_method_gives_nothing():
    ex = _ex("def fee(self, x):\n    return self.amount * x", {"amount": 1}, args=(2,))
    assert transfer(ex, "tax", {"net": 3}, [], []) == []
    const = _ex("def kind(self):\n    return 'kettle'", {"litres": 1})
    assert transfer(const, "kind", {"litres": 2}, [], []) == []


def test_comparisons_are_turned_when_the_names_point_opposite_ways():
    ex = _ex("def songs_longer_than(self, seconds):\n"
             "    return [d for d in self.durations if d > seconds]",
             {"durations": [180, 240]}, args=(190,))
    below = transfer(ex, "prices_below", {"prices": [3, 5, 12]}, [], ["number"])
    assert below == ["def prices_below(self, number):\n"
                     "    return [d for d in self.prices if d < number]"]
    above = transfer(ex, "prices_above", {"prices": [3, 5, 12]}, [], ["number"])
    assert "d > number" in above[0]


def test_a_name_that_says_no_direction_keeps_the_examples_comparison():
    ex = _ex("def uses_less_than(self, limit):\n    return self.watts <= limit",
             {"watts": 75}, args=(100,))
    assert "self.celsius <= number" in transfer(ex, "is_ok_for", {"celsius": 25}, [],
                                                ["number"])[0]
    assert "self.celsius >= number" in transfer(ex, "is_warmer_than", {"celsius": 25}, [],
                                                ["number"])[0]
    eq = _ex("def is_balanced(self):\n    return self.left == self.right",
             {"left": 2, "right": 2})
    assert "==" in transfer(eq, "is_longer", {"a": 1, "b": 2}, [], [])[0]


def test_a_separator_from_the_examples_own_text_becomes_the_receivers():
    ex = _ex("def scheme(self):\n    return self.address.split('://')[0]",
             {"address": "https://telos.org/docs"})
    out = transfer(ex, "email_domain", {"email": "ada@example.com"}, [], [])
    assert "def email_domain(self):\n    return self.email.split('@')[-1]" in out
    assert "def email_domain(self):\n    return self.email.split('@')[0]" in out
    assert "def email_domain(self):\n    return self.email.split('.')[-1]" in out
    assert not any("://" in s for s in out)           # a split on "://" would do nothing here
    # a receiver whose text has the example's separator keeps it as it is
    assert transfer(ex, "protocol", {"url": "http://a.org"}, [], []) == [
        "def protocol(self):\n    return self.url.split('://')[0]"]
