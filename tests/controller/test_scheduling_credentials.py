"""A provider whose last verdict is the operator's failing credentials is verified at once after a
restart (issue 14, item 4): a restart is how those are usually fixed. So is one whose last verdict
is a lasting bug in awsip (``InternalError``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.controller import scheduling

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def stalled_on(reason: str) -> dict[str, Any]:
    return {
        "lastVerifiedTime": (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": reason,
                "lastTransitionTime": "2026-03-01T11:00:00Z",
            },
            {
                "type": "Reconciling",
                "status": "False",
                "reason": "VerificationComplete",
                "lastTransitionTime": "2026-03-01T11:00:00Z",
            },
        ],
    }


@pytest.mark.parametrize("reason", ["OperatorCredentialsUnavailable", "InternalError"])
def test_the_operators_own_lasting_failure_is_no_verdict_to_wait_an_interval_on(reason: str) -> None:
    # Failing credentials, or a bug in awsip: a restart (new credentials, a fixed release) verifies
    # such a provider at once.
    due = scheduling.next_due(status=stalled_on(reason), generation=None, interval=3600, key="k", now=NOW)
    assert due == NOW
    # A verdict about the role is current: the next verification waits for the interval.
    due = scheduling.next_due(
        status=stalled_on("AccessDenied"), generation=None, interval=3600, key="k", now=NOW
    )
    assert due > NOW
