from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from awsip.sandbox.proxy import TcpProxy
from tests.support.http_upstream import http_upstream


@pytest.fixture()
def upstream() -> Iterator[int]:
    with http_upstream() as port:
        yield port


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body


def test_traffic_passes_until_switched_off_and_again_after(upstream: int) -> None:
    with TcpProxy("127.0.0.1", upstream) as proxy:
        assert proxy.endpoint.startswith("http://127.0.0.1:")
        assert fetch(proxy.endpoint) == b"hello"

        proxy.set_available(False)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            fetch(proxy.endpoint)

        proxy.set_available(True)
        assert fetch(proxy.endpoint) == b"hello"


def test_switching_off_cuts_open_connections(upstream: int) -> None:
    with (
        TcpProxy("127.0.0.1", upstream) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn,
    ):
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while not received.endswith(b"hello"):
            received += conn.recv(4096)
        proxy.set_available(False)
        try:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = conn.recv(4096)
        except ConnectionError:
            data = b""
        assert data == b""


def test_an_unreachable_upstream_resets_the_client() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    with TcpProxy("127.0.0.1", dead_port) as proxy, pytest.raises((urllib.error.URLError, ConnectionError)):
        fetch(proxy.endpoint)
