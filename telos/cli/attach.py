"""How a command reaches the live image: TELOS_ZEO, else a running ZEO for this home, else the file."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from telos import config
from telos.image import Image, open_image

log = logging.getLogger(__name__)


def zeo_socket(home: Path | None = None) -> Path:
    """Where the ZEO server supervisord runs for this home listens."""
    return (home or config.telos_home()) / "run" / "zeo.sock"


def running_zeo(home: Path | None = None) -> str | None:
    """The address of a live ZEO server for this home, if one answers."""
    explicit = config.get("zeo")
    if explicit:
        return explicit
    path = zeo_socket(home)
    if not path.exists():
        return None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(str(path))
    except OSError:
        return None
    finally:
        s.close()
    return str(path)


def open_for_cli(**kwargs) -> Image:
    zeo = running_zeo()
    if zeo:
        log.info("attaching through ZEO at %s", zeo)
        return open_image(zeo=zeo, **kwargs)
    return open_image(**kwargs)
