"""The slot-size limit, alone (the service round trip checks it end to end)."""

from __future__ import annotations

import pytest

from telos import config
from telos.bridge import protocol as P
from telos.errors import ConfigError, RequestRefused
from telos.service.limits import check_slot_value, json_size


def test_size_is_the_compact_utf8_json():
    assert json_size({"a": [1, 2]}) == len('{"a":[1,2]}')
    assert json_size("é") == 4                 # quotes + two UTF-8 bytes


def test_over_the_limit_names_it():
    check_slot_value("s", "x" * 8, 10)
    with pytest.raises(RequestRefused) as e:
        check_slot_value("s", "x" * 9, 10)
    assert e.value.code == P.TOO_LARGE
    assert "11 bytes" in str(e.value) and "limit of 10 bytes" in str(e.value)


def test_settings_are_in_the_table_and_bad_values_are_named(monkeypatch):
    names = {s.name for s in config.SETTINGS}
    assert {"bridge_max_slot_bytes", "bridge_client_in_flight", "bridge_in_flight"} <= names
    assert config.get_int("bridge_max_slot_bytes") == 65536
    monkeypatch.setenv("TELOS_BRIDGE_MAX_SLOT_BYTES", "lots")
    with pytest.raises(ConfigError, match="TELOS_BRIDGE_MAX_SLOT_BYTES='lots'"):
        config.get_int("bridge_max_slot_bytes")
    monkeypatch.setenv("TELOS_BRIDGE_CLIENT_IN_FLIGHT", "0")
    with pytest.raises(ConfigError, match="at least 1"):
        config.get_int("bridge_client_in_flight")
