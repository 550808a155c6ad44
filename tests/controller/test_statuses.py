from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from awsip.api.types import AWSInfrastructureProviderSpec
from awsip.controller import statuses


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
        statuses.ready_event(
            ready("False", "MissingPermissions", "a"), ready("False", "MissingPermissions", "b")
        )
        is None
    )
    assert statuses.ready_event(ready("True", "Verified"), {"conditions": []}) is None


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
    event = statuses.ready_event(before, after)
    assert event is not None and (event.type, event.reason, event.message) == expected


def test_event_messages_are_capped() -> None:
    event = statuses.ready_event(None, ready("False", "MissingPermissions", "x" * 5000))
    assert event is not None and len(event.message) == statuses.MAX_EVENT_MESSAGE


def test_validation_errors_never_echo_values() -> None:
    secret = "my-very-secret-external-id with spaces"
    with pytest.raises(ValidationError) as caught:
        AWSInfrastructureProviderSpec.model_validate(
            {"roleARN": "arn:aws:iam::1:role/x", "externalID": secret, "durationSeconds": 5, "surprise": 1}
        )
    text = statuses.describe_validation_error(caught.value)
    assert "spec.roleARN" in text and "spec.externalID" in text and "spec.durationSeconds" in text
    assert secret not in text and "arn:aws:iam::1:role/x" not in text


def test_validation_error_summary_is_short() -> None:
    with pytest.raises(ValidationError) as caught:
        AWSInfrastructureProviderSpec.model_validate({f"unknown{i}": i for i in range(9)} | {"roleARN": "x"})
    text = statuses.describe_validation_error(caught.value, limit=3)
    assert text.count("spec.") == 3 and text.endswith("and 7 more")


def test_fingerprint() -> None:
    assert statuses.fingerprint({"a": 1, "b": [1, 2]}) == statuses.fingerprint({"b": [1, 2], "a": 1})
    assert statuses.fingerprint({"a": 1}) != statuses.fingerprint({"a": 2})
    assert statuses.fingerprint(None) == statuses.fingerprint(None)
