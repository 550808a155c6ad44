"""Date arithmetic off the calendar is no endless failure (issue 14, item 6): a status whose
lastVerifiedTime is near year 9999 (edited by hand), or an interval the API's bound did not stop,
makes the provider due now, and the new lastVerifiedTime is sane again."""

from __future__ import annotations

from datetime import UTC, datetime

from awsip.controller import scheduling

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def verdict_at(stamp: str) -> dict[str, object]:
    return {
        "lastVerifiedTime": stamp,
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "Verified", "lastTransitionTime": "2026-03-01T11:00:00Z"},
            {"type": "Reconciling", "status": "False", "reason": "VerificationComplete",
             "lastTransitionTime": "2026-03-01T11:00:00Z"},
        ],
    }  # fmt: skip


def test_a_last_verification_at_the_end_of_the_calendar_is_due_now() -> None:
    due = scheduling.next_due(
        status=verdict_at("9999-12-31T23:00:00Z"), generation=None, interval=3600, key="k", now=NOW
    )
    assert due == NOW


def test_an_interval_past_the_calendar_is_due_now() -> None:
    due = scheduling.next_due(
        status=verdict_at("2026-03-01T11:00:00Z"),
        generation=None,
        interval=100_000_000 * 3600.0,
        key="k",
        now=NOW,
    )
    assert due == NOW
