"""A loopback TCP proxy that can be switched off: an AWS outage on demand.

The operator talks to moto through it. :meth:`TcpProxy.set_available` with False cuts every open
connection and resets new ones (what a dead endpoint or a network partition looks like to boto3);
True lets traffic through again. moto keeps its state meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from awsip.sandbox.background import BackgroundServer


class TcpProxy(BackgroundServer):
    def __init__(self, target_host: str, target_port: int) -> None:
        super().__init__("the TCP proxy")
        self._target = (target_host, target_port)
        self._available = True
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def available(self) -> bool:
        return self._available

    def set_available(self, available: bool) -> None:
        self._available = available
        if not available:
            self.call_soon(self._cut_all)

    def _cut_all(self) -> None:
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        ready()
        async with server:
            await stopping.wait()
            self._cut_all()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if not self._available:
            _abort(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            _abort(client_writer)
            return
        pair = {client_writer, upstream_writer}
        self._writers |= pair
        try:
            await asyncio.gather(
                _pipe(client_reader, upstream_writer),
                _pipe(upstream_reader, client_writer),
                return_exceptions=True,
            )
        finally:
            self._writers -= pair
            for writer in pair:
                writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    if transport is not None and not transport.is_closing():
        transport.abort()
