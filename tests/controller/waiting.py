"""Helpers shared by the runtime tests: wait for a condition, the runtime's clock, Ready of a patch.

Nothing here sleeps for a while and then asserts that nothing happened: a test waits for something
observable -- a provider's loop parked with nothing to do (``Provider.idle``), the clock moved
past a due time -- and then asserts what the runtime did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from awsip.controller.runtime import Runtime


async def until(check: Callable[[], bool], timeout: float = 5) -> None:
    """Return once ``check()`` holds; fail with TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def idle(runtime: Runtime, *keys: str) -> Callable[[], bool]:
    """Whether the loops of these providers (by key) all wait with nothing left to do."""

    def check() -> bool:
        return all(key in runtime.providers and runtime.providers[key].idle for key in keys)

    return check


class Clock:
    """The runtime's clock, which only the test moves (starts at the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def ready(patch: dict[str, Any]) -> tuple[str, str] | None:
    """(status, reason) of the Ready condition in a status patch, if it has one."""
    for condition in patch.get("conditions") or []:
        if condition["type"] == "Ready":
            return condition["status"], condition["reason"]
    return None
