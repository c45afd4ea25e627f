"""telos.cli.attach: how a command reaches the image (TELOS_ZEO, a running ZEO, the service)."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from telos import config
from telos.cli import attach


def test_telos_zeo_wins(monkeypatch):
    monkeypatch.setenv("TELOS_ZEO", "zeo.example:8100")
    assert attach.running_zeo() == "zeo.example:8100"


def test_no_zeo_when_nothing_listens(telos_home):
    assert attach.running_zeo() is None


def test_the_homes_zeo_socket_when_it_answers(telos_home):
    path = config.zeo_socket(telos_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(1)
    try:
        assert attach.running_zeo() == str(path)
    finally:
        s.close()


def test_local_flag_means_no_service_client(monkeypatch):
    monkeypatch.setattr("telos.bridge.client.running_service",
                        lambda: (_ for _ in ()).throw(AssertionError("asked the service")))
    assert attach.service_client(SimpleNamespace(local=True)) is None


def test_no_service_client_without_a_service(telos_home):
    assert attach.service_client(SimpleNamespace(local=False)) is None


def test_the_local_flag_is_added_to_a_parser():
    import argparse

    parser = argparse.ArgumentParser()
    attach.add_local_flag(parser)
    assert parser.parse_args(["--local"]).local is True
    assert parser.parse_args([]).local is False
