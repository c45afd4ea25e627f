"""``--screenshot PATH``: render one view against the running service, save a PNG, exit.

The job waits at least ``after`` seconds, then until the view is *ready* (connected, and the
view's content has arrived: the answer to ``--query``, the inspected object, the search results),
at most ``patience`` seconds more — a picture of a disconnected UI is still a useful bug report,
but the exit status says it was not ready (3).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from kivy.clock import Clock

log = logging.getLogger(__name__)

EXIT_OK, EXIT_NOT_READY = 0, 3


class ScreenshotJob:
    def __init__(self, app, path: Path, *, after: float = 2.0, patience: float = 30.0,
                 ready=None):
        self.app = app
        self.path = Path(path)
        self.after = after
        self.patience = patience
        self.ready = ready or (lambda: True)
        self.started = time.monotonic()
        self.exit_status: int | None = None
        self.saved: Path | None = None
        self._event = None

    def start(self) -> None:
        self.started = time.monotonic()
        self._event = Clock.schedule_interval(self._check, 0.1)

    def _check(self, _dt) -> bool | None:
        waited = time.monotonic() - self.started
        if waited < self.after:
            return None
        ready = bool(self.ready())
        if not ready and waited < self.after + self.patience:
            return None
        # the widgets changed in this frame are drawn in the next one: shoot after two frames
        Clock.schedule_once(lambda _dt: Clock.schedule_once(lambda _dt: self.take(ready), 0), 0)
        return False

    def take(self, ready: bool) -> Path:
        from kivy.core.window import Window

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="telos-shot-") as tmp:
            written = Window.screenshot(name=str(Path(tmp) / "shot.png"))   # writes shot0001.png
            if not written:
                raise RuntimeError("the window could not be read back for a screenshot")
            shutil.move(written, self.path)
        self.saved = self.path
        self.exit_status = EXIT_OK if ready else EXIT_NOT_READY
        if ready:
            log.info("screenshot saved to %s", self.path)
        else:
            log.warning("screenshot saved to %s, but the view was not ready (service not connected "
                        "or no answer within %.0f s)", self.path, self.patience)
        self.app.stop()
        return self.path
