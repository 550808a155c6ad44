"""The controller's one way to make a blocking call from the event loop: a bounded pool of threads.

boto3 and the official Kubernetes client block. Each kind of call gets a :class:`WorkerPool` of its
own -- the AWS verifications (``--workers``) and the Kubernetes calls (status patches, Events,
Secrets, the tenancy rules) -- so that a slow AWS never delays a status patch, and the number of
verifications under way at once is the AWS pool's size. A call runs in a copy of the caller's
context (what ``asyncio.to_thread`` does, which ``run_in_executor`` does not), so that the log lines
of a verification carry its provider (:func:`awsip.observability.logs.provider_context`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerPool:
    """``workers`` threads named ``name-N``; :meth:`run` awaits one call in one of them."""

    def __init__(self, workers: int, name: str) -> None:
        self.size = workers
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a thread of the pool, in a copy of the caller's context."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def shutdown(self) -> None:
        """Stop taking calls; calls not started yet are cancelled, those under way finish alone."""
        self._executor.shutdown(wait=False, cancel_futures=True)
