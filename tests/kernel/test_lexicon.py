"""The kernel's lexicon (telos/kernel/lexicon.py): what a selector's words say."""

from __future__ import annotations

import pytest

from telos.kernel import lexicon


def test_inflections_meet_at_one_stem():
    assert lexicon.stem("discounted") == lexicon.stem("discount")
    assert lexicon.stem("vowels") == lexicon.stem("vowel")
    assert lexicon.stem("names") == lexicon.stem("name")
    assert lexicon.stem("categories") == lexicon.stem("category")
    assert lexicon.stem("class") == "class" and lexicon.stem("is") == "is"


def test_content_words_drop_stop_words_and_digits():
    assert lexicon.content_words("count_vowels_in_name") == {"count", "vowel", "nam"}
    assert lexicon.content_words("is_above_90") == {"abov"}


@pytest.mark.parametrize("selector, kind", [
    ("is_adult", "bool"), ("has_children", "bool"), ("needs_cooling", "bool"),
    ("count_vowels_in_name", "number"), ("total_items", "number"),
    ("average_score", "number"), ("number_of_pages", "number"),
    ("out_of_stock_items", "list"), ("even_values", "list"), ("sorted_members", "list"),
    ("age_in_months", None), ("duration_seconds", None), ("minutes_per_km", None),
    ("full_name", None), ("highest_score", None), ("address", None), ("status", None),
])
def test_expected_kind_reads_only_what_the_name_says(selector, kind):
    assert lexicon.expected_kind(selector) == kind


def test_kind_of_a_value():
    assert [lexicon.kind_of(v) for v in (True, 3, 2.5, "x", [1], {"a": 1}, None)] == \
        ["bool", "number", "number", "text", "list", "dict", "object"]


def test_polarity_up_down_or_none():
    assert lexicon.polarity("songs_longer_than") == 1
    assert lexicon.polarity("is_warmer_than") == 1
    assert lexicon.polarity("prices_below") == -1
    assert lexicon.polarity("uses_less_than") == -1
    assert lexicon.polarity("is_overflowing") == 0        # a word containing "over" is not "over"
    assert lexicon.polarity("between_above_and_below") == 0


def test_a_per_name_has_a_numerator_and_a_denominator():
    assert lexicon.ratio("km_per_litre") == ({"km"}, {lexicon.stem("litre")})
    assert lexicon.ratio("cost_per_guest") == ({"cost"}, {"guest"})
    assert lexicon.ratio("per_day") is None and lexicon.ratio("area") is None


@pytest.mark.parametrize("selector, end", [
    ("lightest_weight", -1), ("cheapest_item", -1), ("min_value", -1),
    ("heaviest_box", 1), ("highest_score", 1), ("biggest", 1), ("max_value", 1),
    ("latest_entry", 0), ("best", 0), ("weight", 0),
])
def test_a_superlative_asks_for_the_least_or_the_most(selector, end):
    assert lexicon.extreme(selector) == end


@pytest.mark.parametrize("selector, sign", [
    ("balance_after_withdrawal", -1), ("sweets_minus", -1), ("price_without_fee", -1),
    ("balance_after_deposit", 1), ("price_plus", 1),
    ("price_with_fee", 0), ("uses_less_than", 0), ("area", 0),
])
def test_a_name_says_whether_it_adds_or_takes_away(selector, sign):
    assert lexicon.sign(selector) == sign
