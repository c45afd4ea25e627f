"""UI test fixtures: one real stack per session (ZEO + service + its Ollama stand-in), one Kivy window
per process (SDL offscreen driver, no display needed), a fresh app per test.

Set ``TELOS_UI_SHOTS=DIR`` to also keep the screenshots the tests take (docs/screenshots is
refreshed that way).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.ollama_standin import OllamaStandIn
from tests.ui.stack import Stack

REPLY = ("A prototype is an object that others delegate to: when a slot is missing, the lookup "
         "asks the parents in order, and the first holder answers. Clone it to copy its slots, "
         "derive from it to share them. Methods live in the image as source, with the name of "
         "whoever wrote them, and a message nobody understands wakes the generative kernel, "
         "which writes the missing method, tries it in a sandbox and commits it only if "
         "everything worked.")


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The session's stack; its service's language model is an Ollama stand-in of its own
    (``stack.standin``: it lives as long as the service, answers REPLY slowly enough to see the
    stream), not the per-test ``standin`` of tests/conftest.py."""
    home = tmp_path_factory.mktemp("ui") / "home"
    standin = OllamaStandIn(default_reply=REPLY, delay=0.03).start()
    st = Stack(home, standin.url, standin=standin)
    try:
        st.start_zeo()
        st.configure_image()
        setup = st.shell(
            "g = UvmObject(size=3, label='gadget')\n"
            "with image.thought('ui tests: a prototype to inspect', user='tests'):\n"
            "    image.register('Gadget', g)\n"
            "    mirror(g).define('area', 'def area(self):\\n    \"\"\"Twice the size.\"\"\"\\n'\n"
            "                     '    return self.size * 2\\n', {'author': 'tests', 'model': 'hand-written'})\n")
        assert setup.returncode == 0, setup.stdout + setup.stderr
        # a first backup before the service starts: its schedule then has nothing due for an
        # hour, so no scheduled backup races the ones the tests make
        first = st.cli("backup")
        assert first.returncode == 0 and "full backup #1" in first.stdout, first.stdout + first.stderr
        st.start_service()
        # a first answer: the responder (the Ollama client) is up and the stand-in answers
        from telos.bridge.client import BridgeClient
        with BridgeClient(st.endpoint, timeout=120) as c:
            assert c.ask("warm up").result().full_text == REPLY
        yield st
    finally:
        st.stop()
        standin.stop()


@pytest.fixture(scope="session")
def kivy_window(tmp_path_factory):
    from ui import env

    env.prepare(home=tmp_path_factory.mktemp("kivy"), headless=True)
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    return EventLoop.window


class UiDriver:
    """Runs the real app's frames by hand (what ``App.run`` would do), so a test can act and wait."""

    def __init__(self, app, link, shots: Path):
        self.app, self.link, self.shots = app, link, shots

    @property
    def root(self):
        return self.app.root

    def frames(self, n: int = 1) -> None:
        from kivy.base import EventLoop

        for _ in range(n):
            EventLoop.idle()

    def until(self, predicate, what: str, timeout: float = 60.0) -> None:
        """Pump frames until ``predicate()``; fail naming ``what`` (a timeout, not a speed test)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"UI never reached: {what} (link: {self.link.state_text})")
            self.frames(1)
            time.sleep(0.005)
        self.frames(3)          # let the changed widgets lay out and draw

    def widgets(self, cls_name: str) -> list:
        return [w for w in self.root.walk(restrict=False) if type(w).__name__ == cls_name]

    def screenshot(self, name: str) -> Path:
        from kivy.core.window import Window

        self.frames(3)
        written = Window.screenshot(name=str(self.shots / f"{name}.png"))
        path = self.shots / f"{name}.png"
        shutil.move(written, path)
        keep = os.environ.get("TELOS_UI_SHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path


@pytest.fixture
def ui(stack, kivy_window, tmp_path):
    from kivy.app import App

    from ui.app import TelosApp
    from ui.client import InboxClient
    from ui.link import Link

    client = InboxClient(stack.endpoint)
    link = Link(client, endpoint=client.endpoint, status_every=0.5, dead_after=15.0)
    app = TelosApp(link)
    app._run_prepare()                      # builds, adds the root to the window, fires on_start
    shots = tmp_path / "shots"
    shots.mkdir()
    driver = UiDriver(app, link, shots)
    try:
        driver.until(lambda: link.connected and link.last_status is not None, "connected to the service")
        yield driver
    finally:
        app.dispatch("on_stop")
        if app.root is not None and app.root.parent is not None:
            kivy_window.remove_widget(app.root)
        App._running_app = None


def image_stats(path: Path) -> dict:
    """Pixel statistics of a PNG (read back with Kivy's own image loader)."""
    import numpy as np
    from kivy.core.image import Image as CoreImage

    img = CoreImage(str(path), keep_data=True)
    data = img.image._data[0]
    pixels = np.frombuffer(data.data, dtype=np.uint8).reshape(data.height, data.width, -1)[..., :3]
    flat = pixels.reshape(-1, 3)
    colours = np.unique(flat[:: max(1, len(flat) // 200_000)], axis=0)
    return {"width": data.width, "height": data.height, "std": float(pixels.std()),
            "colours": len(colours)}


def assert_stacked(widgets) -> None:
    """Rows of a list are laid out one under the other: none overlaps the next (in window
    coordinates), and each is as tall as its content asked for."""
    boxes = sorted(((w.to_window(w.x, w.y), w.height, w) for w in widgets), key=lambda b: -b[0][1])
    for (upper_pos, _uh, upper), (lower_pos, lower_h, lower) in zip(boxes, boxes[1:]):
        assert upper_pos[1] >= lower_pos[1] + lower_h - 0.5, (
            f"rows overlap: {str(getattr(upper, 'text', upper))[:40]!r} and "
            f"{str(getattr(lower, 'text', lower))[:40]!r}")


_SOURCE = r"\[[dmp]\d+\] (glossary \w+|memory #\d+|prototype \w+)"
SOURCES = re.compile(rf"{_SOURCE}(; {_SOURCE})*")


def grounded(text: str) -> tuple[str, str]:
    """A persona's answer as the model wrote it and the sources line the service appended
    (grounded chat, ``telos.llm.grounding``); the line, when present, must be well formed."""
    body, sep, sources = text.partition("\n\nSources: ")
    assert not sep or SOURCES.fullmatch(sources), sources
    return body, sources
