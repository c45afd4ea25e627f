"""Stored examples (telos.kernel.examples): the call that made a method is kept with it, and
every later definition — a kernel regeneration, ``mirror.define`` (the bridge's DEFINE_METHOD
goes through it) — must give the same values in the sandbox, or is refused."""

from __future__ import annotations

import pytest

from telos import GenerationError, mirror
from telos.kernel.examples import ExampleBroken, stored
from tests.kernel.conftest import fenced

GOOD = "def area(self):\n    return self.width * self.height"


def _installed(kimage, standin):
    standin.script(fenced(GOOD))
    rect = kimage.prototypes["Rectangle"]
    assert rect.area() == 12
    return rect


def test_the_triggering_call_is_stored_as_the_first_example(kimage, standin):
    rect = _installed(kimage, standin)
    (ex,) = stored(rect, "area")
    assert ex["args"] == [] and ex["kwargs"] == {} and ex["value"] == 12
    assert ex["slots"]["width"] == 3 and ex["slots"]["height"] == 4
    assert mirror(rect).provenance("area")["examples"] == [ex]     # what the inspector reads


def test_an_edit_that_breaks_an_example_is_refused_in_one_sentence(kimage, standin):
    rect = _installed(kimage, standin)
    with pytest.raises(ExampleBroken) as info:
        with kimage.thought("edit area"):
            mirror(rect).define("area", "def area(self):\n    return self.width + self.height")
    msg = str(info.value)
    assert msg.startswith("the new area is refused: its stored example Rectangle(width=3, "
                          "height=4")
    assert msg.endswith(".area() must return 12 but returned 7") and msg.count(".") <= 3
    kimage.transaction_manager.begin()
    assert mirror(rect).source("area").strip() == GOOD                # unchanged


def test_an_edit_that_keeps_the_examples_is_installed_and_keeps_them(kimage, standin):
    rect = _installed(kimage, standin)
    before = stored(rect, "area")
    with kimage.thought("edit area"):
        mirror(rect).define("area", "def area(self):\n    return self.height * self.width")
    assert rect.area() == 12 and stored(rect, "area") == before


def test_an_edit_that_raises_on_an_example_is_refused(kimage, standin):
    rect = _installed(kimage, standin)
    with pytest.raises(ExampleBroken, match=r"must return 12 but failed \(.*ZeroDivisionError"):
        with kimage.thought("edit area"):
            mirror(rect).define("area", "def area(self):\n    return 1 / 0")


def test_a_regeneration_that_breaks_an_example_is_refused(kimage, standin):
    rect = _installed(kimage, standin)
    standin.script(fenced("def area(self):\n    return self.width + self.height"))
    with pytest.raises(GenerationError) as info:
        kimage.kernel.regenerate(rect, "area")
    assert info.value.step == "examples"
    assert "must return 12 but returned 7" in info.value.reason
    kimage.transaction_manager.begin()
    assert mirror(rect).source("area").strip() == GOOD


def test_a_regeneration_that_keeps_the_examples_is_installed(kimage, standin):
    rect = _installed(kimage, standin)
    standin.script(fenced("def area(self):\n    return self.height * self.width"))
    src = kimage.kernel.regenerate(rect, "area")
    assert "self.height * self.width" in src
    assert mirror(rect).source("area").strip() == src.strip()
    assert [e["value"] for e in stored(rect, "area")] == [12]


def test_a_method_of_another_prototype_that_fits_is_reused_without_the_model(kimage, standin):
    with kimage.thought("a sibling with area"):
        obj = kimage.prototypes["Object"]
        square = kimage.register("Square", obj.derive(width=5, height=5))
        mirror(square).define("area", GOOD)
        tile = kimage.register("Tile", obj.derive(width=2, height=3))
    assert tile.area() == 6                      # nothing scripted: the model was not asked
    assert standin.requests == [] or all("chat" not in r["path"] for r in standin.requests)
    prov = mirror(tile).provenance("area")
    assert prov["copied_from"] == "Square" and prov["examples"][0]["value"] == 6


def test_a_constant_method_is_not_reused_and_a_trusted_one_never(kimage, standin):
    """Reuse copies only what a generated method would have to be: restricted, computed from its
    inputs, passing the policy and the trial. A constant (``return "woof"``) or a trusted
    method of another prototype goes to the model instead."""
    with kimage.thought("prototypes with methods"):
        obj = kimage.prototypes["Object"]
        dog = kimage.register("Dog", obj.derive(legs=4))
        mirror(dog).define("sound", 'def sound(self):\n    return "woof"')
        square = kimage.register("Square", obj.derive(width=5, height=5))
        mirror(square).define("area", GOOD, trusted=True)
        cat = kimage.register("Cat", obj.derive(legs=4))
        tile = kimage.register("Tile", obj.derive(width=2, height=3))
    standin.script(fenced('def sound(self):\n    return "meow " * (self.legs // 4)'))
    assert cat.sound().strip() == "meow"
    assert "copied_from" not in mirror(cat).provenance("sound")
    standin.script(fenced(GOOD))
    assert tile.area() == 6
    prov = mirror(tile).provenance("area")
    assert "copied_from" not in prov and mirror(tile).methods()["area"].trusted is False


def test_a_big_receiver_keeps_its_method_without_an_oversized_example(kimage, standin):
    from telos.kernel.examples import MAX_EXAMPLE_BYTES
    with kimage.thought("a big one"):
        big = kimage.register("Big", kimage.prototypes["Object"].derive(items=list(range(5000))))
    standin.script(fenced("def total(self):\n    return sum(self.items)"))
    assert big.total() == sum(range(5000))
    assert stored(big, "total") == [] and len(str(mirror(big).provenance("total"))) < MAX_EXAMPLE_BYTES


def test_examples_guard_definitions_in_a_process_that_never_used_the_kernel(kimage, standin):
    """The check is registered when the kernel's area is, not when ``image.kernel`` is first
    used: a fresh process (the shell, the service after a restart) is guarded too."""
    import subprocess
    import sys
    rect = _installed(kimage, standin)
    assert stored(rect, "area")
    path = kimage.store.path
    kimage.close()
    code = (
        "from telos import open_image, mirror\n"
        f"im = open_image({str(path)!r})\n"
        "try:\n"
        "    with im.thought('edit'):\n"
        "        mirror(im.prototypes['Rectangle']).define('area', "
        "'def area(self):\\n    return self.width + self.height')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        "else:\n"
        "    print('accepted')\n"
        "im.close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "TELOS_SANDBOX_NO_DROP": "1"})
    assert out.stdout.startswith("ExampleBroken the new area is refused"), out.stdout + out.stderr
