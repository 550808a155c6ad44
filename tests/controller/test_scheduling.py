from __future__ import annotations

import collections
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.controller import scheduling

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
HOUR = 3600.0


def verified_status(
    *, at: datetime = NOW, generation: int | None = None, ready: str = "True"
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "lastVerifiedTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": [
            {
                "type": "Ready",
                "status": ready,
                "reason": "Verified",
                "lastTransitionTime": "2025-01-01T00:00:00Z",
            },
            {
                "type": "Reconciling",
                "status": "False",
                "reason": "VerificationComplete",
                "lastTransitionTime": "2025-01-01T00:00:00Z",
            },
        ],
    }
    if generation is not None:
        status["observedGeneration"] = generation
    return status


def test_fraction_is_stable_and_in_range() -> None:
    values = [scheduling.fraction(f"uid-{i}") for i in range(200)]
    assert all(0 <= v < 1 for v in values)
    assert values == [scheduling.fraction(f"uid-{i}") for i in range(200)]
    assert len(set(values)) == 200


@pytest.mark.parametrize("interval", [60, HOUR, 24 * HOUR])
def test_phases_cover_the_whole_interval(interval: float) -> None:
    phases = [scheduling.phase(str(uuid.UUID(int=i)), interval) for i in range(500)]
    assert all(0 <= p < interval for p in phases)
    assert min(phases) < interval * 0.02 and max(phases) > interval * 0.98


def test_a_thousand_providers_verified_together_come_due_spread_over_the_interval() -> None:
    keys = [str(uuid.UUID(int=i)) for i in range(1000)]
    dues = [
        scheduling.next_due(status=verified_status(), generation=None, interval=HOUR, key=key, now=NOW)
        for key in keys
    ]
    # Each on its own phase, between half an interval and one and a half after the verification.
    assert all(NOW + timedelta(minutes=30) <= due <= NOW + timedelta(minutes=90) for due in dues)
    per_minute = collections.Counter(int(due.timestamp()) // 60 for due in dues)
    assert len(per_minute) == 60  # every minute of an hour
    assert max(per_minute.values()) <= 35  # 1000 / 60 = 16.7 on average
    per_ten_seconds = collections.Counter(int(due.timestamp()) // 10 for due in dues)
    assert max(per_ten_seconds.values()) <= 12  # 2.8 on average


def test_after_one_round_a_provider_comes_due_every_interval_on_its_phase() -> None:
    key = "3f0e2b9c-uid"
    due = scheduling.next_due(status=verified_status(), generation=None, interval=HOUR, key=key, now=NOW)
    for _ in range(5):
        # Verified a little after it came due (a queue, the verification's own time).
        finished = due + timedelta(seconds=42.7)
        after = scheduling.next_due(
            status=verified_status(at=finished), generation=None, interval=HOUR, key=key, now=finished
        )
        assert after - due == timedelta(hours=1)
        assert after.timestamp() % HOUR == pytest.approx(scheduling.phase(key, HOUR))
        due = after


def test_requested_verification_is_due_now_even_while_retrying() -> None:
    due = scheduling.next_due(
        status=verified_status(), generation=None, interval=HOUR, key="k", now=NOW, requested=True,
        retry_at=NOW + timedelta(minutes=1),
    )  # fmt: skip
    assert due == NOW


def test_a_retry_waits_for_its_backoff() -> None:
    retry_at = NOW + timedelta(seconds=20)
    status = verified_status(ready="Unknown")
    assert (
        scheduling.next_due(
            status=status, generation=None, interval=HOUR, key="k", now=NOW, retry_at=retry_at
        )
        == retry_at
    )


@pytest.mark.parametrize(
    ("status", "generation"),
    [
        (None, None),
        ({}, 1),
        (verified_status(generation=1), 2),  # the spec changed while the operator was away
        (verified_status(ready="Unknown"), None),  # the last attempt could not decide
        ({k: v for k, v in verified_status().items() if k != "lastVerifiedTime"}, None),
    ],
)
def test_due_now_without_a_verdict_for_this_generation(status: Any, generation: int | None) -> None:
    assert scheduling.next_due(status=status, generation=generation, interval=HOUR, key="k", now=NOW) == NOW


def test_due_now_while_a_verification_was_under_way() -> None:
    status = verified_status()
    status["conditions"][1]["status"] = "True"
    assert scheduling.next_due(status=status, generation=None, interval=HOUR, key="k", now=NOW) == NOW


@pytest.mark.parametrize("generation", [None, 3])
def test_due_on_the_slot_nearest_an_interval_after_the_last_verification(generation: int | None) -> None:
    last = NOW - timedelta(minutes=10)
    due = scheduling.next_due(
        status=verified_status(at=last, generation=generation),
        generation=generation,
        interval=HOUR,
        key="k",
        now=NOW,
    )
    assert due == scheduling.slot(last + timedelta(hours=1), HOUR, "k")
    assert abs(due - (last + timedelta(hours=1))) <= timedelta(minutes=30)
    assert due.timestamp() % HOUR == pytest.approx(scheduling.phase("k", HOUR))


def test_a_false_verdict_is_current_too() -> None:
    last = NOW - timedelta(minutes=1)
    due = scheduling.next_due(
        status=verified_status(at=last, ready="False"), generation=None, interval=HOUR, key="k", now=NOW
    )
    assert due > NOW
