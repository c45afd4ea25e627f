"""The Area protocol (telos.area) and its one registry (telos.areas): built-ins conform, and an
area registered the way a plug-in would be is awakened, attached, snapshotted and closed."""

from __future__ import annotations

import pytest

from telos.area import HOOKS, Area, AreaStats
from telos.areas import REGISTRY, AreaRegistry
from telos.errors import ConfigError
from telos.reflect import mirror
from telos.uvm import UvmObject

BUILTIN = ["memory", "kernel", "backups", "vsa"]


class ProbeFacade:
    def __init__(self, image):
        self.image = image

    def count(self):
        return mirror(self.image.prototypes["Probe"]).get("n")


class Probe(Area):
    name = "probe"
    maintain_every = 5.0

    def __init__(self):
        self.calls: list[str] = []

    def awaken(self, image):
        self.calls.append("awaken")
        if "Probe" not in image.prototypes:
            image.register("Probe", UvmObject(n=0))

    def attach(self, image):
        self.calls.append("attach")
        return ProbeFacade(image)

    def maintain(self, image, status):
        self.calls.append("maintain")
        image.prototypes["Probe"].n += 1

    def stats(self, image):
        return AreaStats(counts={"n": image.area(self.name).count()})

    def snapshot(self, image, dest):
        (dest / "probe.txt").write_text("probe")
        return {"tid": None, "files": [str(dest / "probe.txt")]}

    def close(self, facade):
        self.calls.append("close")


@pytest.fixture
def probe():
    area = REGISTRY.register(Probe())
    yield area
    REGISTRY.unregister(area.name)


@pytest.mark.parametrize("name", BUILTIN)
def test_each_builtin_area_provides_every_hook(name):
    area = REGISTRY.get(name)
    assert area.name == name
    for hook in HOOKS:
        assert getattr(type(area), hook) is not getattr(Area, hook), f"{name} inherits {hook}"
    assert area.maintain_every is None or area.maintain_every > 0


def test_builtins_are_registered_first_and_in_order():
    assert REGISTRY.names()[:4] == BUILTIN
    fresh = AreaRegistry()
    assert fresh.names() == BUILTIN


def test_the_registry_refuses_what_is_not_an_area():
    class NoHooks:
        name = "nohooks"
    with pytest.raises(ConfigError, match="lacks the hooks"):
        AreaRegistry().register(NoHooks())
    with pytest.raises(ConfigError, match="already registered"):
        AreaRegistry().register(type("Other", (Area,), {"name": "memory"})())
    with pytest.raises(ConfigError, match="identifier"):
        AreaRegistry().register(type("Bad", (Area,), {"name": "not a name"})())


def test_a_registered_area_is_awakened_attached_maintained_and_closed(telos_home, probe):
    from telos import open_image
    image = open_image()
    try:
        assert probe.calls == ["awaken"]                     # genesis ran its hook
        assert "Probe" in image.prototypes
        assert image.probe.count() == 0                      # image.<name> is the facade
        assert image.probe is image.area("probe")            # attached once per session
        image.run(lambda: probe.maintain(image, lambda *a: None), "probe maintenance")
        assert image.probe.count() == 1
        assert probe.stats(image).counts == {"n": 1}
        session = image.session()
        assert session.probe is not image.probe             # one facade per session
    finally:
        image.close()
    assert probe.calls == ["awaken", "attach", "maintain", "attach", "close", "close"]
    image = open_image()                                     # awakening again creates nothing
    try:
        assert mirror(image.prototypes["Probe"]).get("n") == 1
    finally:
        image.close()


def test_an_unknown_area_is_an_attribute_error(image):
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        image.nosuch
    assert not hasattr(image, "nosuch")
    with pytest.raises(AttributeError, match="no area 'nosuch'"):
        image.area("nosuch")


def test_an_area_may_not_take_a_name_of_the_image_itself(image):
    for taken in ("config", "close", "store", "thought"):
        with pytest.raises(ConfigError, match="taken by the image"):
            REGISTRY.register(type("Shadow", (Area,), {"name": taken})())


def test_a_property_that_fails_shows_its_own_error_not_no_area(image, monkeypatch):
    from telos.image import Image

    def broken(self):
        raise AttributeError("the registry went away")
    monkeypatch.setattr(Image, "prototypes", property(broken))
    with pytest.raises(AttributeError, match="the registry went away"):
        image.prototypes


def test_backups_capture_every_areas_snapshot(image, probe, tmp_path):
    from telos.backup.engine import make_backup
    backups = image.backups
    snapshots = backups._snapshots()
    assert list(snapshots) == REGISTRY.names()
    (tmp_path / "dest").mkdir()
    result = make_backup(backups.source_path(), tmp_path / "dest", backups.keys(create=True),
                         full=True, snapshots=snapshots)
    manifest = result.set.manifest
    assert manifest["snapshots"]["probe"]["files"] == ["probe.txt"]
    assert manifest["memory"] == manifest["snapshots"]["memory"]
    roles = {info["role"] for info in manifest["files"].values()}
    assert {"probe", "memory", "data"} <= roles


# -- the registry alone (no built-ins loaded) ---------------------------------------------------

def _named(name, **attrs):
    return type("A", (Area,), {"name": name, **attrs})()


def _bad_name(name):
    return type("A", (Area,), {"name": name})()


def test_an_empty_registry_keeps_registration_order_and_unregisters():
    reg = AreaRegistry(builtin=())
    first, second = _named("zeta"), _named("alpha")
    assert reg.register(first) is first
    reg.register(second)
    assert reg.names() == ["zeta", "alpha"]
    assert list(reg) == [first, second]
    assert reg.get("alpha") is second and reg.get("missing") is None
    reg.unregister("zeta")
    reg.unregister("zeta")          # unregistering twice is harmless
    assert reg.names() == ["alpha"]


def test_registering_the_same_area_twice_is_harmless():
    reg = AreaRegistry(builtin=())
    area = _named("once")
    reg.register(area)
    reg.register(area)
    assert reg.names() == ["once"]


@pytest.mark.parametrize("name", ["", "_private", "1st", None, 5])
def test_the_registry_refuses_names_that_are_not_public_identifiers(name):
    with pytest.raises(ConfigError, match="is not a public identifier"):
        AreaRegistry(builtin=()).register(_bad_name(name))


@pytest.mark.parametrize("every", [0, -1, "5", False])
def test_the_registry_refuses_a_bad_maintain_every(every):
    with pytest.raises(ConfigError, match="maintain_every must be None or seconds > 0"):
        AreaRegistry(builtin=()).register(_named("slow", maintain_every=every))


def test_a_hook_that_is_not_callable_is_named():
    with pytest.raises(ConfigError, match="lacks the hooks stats"):
        AreaRegistry(builtin=()).register(_named("half", stats=None))
