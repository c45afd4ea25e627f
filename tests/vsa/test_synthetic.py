"""telos/vsa/synthetic.py: the synthetic countries-and-cities knowledge base is deterministic in
its seed and keeps the promises the query tests rely on."""

from __future__ import annotations

from telos.vsa.synthetic import synthetic_kb


def test_the_same_seed_gives_the_same_kb_and_another_seed_another():
    assert synthetic_kb(10, 10, seed=1) == synthetic_kb(10, 10, seed=1)
    assert synthetic_kb(10, 10, seed=1) != synthetic_kb(10, 10, seed=2)


def test_sizes_and_kinds():
    kb = synthetic_kb(n_countries=7, n_cities=5)
    countries = {k: v for k, v in kb.items() if v["kind"] == "country"}
    cities = {k: v for k, v in kb.items() if v["kind"] == "city"}
    assert len(countries) == 7 and len(cities) == 5 and len(kb) == 12
    assert all(set(v) == {"name", "kind", "capital", "currency", "language"}
               for v in countries.values())
    assert all(set(v) == {"name", "kind", "country"} for v in cities.values())


def test_capitals_are_unique_and_currencies_shared():
    kb = synthetic_kb()
    countries = [v for v in kb.values() if v["kind"] == "country"]
    capitals = [c["capital"] for c in countries]
    assert len(set(capitals)) == len(capitals)
    assert len({c["currency"] for c in countries}) < len(countries)


def test_every_city_lies_in_a_country_of_the_kb():
    kb = synthetic_kb(n_countries=20, n_cities=50)
    names = {v["name"] for v in kb.values() if v["kind"] == "country"}
    assert all(v["country"] in names for v in kb.values() if v["kind"] == "city")
