"""Hypervector queries over the bridge: VSA_QUERY → the service's image.vsa → VSA_ANSWER."""

from __future__ import annotations

import pytest

from telos import open_image
from telos.errors import RemoteError


def test_two_hop_query_over_the_bridge(service, client, zeo_module):
    image = open_image(zeo=zeo_module)
    try:
        with image.thought("facts"):
            image.vsa.record("france", {"name": "France", "kind": "country", "capital": "Paris",
                                        "currency": "Euro", "language": "French"})
            image.vsa.record("japan", {"name": "Japan", "kind": "country", "capital": "Tokyo",
                                       "currency": "Yen", "language": "Japanese"})
            image.vsa.record("uk", {"name": "UK", "kind": "country", "capital": "London",
                                    "currency": "Pound", "language": "English"})
    finally:
        image.close()
    answer = client.vsa_query("currency of the country whose capital is Tokyo")
    assert answer.value == "Yen" and answer.kind == "symbol"
    assert [s.op for s in answer.steps].count("cleanup") >= 2
    with pytest.raises(RemoteError) as err:
        client.vsa_query("currency of of whose")
    assert "VSA queries look like" in str(err.value) or err.value.code == "BAD_REQUEST"
