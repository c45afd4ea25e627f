"""Units read as words (telos/kernel/units.py): the conversion a selector and a slot imply."""

from __future__ import annotations

import pytest

from telos.kernel import units


@pytest.mark.parametrize("slot, selector, op", [
    ("minutes", "hours", "/ 60"),                 # a quantity: 150 minutes are 2.5 hours
    ("hours", "minutes", "* 60"),
    ("monthly", "yearly", "* 12"),                # a rate: 3000 a month is 36000 a year
    ("yearly_salary", "monthly_salary", "/ 12"),
    ("rate_per_kg", "rate_per_gram", "/ 1000"),   # after "per": a rate
    ("weight_kg", "weight_in_grams", "* 1000"),
    ("price_cents", "price_in_dollars", "/ 100"),
    ("days", "weeks", "/ 7"),
    ("celsius", "fahrenheit", "{x} * 9 / 5 + 32"),
    ("fahrenheit", "celsius_value", "({x} - 32) * 5 / 9"),
])
def test_the_names_fix_the_conversion(slot, selector, op):
    assert units.factor(slot, selector) == op


@pytest.mark.parametrize("slot, selector", [
    ("minutes", "minutes_left"),        # the same unit
    ("km_per_litre", "km"),             # two units: a ratio
    ("minutes", "yearly"),              # another quantity
    ("hourly", "days"),                 # a rate against a quantity
    ("width", "area"),                  # no unit
])
def test_names_that_say_no_conversion(slot, selector):
    assert units.factor(slot, selector) is None


def test_conversions_and_multipliers_are_offered_as_methods():
    assert units.conversions("hours", {"minutes": 150, "label": "x"}, []) == [
        "def hours(self):\n    return self.minutes / 60"]
    assert units.conversions("fahrenheit", {"celsius": 25}, []) == [
        "def fahrenheit(self):\n    return self.celsius * 9 / 5 + 32"]
    assert units.conversions("double_area", {"side": 3}, ["area"]) == [
        "def double_area(self):\n    return self.area() * 2"]
    assert units.conversions("half_price", {"price": 8}, []) == [
        "def half_price(self):\n    return self.price / 2"]
    assert units.conversions("area", {"width": 3, "height": 4}, []) == []
    assert units.conversions("hours", {"minutes": True}, []) == []        # a bool: no number


def test_a_candidate_without_the_conversions_constant_contradicts_the_names():
    slots = {"minutes": 150}
    assert units.contradicts("def hours(self):\n    return self.minutes * 60", "hours", slots)
    assert not units.contradicts("def hours(self):\n    return self.minutes / 60", "hours", slots)
    assert units.contradicts("def yearly(self):\n    return self.monthly * self.monthly",
                             "yearly", {"monthly": 3000})
    assert not units.contradicts("def yearly(self):\n    return 12 * self.monthly",
                                 "yearly", {"monthly": 3000})
    # a temperature read without its scale's offset
    assert units.contradicts("def is_above_90_fahrenheit(self):\n    return self.celsius > 90",
                             "is_above_90_fahrenheit", {"celsius": 35})
    assert not units.contradicts("def is_above_90_fahrenheit(self):\n"
                                 "    return self.celsius * 9 / 5 + 32 > 90",
                                 "is_above_90_fahrenheit", {"celsius": 35})
    # a slot without a unit, or one the candidate does not read, says nothing
    assert not units.contradicts("def hours(self):\n    return self.total * 2", "hours",
                                 {"total": 3, "minutes": 5})


def test_a_percentage_read_without_a_hundred_contradicts():
    slots = {"price": 20, "discount_percent": 15}
    assert units.contradicts("def d(self):\n    return self.discount_percent * self.price",
                             "discounted_price", slots)
    assert not units.contradicts(
        "def d(self):\n    return self.price * (100 - self.discount_percent) / 100",
        "discounted_price", slots)
    # the selector asks for a percentage itself: no 100 needed
    assert not units.contradicts("def d(self):\n    return self.discount_percent",
                                 "discount_percent_shown", slots)


def test_a_slot_that_already_relates_the_units_turns_the_table_off():
    slots = {"hourly_rate": 20, "hours_per_week": 40, "bonus": 100}
    assert units.conversions("weekly_pay", slots, []) == []
    assert not units.contradicts("def weekly_pay(self):\n    return self.hourly_rate * "
                                 "self.hours_per_week", "weekly_pay", slots)
    # without that slot, the table's constant is what the names say
    assert units.contradicts("def weekly_pay(self):\n    return self.hourly_rate * 40",
                             "weekly_pay", {"hourly_rate": 20})
