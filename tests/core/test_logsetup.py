"""telos.logsetup: where an entry point's log goes (a rotated file, warnings to stderr)."""

from __future__ import annotations

import logging
import logging.handlers
import sys

import pytest

from telos import logsetup


@pytest.fixture
def root_logger():
    """Configure for one test, then give the root logger back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)
    logging.captureWarnings(False)


def test_logs_to_a_rotated_file_under_the_home_and_warnings_to_stderr(root_logger, telos_home):
    path = logsetup.configure("svc", home=telos_home)
    assert path == telos_home / "log" / "svc.log"
    files = [h for h in root_logger.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    streams = [h for h in root_logger.handlers if type(h) is logging.StreamHandler]
    assert len(files) == 1 and len(streams) == 1 and len(root_logger.handlers) == 2
    assert streams[0].stream is sys.stderr and streams[0].level == logging.WARNING
    logging.getLogger("telos.test").info("an info line")
    files[0].flush()
    assert "telos.test" in path.read_text() and "an info line" in path.read_text()


def test_the_log_level_setting_is_honoured(root_logger, telos_home, monkeypatch):
    monkeypatch.setenv("TELOS_LOG_LEVEL", "ERROR")
    path = logsetup.configure("quiet", home=telos_home)
    logging.getLogger("telos.test").warning("not this")
    logging.getLogger("telos.test").error("but this")
    for h in root_logger.handlers:
        h.flush()
    text = path.read_text()
    assert "but this" in text and "not this" not in text


def test_to_stdout_sends_everything_at_the_level_to_stdout(root_logger, telos_home, monkeypatch):
    monkeypatch.setenv("TELOS_LOG_LEVEL", "INFO")
    logsetup.configure("under-supervisor", home=telos_home, to_stdout=True)
    streams = [h for h in root_logger.handlers if type(h) is logging.StreamHandler]
    assert streams[0].stream is sys.stdout and streams[0].level == logging.INFO


def test_configuring_twice_replaces_the_handlers(root_logger, telos_home):
    logsetup.configure("a", home=telos_home)
    logsetup.configure("b", home=telos_home)
    assert len(root_logger.handlers) == 2
