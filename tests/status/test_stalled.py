"""The statuses of a provider awsip does not verify: an invalid spec, a tenancy refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.status import invalid_spec_status, not_permitted_status

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
FOREIGN = {
    "type": "Synced",
    "status": "True",
    "reason": "ByAnotherController",
    "message": "",
    "lastTransitionTime": "2025-01-01T00:00:00Z",
}


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


def test_invalid_spec_status() -> None:
    previous = ready("True", "Verified") | {
        "lastVerifiedTime": "2025-04-30T12:00:00Z",
        "accountID": "123456789012",
        "permissions": {"missingActions": 0},
    }
    status = invalid_spec_status(previous, generation=4, now=NOW, message="spec.roleARN: bad")

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
    first = invalid_spec_status(None, generation=None, now=NOW, message="m")
    again = invalid_spec_status(first, generation=None, now=NOW + timedelta(hours=1), message="m")
    assert again == first
    assert "observedGeneration" not in first


def test_not_permitted_status() -> None:
    previous = ready("True", "Verified") | {"lastVerifiedTime": "2025-04-30T12:00:00Z", "accountID": "1"}
    status = not_permitted_status(previous, generation=2, now=NOW, message="team-b may not use account 1. ")

    AWSInfrastructureProviderStatus.model_validate(status)
    by_type = {c["type"]: c for c in status["conditions"]}
    assert set(by_type) == {"Ready", "Reconciling", "Stalled"}
    assert {(c["status"], c["reason"]) for c in status["conditions"]} == {
        ("False", "NotPermitted"),
        ("True", "NotPermitted"),
    }
    assert (
        by_type["Ready"]["message"]
        == "team-b may not use account 1. awsip made no AWS call for this provider."
    )
    assert status["lastVerifiedTime"] == "2025-04-30T12:00:00Z" and "accountID" not in status


@pytest.mark.parametrize("build", [invalid_spec_status, not_permitted_status])
def test_conditions_of_other_controllers_are_kept(build: Any) -> None:
    previous = ready("True", "Verified")
    previous["conditions"].append(FOREIGN)
    status = build(previous, generation=None, now=NOW, message="m")
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Reconciling", "Stalled", "Synced"]
    assert status["conditions"][-1] == FOREIGN
