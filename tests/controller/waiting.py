"""Helpers shared by the runtime tests: wait for a condition, read Ready out of a status patch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(check: Callable[[], bool], timeout: float = 5) -> None:
    """Return once ``check()`` holds; fail with TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def ready(patch: dict[str, Any]) -> tuple[str, str] | None:
    """(status, reason) of the Ready condition in a status patch, if it has one."""
    for condition in patch.get("conditions") or []:
        if condition["type"] == "Ready":
            return condition["status"], condition["reason"]
    return None
