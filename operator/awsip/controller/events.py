"""The controller's Kubernetes Events: which one a status change deserves, and posting it.

awsip posts Events itself, through its own API client (Kopf's posting of log lines is off, see
:mod:`awsip.controller.settings`):

- on a provider, one per change of ``Ready`` (:func:`ready_event`), compared with the status
  stored in the object, so an operator restart never repeats one;
- on the tenancy rules' ConfigMap, when the rules are applied or found invalid
  (:mod:`awsip.controller.tenancy_gate`).

Posting is best effort: an Event that cannot be posted is logged and forgotten, never retried and
never a reason to fail what caused it. Messages are capped below the 1 KiB some Kubernetes versions
accept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.controller.workers import WorkerPool
from awsip.status import format_time
from awsip.textcap import cap

#: Kubernetes rejects Event messages above 1 KiB in some versions; keep well below.
MAX_EVENT_MESSAGE: Final = 1000
EVENT_COMPONENT: Final = "awsip"
REPORTING_CONTROLLER: Final = "awsip.io/operator"

EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class Event:
    type: EventType
    reason: str
    message: str


def ready_event(previous: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Event | None:
    """The Event for a change of the ``Ready`` condition (status or reason), or None."""
    after = find_condition(new, ConditionType.READY)
    if after is None:
        return None
    before = find_condition(previous, ConditionType.READY)
    if before is not None and (before.get("status"), before.get("reason")) == (
        after.get("status"),
        after.get("reason"),
    ):
        return None
    status = str(after.get("status", "Unknown"))
    reason = str(after.get("reason") or "Unknown")
    message = str(after.get("message") or "")
    text = f"Ready={status} ({reason})" + (f": {message}" if message else "")
    return Event(type="Normal" if status == "True" else "Warning", reason=reason, message=text)


def involved_object(api_version: str, kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The ``involvedObject`` of an Event about ``obj`` (a body as the API serves it)."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "uid": metadata.get("uid"),
        "resourceVersion": metadata.get("resourceVersion"),
    }


class EventsApi(Protocol):
    def create_event(self, namespace: str, event: dict[str, Any]) -> None: ...


class EventPoster:
    """Posts Events through ``kube`` in ``pool`` (best effort, see the module docs)."""

    def __init__(
        self,
        kube: EventsApi,
        pool: WorkerPool,
        *,
        logger: logging.Logger,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._kube = kube
        self._pool = pool
        self._logger = logger
        self._clock = clock
        self._instance = os.environ.get("POD_NAME") or os.uname().nodename
        self._background: set[asyncio.Task[None]] = set()

    def body(self, involved: Mapping[str, Any], event: Event) -> dict[str, Any]:
        """The ``v1`` Event object (a new name each time: Events are never updated here)."""
        stamp = format_time(self._clock())
        name = str(involved.get("name") or "awsip")
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{name[:200]}.{secrets.token_hex(8)}",
                "namespace": involved.get("namespace"),
            },
            "involvedObject": dict(involved),
            "reason": event.reason,
            "message": cap(event.message, MAX_EVENT_MESSAGE),
            "type": event.type,
            "source": {"component": EVENT_COMPONENT},
            "reportingComponent": REPORTING_CONTROLLER,
            "reportingInstance": self._instance,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }

    async def post(
        self,
        involved: Mapping[str, Any],
        event: Event,
        *,
        log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        """Post ``event`` about ``involved``; a failure is logged (to ``log``, if given), not raised."""
        body = self.body(involved, event)
        try:
            await self._pool.run(self._kube.create_event, str(involved.get("namespace")), body)
        except Exception as exc:
            where = f"{involved.get('kind')} {involved.get('namespace')}/{involved.get('name')}"
            (log or self._logger).warning("Could not post the event %s on %s: %s", event.reason, where, exc)

    def post_soon(
        self,
        involved: Mapping[str, Any],
        event: Event,
        *,
        log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        """:meth:`post` in the background, for a caller that cannot wait (none without an event loop)."""
        try:
            task = asyncio.get_running_loop().create_task(self.post(involved, event, log=log))
        except RuntimeError:  # no event loop (a synchronous caller): nothing to post with
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Until the Events posted in the background so far are posted (or failed)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
