"""How a command reaches the live image: TELOS_STORAGE when it names zeo: or PostgreSQL, else
TELOS_ZEO, else a running ZEO for this home, else the file."""

from __future__ import annotations

import logging
from pathlib import Path

from telos import config
from telos.image import Image, open_image
from telos.sockets import unix_socket_answers

log = logging.getLogger(__name__)


def running_zeo(home: Path | None = None) -> str | None:
    """The address of a live ZEO server for this home, if one answers."""
    from telos import storage
    if config.get("storage") and not storage.configured(home).is_file:
        return None          # TELOS_STORAGE names another storage (zeo:, PostgreSQL): that one
    explicit = config.get("zeo")
    if explicit:
        return explicit
    path = config.zeo_socket(home)
    return str(path) if unix_socket_answers(path) else None


def service_client(args=None):
    """A connected bridge client when the service for this home runs (and ``--local`` was not
    given), else None: commands then open the image themselves."""
    if args is not None and getattr(args, "local", False):
        return None
    from telos.bridge.client import running_service
    return running_service()


def add_local_flag(parser) -> None:
    parser.add_argument("--local", action="store_true",
                        help="open the image directly even when the service runs")


def open_for_cli(**kwargs) -> Image:
    zeo = running_zeo()
    if zeo:
        log.info("attaching through ZEO at %s", zeo)
        return open_image(zeo=zeo, **kwargs)
    return open_image(**kwargs)
