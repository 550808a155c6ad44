"""Each namespace's share of the AWS workers: a cap per namespace, and turns among the waiting ones.

The AWS worker pool (``--workers``) is shared by every provider of every namespace. Without a
rule, one namespace with as many slow or costly providers as there are workers holds them all,
and every other namespace waits -- a tenant starving the rest. So, in front of the pool:

- a namespace runs at most ``per_namespace`` verifications at once (``--namespace-workers``; by
  default an eighth of the workers), so that the other workers stay free for other namespaces;
- when a worker frees up, the namespaces waiting for one take turns (round robin), whatever
  their number of waiting providers.

Verifications are mostly waiting for AWS, and the AWS rate limits bound what many workers can do
anyway, so the cap costs a large namespace little; a verification's CPU-bound work is bounded
on its own (:mod:`awsip.verification.work_budget`). The unit of fairness is the namespace (the
tenancy rules' unit too): a tenant with many namespaces has many shares.

Runs in the event loop's thread only (asyncio primitives, no locks).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator


class FairShare:
    def __init__(self, total: int, per_namespace: int) -> None:
        if total < 1 or per_namespace < 1:
            raise ValueError("the worker counts must be at least 1")
        self.total = total
        self.per_namespace = min(per_namespace, total)
        self.running: collections.Counter[str] = collections.Counter()
        self._waiting: dict[str, collections.deque[asyncio.Future[None]]] = {}
        self._turns: collections.deque[str] = collections.deque()  # namespaces with waiters, in turn

    @property
    def busy(self) -> int:
        return sum(self.running.values())

    def waiting(self, namespace: str | None = None) -> int:
        if namespace is not None:
            return len(self._waiting.get(namespace, ()))
        return sum(len(queue) for queue in self._waiting.values())

    @contextlib.asynccontextmanager
    async def slot(self, namespace: str) -> AsyncIterator[None]:
        """Hold one of ``namespace``'s slots for the block (waiting for its turn first)."""
        await self._acquire(namespace)
        try:
            yield
        finally:
            self._release(namespace)

    async def _acquire(self, namespace: str) -> None:
        if (
            not self._waiting.get(namespace)
            and self._free_for(namespace)
            and not self._others_first(namespace)
        ):
            self.running[namespace] += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting.setdefault(namespace, collections.deque())
        queue.append(future)
        if namespace not in self._turns:
            self._turns.append(namespace)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(namespace)  # granted just as it was cancelled: give it back
            else:
                if future in queue:
                    queue.remove(future)
                self._tidy(namespace)
            raise

    def _free_for(self, namespace: str) -> bool:
        return self.busy < self.total and self.running[namespace] < self.per_namespace

    def _others_first(self, namespace: str) -> bool:
        """Whether another namespace that could run now is waiting (it goes first)."""
        return any(other != namespace and self.running[other] < self.per_namespace for other in self._turns)

    def _release(self, namespace: str) -> None:
        self.running[namespace] -= 1
        if self.running[namespace] <= 0:
            del self.running[namespace]
        self._grant()

    def _grant(self) -> None:
        """Give free slots to waiting namespaces, one at a time, in turn."""
        while self.busy < self.total:
            for _ in range(len(self._turns)):
                namespace = self._turns[0]
                self._turns.rotate(-1)
                if self.running[namespace] < self.per_namespace:
                    break
            else:
                return  # every waiting namespace is at its cap
            queue = self._waiting[namespace]
            future = queue.popleft()
            self._tidy(namespace)
            if future.cancelled():
                continue
            self.running[namespace] += 1
            future.set_result(None)

    def _tidy(self, namespace: str) -> None:
        if not self._waiting.get(namespace):
            self._waiting.pop(namespace, None)
            if namespace in self._turns:
                self._turns.remove(namespace)
