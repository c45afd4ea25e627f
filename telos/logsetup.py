"""Logging configuration — called only by entry points (CLI, service, UI), never by library code."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from telos import config

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(process)d]: %(message)s"


def configure(name: str = "telos", *, home: Path | None = None, stderr_level: int = logging.WARNING,
              to_stdout: bool = False) -> Path:
    """Log to ``$TELOS_HOME/log/<name>.log`` (rotated) and warnings to stderr.

    ``to_stdout`` is for programs under supervisord, which captures and rotates stdout itself.
    Returns the path of the log file.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    level = getattr(logging, config.get("log_level"))
    root.setLevel(min(level, stderr_level))
    path = config.log_dir(home) / f"{name}.log"
    fh = logging.handlers.RotatingFileHandler(path, maxBytes=10 * 2**20, backupCount=5)
    fh.setFormatter(logging.Formatter(_FORMAT))
    fh.setLevel(level)
    root.addHandler(fh)
    sh = logging.StreamHandler(sys.stdout if to_stdout else sys.stderr)
    sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    sh.setLevel(level if to_stdout else stderr_level)
    root.addHandler(sh)
    logging.captureWarnings(True)
    return path
