"""awsip.sandbox.background: the lifecycle the sandbox's servers and the tests' fault proxy share."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from awsip.sandbox.background import BackgroundServer


class Counter(BackgroundServer):
    def __init__(self) -> None:
        super().__init__("the counter")
        self.served_in: threading.Thread | None = None
        self.cleaned_up = False

    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        self.served_in = threading.current_thread()
        ready()
        await stopping.wait()
        self.cleaned_up = True


class Broken(BackgroundServer):
    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        raise OSError("address in use")


def test_serves_in_its_own_thread_until_stopped_and_runs_callbacks_in_its_loop() -> None:
    ran_in: list[threading.Thread] = []
    with Counter() as server:
        assert server.served_in is not None and server.served_in is not threading.current_thread()
        done = threading.Event()
        server.call_soon(lambda: (ran_in.append(threading.current_thread()), done.set()))
        assert done.wait(5)
    assert ran_in == [server.served_in] and server.cleaned_up
    server.stop()  # again: nothing to do
    server.call_soon(lambda: None)  # stopped: nothing to run, no error
    with pytest.raises(RuntimeError, match="the counter is not running"):
        _ = server.loop


def test_a_failure_before_it_is_ready_fails_start_at_once() -> None:
    with pytest.raises(RuntimeError, match="the broken server failed to start: address in use"):
        Broken("the broken server").start(timeout=30)
