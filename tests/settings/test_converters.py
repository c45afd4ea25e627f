"""telos/settings/converters.py: each converter accepts environment text and slot values, and a
bad value raises ValueError saying what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from telos.settings import converters as C


@pytest.mark.parametrize("conv, raw, expected", [
    (C.integer(minimum=1), "64", 64),
    (C.integer(minimum=1), 3, 3),
    (C.integer(), " -2 ", -2),
    (C.number(above=0), "8", 8.0),
    (C.number(above=0), 0.5, 0.5),
    (C.boolean, "ON", True),
    (C.boolean, "0", False),
    (C.boolean, True, True),
    (C.choice("auto", "on", "off"), "Auto", "auto"),
    (C.path, "~/x", Path.home() / "x"),
    (C.address, "127.0.0.1:8100", "127.0.0.1:8100"),
    (C.address, "/run/zeo.sock", "/run/zeo.sock"),
    (C.address_or_off, "OFF", "off"),
    (C.address_or_off, ":0", ":0"),
    (C.endpoint, "tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"),
    (C.factory, "tests.service.scripted:factory", "tests.service.scripted:factory"),
    (C.whole_or_text, "7", 7),
    (C.whole_or_text, "alpha", "alpha"),
])
def test_converters_accept_environment_text_and_slot_values(conv, raw, expected):
    assert conv(raw) == expected


@pytest.mark.parametrize("conv, raw, expected", [
    (C.integer(minimum=1), "lots", "expected a whole number"),
    (C.integer(minimum=1), "0", "must be at least 1"),
    (C.integer(minimum=1), True, "expected a whole number"),
    (C.number(above=0), "0", "must be greater than 0"),
    (C.number(above=0), "nan", "finite"),
    (C.boolean, "maybe", "expected one of 1/true/yes/on or 0/false/no/off"),
    (C.choice("auto", "ollama", "embedded"), "gpt", "expected one of auto, ollama, embedded"),
    (C.address, "localhost", "expected host:port or a socket path"),
    (C.address, "host:http", "expected host:port or a socket path"),
    (C.address_or_off, "on", "or off"),
    (C.endpoint, "udp://x:1", "expected ipc://PATH or tcp://HOST:PORT"),
    (C.factory, "module_without_factory", "expected package.module:factory"),
    (C.text, 5, "expected text"),
])
def test_converters_say_what_they_expected(conv, raw, expected):
    with pytest.raises(ValueError, match=expected):
        conv(raw)


@pytest.mark.parametrize("conv, raw, expected", [
    (C.integer(minimum=0), "0", 0),
    (C.integer(), "+5", 5),
    (C.number(), "-1.5", -1.5),
    (C.number(), 3, 3.0),
    (C.boolean, " Yes ", True),
    (C.boolean, "off", False),
    (C.boolean, False, False),
    (C.choice("Ollama", "embedded"), " ollama ", "Ollama"),
    (C.text, "  spaced  ", "spaced"),
    (C.path, Path("/tmp/a"), Path("/tmp/a")),
    (C.address, "[::1]:0", "[::1]:0"),
    (C.address, "host:65535", "host:65535"),
    (C.address_or_off, "0.0.0.0:8100", "0.0.0.0:8100"),
    (C.endpoint, "ipc:///tmp/telos.sock", "ipc:///tmp/telos.sock"),
    (C.factory, "a.b_c.d:make_it", "a.b_c.d:make_it"),
    (C.whole_or_text, " -3 ", -3),
    (C.whole_or_text, 12, 12),
    (C.whole_or_text, " word ", "word"),
])
def test_more_values_each_converter_accepts(conv, raw, expected):
    result = conv(raw)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("conv, raw, expected", [
    (C.integer(), "1.5", "expected a whole number"),
    (C.integer(), None, "expected a whole number"),
    (C.number(), "inf", "finite"),
    (C.number(), "-inf", "finite"),
    (C.number(), False, "expected a number"),
    (C.number(above=1), 1, "must be greater than 1"),
    (C.boolean, "", "expected one of"),
    (C.choice("a", "b"), 1, "expected one of a, b"),
    (C.path, "   ", "expected a path"),
    (C.path, 3, "expected a path"),
    (C.address, "host:70000", "expected host:port"),
    (C.address, ":8100", "expected host:port"),
    (C.address, 8100, "expected text"),
    (C.address_or_off, "host", "or off"),
    (C.address_or_off, "host:-1", "or off"),
    (C.endpoint, "tcp://hostonly", "expected ipc://PATH or tcp://HOST:PORT"),
    (C.endpoint, "ipc://", "expected ipc://PATH or tcp://HOST:PORT"),
    (C.endpoint, "/tmp/sock", "expected ipc://PATH or tcp://HOST:PORT"),
    (C.factory, "pkg.mod:", "expected package.module:factory"),
    (C.factory, "1pkg:make", "expected package.module:factory"),
    (C.whole_or_text, True, "expected a whole number or a word"),
    (C.whole_or_text, 1.5, "expected a whole number or a word"),
])
def test_more_values_each_converter_refuses(conv, raw, expected):
    with pytest.raises(ValueError, match=expected):
        conv(raw)


@pytest.mark.parametrize("conv, expects", [
    (C.integer(), "a whole number"),
    (C.integer(minimum=1), "a whole number >= 1"),
    (C.number(), "a number"),
    (C.number(above=0.5), "a number > 0.5"),
    (C.choice("auto", "on", "off"), "auto | on | off"),
    (C.text, "text"),
])
def test_expects_describes_the_valid_input(conv, expects):
    assert conv.expects == expects
    assert repr(conv) == f"<converter: {expects}>"


def test_a_bound_is_checked_after_conversion_not_on_the_text():
    assert C.integer(minimum=10)(" 10 ") == 10
    with pytest.raises(ValueError, match="must be at least 10"):
        C.integer(minimum=10)(9)
