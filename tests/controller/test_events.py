"""Events: which change of a status deserves one, and posting them (best effort)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from awsip.controller.events import MAX_EVENT_MESSAGE, Event, EventPoster, involved_object, ready_event
from awsip.controller.workers import WorkerPool

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
CONFIGMAP = {"metadata": {"name": "rules", "namespace": "awsip-system", "uid": "u-1", "resourceVersion": "7"}}


class Kube:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.events: list[tuple[str, dict[str, Any]]] = []

    def create_event(self, namespace: str, event: dict[str, Any]) -> None:
        if self.error is not None:
            raise self.error
        self.events.append((namespace, event))


def ready(status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": status,
                "reason": reason,
                "message": message,
                "lastTransitionTime": "2025-01-01T00:00:00Z",
            }
        ]
    }


def test_no_event_when_ready_keeps_status_and_reason() -> None:
    assert (
        ready_event(ready("False", "MissingPermissions", "a"), ready("False", "MissingPermissions", "b"))
        is None
    )
    assert ready_event(ready("True", "Verified"), {"conditions": []}) is None


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, ready("True", "Verified", "ok"), ("Normal", "Verified", "Ready=True (Verified): ok")),
        (
            ready("True", "Verified"),
            ready("False", "AccessDenied", "no"),
            ("Warning", "AccessDenied", "Ready=False (AccessDenied): no"),
        ),
        (
            ready("True", "Verified"),
            ready("Unknown", "AWSUnavailable"),
            ("Warning", "AWSUnavailable", "Ready=Unknown (AWSUnavailable)"),
        ),
        (
            ready("False", "MissingPermissions"),
            ready("False", "WildcardPrincipal", "w"),
            ("Warning", "WildcardPrincipal", "Ready=False (WildcardPrincipal): w"),
        ),
    ],
)
def test_event_on_a_change_of_ready(before: Any, after: Any, expected: tuple[str, str, str]) -> None:
    event = ready_event(before, after)
    assert event is not None and (event.type, event.reason, event.message) == expected


def test_event_messages_are_capped_when_posted() -> None:
    event = ready_event(None, ready("False", "MissingPermissions", "x" * 5000))
    assert event is not None
    poster = EventPoster(Kube(), WorkerPool(1, "test"), logger=logging.getLogger("test"), clock=lambda: NOW)
    body = poster.body(involved_object("v1", "ConfigMap", CONFIGMAP), event)
    assert len(body["message"]) == MAX_EVENT_MESSAGE and body["message"].endswith("...")


async def test_an_event_names_its_object_and_the_operator() -> None:
    kube = Kube()
    poster = EventPoster(kube, WorkerPool(1, "test"), logger=logging.getLogger("test"), clock=lambda: NOW)
    await poster.post(involved_object("v1", "ConfigMap", CONFIGMAP), Event("Warning", "Broken", "it is"))

    ((namespace, body),) = kube.events
    assert namespace == "awsip-system"
    assert body["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "rules",
        "namespace": "awsip-system",
        "uid": "u-1",
        "resourceVersion": "7",
    }
    assert (body["type"], body["reason"], body["message"]) == ("Warning", "Broken", "it is")
    assert body["metadata"]["name"].startswith("rules.") and body["metadata"]["namespace"] == "awsip-system"
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2025-05-01T12:00:00Z"
    assert body["reportingComponent"] == "awsip.io/operator" and body["source"] == {"component": "awsip"}


async def test_posting_is_best_effort(caplog: pytest.LogCaptureFixture) -> None:
    poster = EventPoster(
        Kube(RuntimeError("API down")), WorkerPool(1, "test"), logger=logging.getLogger("test")
    )
    with caplog.at_level(logging.WARNING, logger="test"):
        await poster.post(involved_object("v1", "ConfigMap", CONFIGMAP), Event("Normal", "Applied", "ok"))
        poster.post_soon(involved_object("v1", "ConfigMap", CONFIGMAP), Event("Normal", "Again", "ok"))
        await poster.drain()
    assert [r.getMessage() for r in caplog.records] == [
        "Could not post the event Applied on ConfigMap awsip-system/rules: API down",
        "Could not post the event Again on ConfigMap awsip-system/rules: API down",
    ]
