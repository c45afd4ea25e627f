"""One status line on stderr for work the service reports while a command waits.

On a terminal the line is redrawn in place with a spinner; otherwise (a pipe, a log) a line is
written only when the text changes, so logs stay short. stdout is never touched: it carries the
answer.
"""

from __future__ import annotations

import itertools
import re
import sys
from typing import TextIO

_SPIN = "|/-\\"


def progress_text(p) -> str:
    """A REQUEST_PROGRESS (or anything with stage/detail/position/fraction/elapsed) as a line."""
    text = p.detail or p.stage
    if getattr(p, "fraction", None) is not None:
        text += f": {p.fraction * 100:.0f} %"
    elapsed = getattr(p, "elapsed", None)
    if elapsed:
        text += f" ({elapsed:.0f} s)"
    return text


class StatusLine:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._spin = itertools.cycle(_SPIN)
        self._shown = ""
        self._last_plain = ""

    def show(self, text: str) -> None:
        if self.tty:
            line = f"\r{next(self._spin)} {text}"[:200]
            pad = max(0, len(self._shown) - len(line))
            self.stream.write(line + " " * pad)
            self._shown = line
        else:
            key = re.sub(r"\d+", "#", text)    # new line for a new stage, not for new numbers
            if key == self._last_plain:
                return
            self._last_plain = key
            self.stream.write(f"… {text}\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r" + " " * len(self._shown) + "\r")
            self.stream.flush()
        self._shown = ""

    def __enter__(self) -> "StatusLine":
        return self

    def __exit__(self, *exc) -> None:
        self.clear()
