"""telos.sockets: is anything listening on a unix socket, and waiting until it is."""

from __future__ import annotations

import socket

import pytest

from telos.sockets import unix_socket_answers, wait_for_unix_socket


@pytest.fixture
def sock_path(tmp_path):
    return tmp_path / "s.sock"


def _bound(path, listen: bool) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    if listen:
        s.listen(1)
    return s


def test_a_missing_path_does_not_answer(sock_path):
    assert unix_socket_answers(sock_path) is False


def test_a_listening_socket_answers(sock_path):
    s = _bound(sock_path, listen=True)
    try:
        assert unix_socket_answers(sock_path) is True
        assert unix_socket_answers(str(sock_path)) is True
    finally:
        s.close()


def test_a_bound_socket_nobody_listens_on_does_not_answer(sock_path):
    s = _bound(sock_path, listen=False)
    try:
        assert unix_socket_answers(sock_path) is False
    finally:
        s.close()


def test_a_regular_file_does_not_answer(tmp_path):
    f = tmp_path / "not-a-socket"
    f.write_text("x")
    assert unix_socket_answers(f) is False


def test_wait_returns_once_the_socket_listens(sock_path):
    s = _bound(sock_path, listen=True)
    try:
        wait_for_unix_socket(sock_path, 5.0, what="test server")
    finally:
        s.close()


def test_wait_gives_up_when_the_server_died(sock_path):
    with pytest.raises(RuntimeError, match="ZEO exited before listening"):
        wait_for_unix_socket(sock_path, 5.0, alive=lambda: False, what="ZEO")


def test_wait_gives_up_after_the_timeout(sock_path):
    with pytest.raises(RuntimeError, match="did not listen on .* within 0 s"):
        wait_for_unix_socket(sock_path, 0, what="ZEO")
