"""telos.cli.statusline: one status line on stderr while a command waits for the service."""

from __future__ import annotations

import io

from telos.bridge import protocol as P
from telos.cli.statusline import StatusLine, progress_text


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_text_adds_the_fraction_and_the_elapsed_time():
    p = P.RequestProgress(request_id="r", stage="converting", detail="converting the model",
                          fraction=0.4, elapsed=12.2)
    assert progress_text(p) == "converting the model: 40 % (12 s)"
    q = P.RequestProgress(request_id="r", stage="queued")
    assert progress_text(q) == "queued"


def test_on_a_pipe_a_line_is_written_only_when_the_stage_changes():
    out = io.StringIO()
    line = StatusLine(out)
    line.show("queued: 2 ahead")
    line.show("queued: 1 ahead")          # only a number changed
    line.show("loading the model")
    line.show("loading the model")
    line.clear()
    assert out.getvalue() == "… queued: 2 ahead\n… loading the model\n"


def test_on_a_terminal_the_line_is_redrawn_in_place_and_cleared():
    out = Tty()
    with StatusLine(out) as line:
        line.show("generating a long sentence")
        line.show("done")
    text = out.getvalue()
    assert "\n" not in text
    assert text.startswith("\r| generating a long sentence")
    second = "\r/ done"
    assert second + " " * (len("\r| generating a long sentence") - len(second)) in text
    assert text.endswith("\r" + " " * len(second) + "\r")   # cleared on exit


def test_clear_writes_nothing_when_nothing_is_shown():
    out = Tty()
    StatusLine(out).clear()
    assert out.getvalue() == ""
