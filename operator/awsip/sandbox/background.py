"""A loopback server whose asyncio loop runs in a daemon thread of its own.

The sandbox's emulators and proxies serve the operator from the same process as the code that
drives them (``awsip sandbox``, the tests): each runs its own event loop in a background thread,
starts listening before :meth:`BackgroundServer.start` returns, and stops when asked from any
thread. :class:`BackgroundServer` is that lifecycle once; a subclass only says how it serves
(:meth:`BackgroundServer.serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Self


class BackgroundServer(ABC):
    """Start (``start()`` or ``with``), serve in a background thread, stop (``stop()``)."""

    def __init__(self, name: str) -> None:
        """``name``: the thread's, and how errors name the server ("the TCP proxy")."""
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @abstractmethod
    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        """Listen, call ``ready()`` once requests can come, serve until ``stopping`` is set, clean up.

        Runs in the server's own loop; an exception before ``ready()`` fails :meth:`start`.
        """

    def start(self, timeout: float = 30) -> Self:
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"{self._name} did not start in {timeout:g} s")
        if self._failure is not None:
            raise RuntimeError(f"{self._name} failed to start: {self._failure}") from self._failure
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop serving and wait for the thread (at most ``timeout`` seconds); idempotent."""
        if self._thread is not None:
            self.call_soon(self._set_stopping)
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` in the server's loop, from any thread (nothing if it is not running)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to run
                self._loop.call_soon_threadsafe(callback)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running server's loop (its state is only safe to touch there)."""
        if self._loop is None or self._thread is None:
            raise RuntimeError(f"{self._name} is not running")
        return self._loop

    def _set_stopping(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # surfaced to start() if it happens before ready
            self._failure = exc
            self._ready.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self.serve(self._ready.set, self._stopping)
