"""Kivy's process environment — must run before the first ``import kivy``.

Kivy reads its environment and parses ``sys.argv`` at import time, so everything that shapes
it is decided here, once, by the UI entry point (never by library code):

* ``KIVY_NO_ARGS=1`` — our CLI owns the command line, Kivy must not eat ``--screenshot``.
* ``KIVY_LOG_MODE=PYTHON`` — Kivy's ``Logger`` becomes the plain ``logging.getLogger("kivy")``
  and adds no handlers of its own, so its records reach the handlers configured by
  :func:`telos.logsetup.configure` (file under ``$TELOS_HOME/log/ui.log``).
* ``KIVY_HOME`` under the TelOS home, ``KIVY_USE_DEFAULTCONFIG=1``, ``KIVY_NO_CONFIG=1`` — no ``config.ini``
  changes how tests and screenshots look.
* Headless (no ``DISPLAY``/``WAYLAND_DISPLAY``, or asked for): SDL's offscreen video driver,
  which renders with Mesa into a framebuffer that ``Window.screenshot`` can read; llvmpipe
  renders in the UI thread (``LP_NUM_THREADS=0``) to avoid multi-second stalls on busy machines.
* A 1 ms GIL switch interval, so the UI thread is not held up by the bridge client's thread.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

DEFAULT_SIZE = (1180, 760)

_prepared = False


class _QuietOptionalProviders(logging.Filter):
    """Kivy logs errors (with tracebacks) for optional system pieces it cannot find: Linux input
    libraries (``libmtdev``) and X cut-buffer tools (``xclip``/``xsel``; the SDL2 clipboard is
    used instead). Not errors for a desktop client: keep one INFO line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        if ((msg.startswith("Input: ") and "not supported" in msg)
                or msg.startswith("Cutbuffer: Unable to find")):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = None
            record.exc_text = None
        return True


def is_headless() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare(*, home: Path | None = None, headless: bool | None = None,
            size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """Set Kivy's environment and window configuration. Idempotent; raises if Kivy was
    already imported with other settings (a programming error, not a user error)."""
    global _prepared
    if _prepared:
        return
    if "kivy" in sys.modules and os.environ.get("KIVY_LOG_MODE") != "PYTHON":
        raise RuntimeError("ui.env.prepare() must run before kivy is imported")
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
    # no config.ini at all: Kivy's defaults plus what is set below. (With only the line above,
    # Kivy reads nothing, sees "config version 0" and warns of an upgrade on every start.)
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    if home is not None:
        kivy_home = Path(home) / "kivy"
        kivy_home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KIVY_HOME", str(kivy_home))
    if headless is None:
        headless = is_headless()
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        # Offscreen rendering is Mesa's llvmpipe (software GL). Its rasterizer threads make every
        # texture upload wait for them; on a busy machine that stalled single frames for
        # seconds (measured by bench ui). Rendering in the calling thread has no such stalls.
        os.environ.setdefault("LP_NUM_THREADS", "0")
    logging.getLogger("kivy").addFilter(_QuietOptionalProviders())
    # The bridge client's thread decodes hundreds of messages a second while a reply streams;
    # Kivy's text rendering releases and re-takes the GIL for every line it draws. With the
    # default 5 ms switch interval each re-take can wait 5 ms behind that thread (measured: the
    # frame rate under a busy thread went from 22 to 34 frames/s with 1 ms).
    sys.setswitchinterval(0.001)

    from kivy.config import Config  # noqa: E402  (first kivy import, on purpose)

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "minimum_width", "720")
    Config.set("graphics", "minimum_height", "480")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_enable", "0")
    _prepared = True
