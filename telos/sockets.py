"""Small socket helpers shared by the CLI, the service control and the tests."""

from __future__ import annotations

import socket
import time
from pathlib import Path


def unix_socket_answers(path: str | Path, timeout: float = 1.0) -> bool:
    """True when something accepts connections on the unix socket ``path``."""
    path = Path(path)
    if not path.exists():
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_for_unix_socket(path: str | Path, timeout: float, *, alive=lambda: True,
                         what: str = "server") -> None:
    """Wait until ``path`` accepts connections; RuntimeError when ``alive()`` turns false or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited before listening on {path}")
        if unix_socket_answers(path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {path} within {timeout} s")
