"""Small converters for settings, in the manner of supervisor's ``datatypes.py``.

A converter takes the raw value — a string from the environment, or whatever a ``Config`` slot
holds (a bool, a number, a string) — and returns the value the code uses, or raises
``ValueError`` whose message says what was expected ("expected a whole number"). The caller
(:func:`telos.config.get` and friends) prefixes the variable or slot and the bad value, so a
bad setting is one sentence: ``TELOS_BRIDGE_IN_FLIGHT='lots': expected a whole number``.

``expects`` on each converter is the short description ``master_forge.py config -v`` shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable


class Converter:
    """A named conversion: ``convert(raw) -> value``; ``expects`` describes valid input."""

    def __init__(self, expects: str, func: Callable[[Any], Any]):
        self.expects = expects
        self._func = func

    def __call__(self, raw: Any) -> Any:
        return self._func(raw)

    def __repr__(self) -> str:
        return f"<converter: {self.expects}>"


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected text")
    return raw.strip()


text = Converter("text", _text)


def integer(minimum: int | None = None) -> Converter:
    def convert(raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError("expected a whole number")
        try:
            n = raw if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise ValueError("expected a whole number") from None
        if minimum is not None and n < minimum:
            raise ValueError(f"must be at least {minimum}")
        return n
    return Converter("a whole number" + (f" >= {minimum}" if minimum is not None else ""), convert)


def number(above: float | None = None) -> Converter:
    """A float; ``above``: it must be strictly greater (``number(above=0)``: positive)."""
    def convert(raw: Any) -> float:
        if isinstance(raw, bool):
            raise ValueError("expected a number")
        try:
            x = float(raw if isinstance(raw, (int, float)) else str(raw).strip())
        except ValueError:
            raise ValueError("expected a number") from None
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        if above is not None and x <= above:
            raise ValueError(f"must be greater than {above:g}")
        return x
    return Converter("a number" + (f" > {above:g}" if above is not None else ""), convert)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    s = str(raw).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"expected one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}")


boolean = Converter("true/false (1/0, yes/no, on/off)", _boolean)


def choice(*options: str) -> Converter:
    """One of ``options``, matched without regard to case (returned as declared)."""
    by_key = {o.lower(): o for o in options}

    def convert(raw: Any) -> str:
        found = by_key.get(str(raw).strip().lower()) if isinstance(raw, str) else None
        if found is None:
            raise ValueError(f"expected one of {', '.join(options)}")
        return found
    return Converter(" | ".join(options), convert)


def subset(*options: str) -> Converter:
    """Some of ``options``, comma-separated (or a list), returned as one comma-separated string
    in the declared order; ``none`` or nothing: the empty string."""
    by_key = {o.lower(): o for o in options}

    def convert(raw: Any) -> str:
        items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",") \
            if isinstance(raw, str) else None
        if items is None:
            raise ValueError(f"expected names among {', '.join(options)}, comma-separated")
        names = {str(i).strip().lower() for i in items} - {"", "none"}
        unknown = sorted(names - set(by_key))
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)}: expected names among "
                             f"{', '.join(options)}, comma-separated (or none)")
        return ",".join(o for o in options if o.lower() in names)
    return Converter(f"comma-separated names among {', '.join(options)} (or none)", convert)


def _path(raw: Any) -> Path:
    if not isinstance(raw, (str, Path)) or not str(raw).strip():
        raise ValueError("expected a path")
    return Path(str(raw).strip()).expanduser()


path = Converter("a path (~ expands)", _path)


def _address(raw: Any) -> str:
    """``host:port`` (port a number) or a unix socket path (anything with a ``/``)."""
    s = _text(raw)
    if "/" in s:
        return s
    host, sep, port = s.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("expected host:port or a socket path")
    return s


address = Converter("host:port or a socket path", _address)


def _address_or_off(raw: Any) -> str:
    s = _text(raw)
    if s.lower() == "off":
        return "off"
    host, sep, port = s.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("expected host:port (port 0: any free port) or off")
    return s


address_or_off = Converter("host:port or off", _address_or_off)


def _endpoint(raw: Any) -> str:
    s = _text(raw)
    scheme, sep, rest = s.partition("://")
    if not sep or scheme not in ("ipc", "tcp") or not rest or (scheme == "tcp" and ":" not in rest):
        raise ValueError("expected ipc://PATH or tcp://HOST:PORT")
    return s


endpoint = Converter("ipc://PATH or tcp://HOST:PORT", _endpoint)

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _factory(raw: Any) -> str:
    s = _text(raw)
    if not _SPEC.match(s):
        raise ValueError("expected package.module:factory")
    return s


factory = Converter("package.module:factory", _factory)


def _whole_or_text(raw: Any) -> int | str:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError("expected a whole number or a word")
    if isinstance(raw, str):
        s = raw.strip()
        return int(s) if re.fullmatch(r"-?\d+", s) else s
    return raw


whole_or_text = Converter("a whole number or a word", _whole_or_text)


def redact_dsn(value):
    """A database address fit to show or record: a password in it (``user:pw@`` in a URI, a
    ``password=`` parameter or keyword) replaced by ``***``."""
    import re
    from urllib.parse import urlsplit, urlunsplit
    if not isinstance(value, str):
        return value
    text = re.sub(r"(password=)[^&\s]*", r"\1***", value)
    parts = urlsplit(text)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        text = urlunsplit(parts._replace(netloc=netloc))
    return text
