"""The controller's one way to follow a single named object: list it, then watch it, for ever.

Kopf watches the providers; anything else the operator must keep current (today: the tenancy
rules' ConfigMap) is followed with :class:`ObjectWatch`, through the operator's own API client and
not a Kopf handler: Kopf watches only the namespaces the operator serves (``-n``), which need not
include the object's, and it would list every object of the kind there, which RBAC need not grant
(a list and a watch with the field selector ``metadata.name=NAME`` are authorized by
``resourceNames`` on that one object).

The loop: list (the object, or None, and the list's resourceVersion) and hand the object to
``on_change``; watch from that resourceVersion and hand on every change (None once deleted) until
the server ends the watch (``timeoutSeconds``), then list again. A watch that is too old (HTTP 410)
lists again at once; any other failure lists again after the backoff
(:func:`awsip.controller.backoff.retry_delay`), and when the operator may not read the object
(HTTP 401/403) ``on_unreadable`` is told first. The blocking watch stream runs in a daemon thread
(a stream blocked in a read never delays the exit) and hands its events to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Protocol

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from awsip.controller.backoff import retry_delay
from awsip.controller.workers import WorkerPool
from awsip.textcap import cap

logger = logging.getLogger("awsip.controller")

#: Server-side timeout of one watch request (it is then started over with a list).
WATCH_TIMEOUT_SECONDS: Final = 300
#: Backoff after a failed list or watch: from the base, doubling, up to the cap.
RETRY_BASE_SECONDS: Final = 1.0
RETRY_MAX_SECONDS: Final = 30.0


class WatchLike(Protocol):
    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


#: () -> (the object or None, the list's resourceVersion); blocking.
ListOne = Callable[[], tuple[dict[str, Any] | None, str | None]]
#: (resourceVersion, timeout_seconds) -> the watch's events; blocking.
WatchOne = Callable[[str | None, int], WatchLike]


class _Relist(Exception):
    """The watch cannot go on from its resourceVersion (HTTP 410 Gone): list again."""


class ObjectWatch:
    """Keeps one object current (see the module docs); ``what`` names it in the logs."""

    def __init__(
        self,
        what: str,
        *,
        name: str,
        namespace: str,
        list_one: ListOne,
        watch_one: WatchOne,
        on_change: Callable[[Mapping[str, Any] | None], object],
        on_unreadable: Callable[[str], object],
        pool: WorkerPool,
        log: logging.Logger = logger,
        watch_timeout: int = WATCH_TIMEOUT_SECONDS,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self.what = what
        self.name = name
        self.namespace = namespace
        self._list_one = list_one
        self._watch_one = watch_one
        self._on_change = on_change
        self._on_unreadable = on_unreadable
        self._pool = pool
        self._log = log
        self._watch_timeout = watch_timeout
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._task: asyncio.Task[None] | None = None
        self._stream: WatchLike | None = None
        self._closed = False

    def start(self) -> None:
        """Start following the object (in the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"awsip watch {self.what}")

    async def close(self) -> None:
        self._closed = True
        stream = self._stream
        if stream is not None:
            stream.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while not self._closed:
            try:
                obj, version = await self._pool.run(self._list_one)
                self._on_change(obj)
                failures = 0
                await self._follow(version)
            except asyncio.CancelledError:
                raise
            except _Relist:
                continue
            except Exception as exc:
                if self._stopping():  # (a method: mypy would take _closed for False here)
                    return
                failures += 1
                if isinstance(exc, ApiException) and exc.status in (401, 403):
                    self._on_unreadable(f"HTTP {exc.status}")
                delay = retry_delay(failures, base=self._retry_base, cap=self._retry_max)
                quiet = isinstance(exc, ReadTimeoutError | ProtocolError) and failures == 1
                self._log.log(
                    logging.DEBUG if quiet else logging.WARNING,
                    "Watching %s failed (%s: %s); retrying in %.0fs.",
                    self.what,
                    type(exc).__name__,
                    cap(str(exc), 300),
                    delay,
                )
                await asyncio.sleep(delay)

    async def _follow(self, version: str | None) -> None:
        """Hand on the watch's events until the server ends it (returns) or it fails (raises)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def put(kind: str, item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the operator is gone
                loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

        def pump() -> None:
            try:
                stream = self._watch_one(version, self._watch_timeout)
                self._stream = stream
                if self._closed:
                    stream.close()
                    return
                for event in stream:
                    put("event", event)
                put("end", None)
            except BaseException as exc:  # handed to the loop, which decides
                put("error", exc)

        threading.Thread(target=pump, name="awsip-object-watch", daemon=True).start()
        try:
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                self._on_event(item)
        finally:
            stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()

    def _stopping(self) -> bool:
        return self._closed

    def _on_event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object")
        obj = obj if isinstance(obj, Mapping) else {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise _Relist()
            raise RuntimeError(f"the watch failed: {cap(str(obj.get('message') or obj), 300)}")
        metadata = obj.get("metadata")
        if not isinstance(metadata, Mapping) or metadata.get("name") != self.name:
            return  # a BOOKMARK, or another object (an API that ignores the field selector)
        if metadata.get("namespace") not in (None, self.namespace):
            return
        if kind in ("ADDED", "MODIFIED"):
            self._on_change(obj)
        elif kind == "DELETED":
            self._on_change(None)
