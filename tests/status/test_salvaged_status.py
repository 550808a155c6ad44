"""A stored status that does not validate is rebuilt, not failed on (issue 14, item 7).

Written by hand, by an older awsip, or anywhere the CRD's schema is not enforced: the builders
keep what is valid of it and rebuild the rest, so the provider's next status repairs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.status import build_status, invalid_spec_status, not_permitted_status, reconciling_status
from awsip.status.salvage import salvage
from awsip.verification import Check, ProviderRef, VerificationResult

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
GOOD_FOREIGN = {
    "type": "Synced",
    "status": "True",
    "reason": "Synced",
    "message": "another controller's",
    "lastTransitionTime": "2026-01-01T00:00:00Z",
}
BROKEN: dict[str, Any] = {
    "conditions": [
        {"type": "Ready", "status": "Maybe", "reason": "not a reason!", "lastTransitionTime": "yesterday"},
        {"type": "PermissionsVerified"},  # no status, reason or time
        "not even an object",
        GOOD_FOREIGN,
    ],
    "accountID": "not-an-account",
    "permissions": {"method": "Guess", "missingActions": "lots"},
    "trustPolicy": {"findings": "none"},
    "lastVerifiedTime": "sometime",
    "observedGeneration": -3,
}
TRANSIENT = VerificationResult(
    ref=ProviderRef("team-a", "prod"),
    role_arn="arn:aws:iam::111122223333:role/capa",
    role_assumed=Check("Unknown", "AWSUnavailable", "AWS could not be reached.", transient=True),
)
VERIFIED = VerificationResult(
    ref=ProviderRef("team-a", "prod"),
    role_arn="arn:aws:iam::111122223333:role/capa",
    role_assumed=Check("True", "AssumeRoleSucceeded", "Assumed."),
    permissions=Check("True", "AllPermissionsGranted", "All granted."),
    trust=Check("True", "Secure", "Secure."),
    account_id="111122223333",
)


def test_only_the_valid_parts_of_a_stored_status_are_kept() -> None:
    assert salvage(BROKEN) == {"conditions": [GOOD_FOREIGN]}
    assert salvage(None) == {} and salvage("garbage") == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda previous: build_status(TRANSIENT, previous, generation=2, now=NOW),
        lambda previous: build_status(VERIFIED, previous, generation=2, now=NOW),
        lambda previous: reconciling_status(previous, 2, NOW, "Verifying generation 2."),
        lambda previous: invalid_spec_status(previous, generation=2, now=NOW, message="spec.roleARN: bad"),
        lambda previous: not_permitted_status(previous, generation=2, now=NOW, message="Not permitted."),
    ],
    ids=["transient", "verified", "reconciling", "invalid-spec", "not-permitted"],
)
def test_every_builder_rebuilds_an_invalid_stored_status(build: Any) -> None:
    status = build(BROKEN)
    AWSInfrastructureProviderStatus.model_validate(status)
    types = [c["type"] for c in status["conditions"]]
    assert "Synced" in types  # another controller's valid condition is kept
    assert "not-an-account" not in str(status) and "lots" not in str(status)


def test_a_transient_result_over_an_invalid_status_says_not_verified_yet_for_what_it_did_not_reach() -> None:
    status = build_status(TRANSIENT, BROKEN, generation=2, now=NOW)
    by_type = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert by_type["PermissionsVerified"] == ("Unknown", "NotVerified")
    assert by_type["Ready"] == ("Unknown", "AWSUnavailable")
    assert "permissions" not in status and "accountID" not in status
