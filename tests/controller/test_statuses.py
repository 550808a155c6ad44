from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from awsip.api.types import AWSInfrastructureProviderSpec, AWSInfrastructureProviderStatus
from awsip.controller import statuses

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


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


def test_merge_patch_sends_only_what_changed() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "gone": True, "list": [1, 2], "same": {"x": 1}}
    new = {"a": 1, "b": {"c": 2, "d": 4, "e": 5}, "list": [1], "same": {"x": 1}, "added": "y"}
    assert statuses.merge_patch(old, new) == {"b": {"d": 4, "e": 5}, "gone": None, "list": [1], "added": "y"}


def test_merge_patch_of_equal_statuses_is_empty() -> None:
    status = ready("True", "Verified") | {"lastVerifiedTime": "2025-05-01T12:00:00Z"}
    assert statuses.merge_patch(status, dict(status)) == {}
    assert statuses.merge_patch(None, {"a": 1}) == {"a": 1}


def test_merge_patch_replaces_dicts_and_scalars_across_types() -> None:
    assert statuses.merge_patch({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
    assert statuses.merge_patch({"a": 2}, {"a": {"b": 1}}) == {"a": {"b": 1}}


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


def test_invalid_spec_status() -> None:
    previous = ready("True", "Verified") | {
        "lastVerifiedTime": "2025-04-30T12:00:00Z",
        "accountID": "123456789012",
        "permissions": {"missingActions": 0},
    }
    status = statuses.invalid_spec_status(previous, generation=4, now=NOW, message="spec.roleARN: bad")

    AWSInfrastructureProviderStatus.model_validate(status)
    by_type = {c["type"]: c for c in status["conditions"]}
    assert (by_type["Ready"]["status"], by_type["Ready"]["reason"]) == ("False", "InvalidSpec")
    assert (by_type["Stalled"]["status"], by_type["Stalled"]["reason"]) == ("True", "InvalidSpec")
    assert by_type["Reconciling"]["status"] == "False"
    assert "spec.roleARN: bad" in by_type["Ready"]["message"]
    assert by_type["Ready"]["lastTransitionTime"] == "2025-05-01T12:00:00Z"
    assert all(c["observedGeneration"] == 4 for c in status["conditions"])
    assert status["observedGeneration"] == 4
    assert status["lastVerifiedTime"] == "2025-04-30T12:00:00Z"  # nothing was verified
    assert "accountID" not in status and "permissions" not in status


def test_invalid_spec_status_is_stable() -> None:
    first = statuses.invalid_spec_status(None, generation=None, now=NOW, message="m")
    again = statuses.invalid_spec_status(first, generation=None, now=NOW + timedelta(hours=1), message="m")
    assert again == first
    assert "observedGeneration" not in first


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
