"""telos/vsa/records.py: fields checked and stripped; a record is the bundle of role (x) filler
bindings, unbinding a role gives its filler back (noisily); a probe matches its record."""

from __future__ import annotations

import pytest

from telos.errors import VSAError
from telos.vsa import algebra, records

D = 1024


def vector_of(name: str):
    return algebra.named_symbol(7, name, D)


def test_check_fields_strips_roles_and_fillers():
    assert records.check_fields({" capital ": " Paris", "currency": "Euro "}) == {
        "capital": "Paris", "currency": "Euro"}


@pytest.mark.parametrize("fields, message", [
    ({}, "at least one role -> filler pair"),
    ({"": "Paris"}, "record role must be a non-empty string"),
    ({"  ": "Paris"}, "record role must be a non-empty string"),
    ({1: "Paris"}, "record role must be a non-empty string"),
    ({"capital": ""}, "record filler for role 'capital' must be a non-empty string"),
    ({"capital": 3}, "record filler for role 'capital'"),
])
def test_check_fields_refuses(fields, message):
    with pytest.raises(VSAError, match=message):
        records.check_fields(fields)


def test_encode_is_the_bundle_of_the_bindings():
    fields = {"capital": "Paris", "currency": "Euro"}
    expected = algebra.bundle([algebra.bind(vector_of("capital"), vector_of("Paris")),
                               algebra.bind(vector_of("currency"), vector_of("Euro"))])
    assert algebra.similarity(records.encode(fields, vector_of), expected) == pytest.approx(1.0,
                                                                                         abs=1e-5)


def test_encode_checks_its_fields():
    with pytest.raises(VSAError):
        records.encode({}, vector_of)


def test_unbinding_a_role_gives_its_filler_above_every_other_symbol():
    record = records.encode({"capital": "Paris", "currency": "Euro", "language": "French"},
                            vector_of)
    noisy = records.noisy_filler(record, vector_of("capital"))
    scores = {name: algebra.similarity(noisy, vector_of(name))
              for name in ("Paris", "Euro", "French", "Rome", "capital")}
    assert max(scores, key=scores.get) == "Paris"
    assert scores["Paris"] > 0.3 and scores["Rome"] < 0.15


def test_a_probe_is_closest_to_the_record_it_describes():
    france = records.encode({"capital": "Paris", "currency": "Euro"}, vector_of)
    japan = records.encode({"capital": "Tokyo", "currency": "Yen"}, vector_of)
    probe = records.probe({"capital": vector_of("Paris")}, vector_of)
    assert algebra.similarity(probe, france) > algebra.similarity(probe, japan) + 0.2


def test_a_probe_needs_a_constraint():
    with pytest.raises(VSAError, match="at least one constraint"):
        records.probe({}, vector_of)
