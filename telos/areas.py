"""The one registry of areas (the protocol: :mod:`telos.area`).

The built-in areas are listed here once, as the packages that expose an ``AREA`` object, and
are registered exactly as a plug-in would be (after ``simonw/llm``'s default plugins)::

    from telos.areas import REGISTRY
    REGISTRY.register(MyArea())          # image.<name>, genesis, maintenance, status, backups
    REGISTRY.unregister("mine")

Order is registration order: built-ins first (memory, kernel, backups, vsa), in that order;
genesis awakens in it. ``REGISTRY`` is the process's one registry (tests register an area into
it and unregister it afterwards).
"""

from __future__ import annotations

import importlib
import threading
from typing import Iterator

from telos.area import HOOKS, Area
from telos.errors import ConfigError

# The built-in areas: packages whose ``AREA`` is registered at first use.
BUILTIN = ("telos.memory", "telos.kernel", "telos.backup", "telos.vsa")


class AreaRegistry:
    def __init__(self, builtin: tuple[str, ...] = BUILTIN) -> None:
        self._builtin = builtin
        self._areas: dict[str, Area] = {}
        self._lock = threading.RLock()
        self._loaded = False
        self._reserved: set[str] = set()

    def reserve(self, names) -> None:
        """Names an area may not take (the image installs its own attributes' names)."""
        self._reserved.update(names)

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for module in self._builtin:
                self._add(importlib.import_module(module).AREA)
            self._loaded = True        # only once every built-in is in

    def register(self, area: Area) -> Area:
        """Add ``area``; its name must be a free identifier and every hook callable."""
        name = getattr(area, "name", "")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ConfigError(f"area name {name!r} is not a public identifier")
        missing = [h for h in HOOKS if not callable(getattr(area, h, None))]
        if missing:
            raise ConfigError(f"area {name!r} lacks the hooks {', '.join(missing)} "
                              "(subclass telos.area.Area)")
        every = getattr(area, "maintain_every", None)
        if every is not None and not (isinstance(every, (int, float)) and every > 0):
            raise ConfigError(f"area {name!r}: maintain_every must be None or seconds > 0, "
                              f"not {every!r}")
        self._load()
        return self._add(area)

    def _add(self, area: Area) -> Area:
        name = area.name
        if name in self._reserved:
            raise ConfigError(f"area name {name!r} is taken by the image itself (image.{name})")
        with self._lock:
            held = self._areas.get(name)
            if held is not None and held is not area:
                raise ConfigError(f"an area named {name!r} is already registered ({held!r})")
            self._areas[name] = area
        return area

    def unregister(self, name: str) -> None:
        with self._lock:
            self._areas.pop(name, None)

    def get(self, name: str) -> Area | None:
        self._load()
        return self._areas.get(name)

    def names(self) -> list[str]:
        self._load()
        return list(self._areas)

    def __iter__(self) -> Iterator[Area]:
        self._load()
        with self._lock:
            return iter(list(self._areas.values()))


REGISTRY = AreaRegistry()
