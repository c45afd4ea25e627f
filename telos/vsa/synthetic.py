"""A synthetic knowledge base for the query tests and the benchmark (countries and cities)."""

import random


def synthetic_kb(n_countries: int = 120, n_cities: int = 150, seed: int = 3):
    """Records ``{key: fields}``: countries (name, kind, capital, currency, language) and cities
    (name, kind, country).  Currencies and languages are shared between countries, capitals unique."""
    r = random.Random(seed)
    currencies = [f"Cur{i}" for i in range(30)]
    languages = [f"Lang{i}" for i in range(25)]
    kb = {}
    for i in range(n_countries):
        kb[f"country{i}"] = {"name": f"Country{i}", "kind": "country", "capital": f"Capital{i}",
                             "currency": r.choice(currencies), "language": r.choice(languages)}
    for j in range(n_cities):
        kb[f"city{j}"] = {"name": f"Town{j}", "kind": "city",
                          "country": f"Country{r.randrange(n_countries)}"}
    return kb
