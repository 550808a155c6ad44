"""The pure status builder: every reason, kstatus conditions, times and generations."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import (
    CONDITION_REASON_PATTERN,
    MAX_MESSAGE_LENGTH,
    AWSInfrastructureProviderStatus,
    MissingPermission,
    PermissionsStatus,
    TrustFinding,
    TrustPolicyStatus,
)
from awsip.status import build_status, format_time, reconciling_status, status_changed
from awsip.status.transitions import safe_reason
from awsip.verification import Check, ProviderRef, VerificationResult

NOW = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
ROLE = "arn:aws:iam::111122223333:role/capa"
SESSION = "arn:aws:sts::111122223333:assumed-role/capa/awsip-team-a-prod"

ASSUMED = Check("True", Reason.ASSUME_ROLE_SUCCEEDED, f"Assumed {ROLE}.")
GRANTED = Check("True", Reason.ALL_PERMISSIONS_GRANTED, "All 107 required actions are granted.")
SECURE = Check("True", "Secure", "The trust policy has no findings.")
AWS_DOWN = Check("Unknown", Reason.AWS_UNAVAILABLE, "AWS could not be reached; retrying.", transient=True)
NOT_VERIFIED = Check("Unknown", Reason.NOT_VERIFIED, "Not verified: the role was not assumed.")
PERMISSIONS = PermissionsStatus(method="Local", requiredActions=107)
TRUST = TrustPolicyStatus(externalIDEnforced=True)


def result(
    role_assumed: Check = ASSUMED,
    permissions: Check | None = GRANTED,
    trust: Check | None = SECURE,
    **fields: Any,
) -> VerificationResult:
    defaults: dict[str, Any] = {}
    if role_assumed.ok:
        defaults = {"account_id": "111122223333", "assumed_role_arn": SESSION}
    if permissions is not None and not permissions.transient:
        defaults["permissions_status"] = PERMISSIONS
    if trust is not None and not trust.transient:
        defaults["trust_status"] = TRUST
    return VerificationResult(
        ref=ProviderRef("team-a", "prod"),
        role_arn=ROLE,
        role_assumed=role_assumed,
        permissions=permissions,
        trust=trust,
        **{**defaults, **fields},
    )


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status["conditions"]}


def summary(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_a_verified_provider_is_ready_and_current() -> None:
    status = build_status(result(), None, generation=4, now=NOW)
    assert summary(status) == {
        "Ready": ("True", "Verified"),
        "RoleAssumed": ("True", "AssumeRoleSucceeded"),
        "PermissionsVerified": ("True", "AllPermissionsGranted"),
        "TrustPolicySecure": ("True", "Secure"),
        "Reconciling": ("False", "VerificationComplete"),
        "Stalled": ("False", "Verified"),
    }
    assert status["observedGeneration"] == 4
    assert all(c["observedGeneration"] == 4 for c in status["conditions"])
    assert all(c["lastTransitionTime"] == "2026-01-02T03:04:05Z" for c in status["conditions"])
    assert status["accountID"] == "111122223333"
    assert status["assumedRoleARN"] == SESSION
    assert status["lastVerifiedTime"] == "2026-01-02T03:04:05Z"
    assert status["permissions"] == {
        "method": "Local",
        "requiredActions": 107,
        "missingActions": 0,
        "unknownActions": 0,
        "missing": [],
        "truncated": False,
        "findings": [],
        "findingCount": 0,
    }
    assert status["trustPolicy"] == {"externalIDEnforced": True, "findings": [], "truncated": False}
    AWSInfrastructureProviderStatus.model_validate(status)
    json.dumps(status)  # JSON-ready


def test_without_a_generation_no_observed_generation_is_written() -> None:
    status = build_status(result(), {"observedGeneration": 3}, generation=None, now=NOW)
    assert "observedGeneration" not in status
    assert all("observedGeneration" not in c for c in status["conditions"])


@pytest.mark.parametrize(
    ("role_assumed", "reason"),
    [
        (Check("False", Reason.ACCESS_DENIED, "AWS denied sts:AssumeRole ..."), "AccessDenied"),
        (
            Check("False", Reason.OPERATOR_CREDENTIALS_UNAVAILABLE, "no credentials"),
            "OperatorCredentialsUnavailable",
        ),
        (Check("False", Reason.EXTERNAL_ID_SECRET_NOT_FOUND, "Secret missing"), "ExternalIDSecretNotFound"),
        (Check("False", Reason.INVALID_EXTERNAL_ID, "bad value"), "InvalidExternalID"),
        (Check("False", Reason.ROLE_NOT_FOUND, "no such role"), "RoleNotFound"),
        (Check("False", Reason.ASSUME_ROLE_REJECTED, "DurationSeconds too long"), "AssumeRoleRejected"),
    ],
)
def test_a_role_that_cannot_be_assumed_stalls_the_provider(role_assumed: Check, reason: str) -> None:
    status = build_status(
        result(role_assumed, NOT_VERIFIED, NOT_VERIFIED, permissions_status=None, trust_status=None),
        None,
        generation=1,
        now=NOW,
    )
    assert summary(status) == {
        "Ready": ("False", reason),
        "RoleAssumed": ("False", reason),
        "PermissionsVerified": ("Unknown", "NotVerified"),
        "TrustPolicySecure": ("Unknown", "NotVerified"),
        "Reconciling": ("False", "VerificationComplete"),
        "Stalled": ("True", reason),
    }
    assert conditions(status)["Ready"]["message"] == role_assumed.message
    assert conditions(status)["Stalled"]["message"] == role_assumed.message
    assert "accountID" not in status and "assumedRoleARN" not in status
    assert "permissions" not in status and "trustPolicy" not in status


def test_missing_permissions() -> None:
    missing = Check("False", Reason.MISSING_PERMISSIONS, "The role lacks 3 of 107 required actions: ...")
    details = PermissionsStatus(
        method="Local",
        requiredActions=107,
        missingActions=3,
        missing=[MissingPermission(action="ec2:CreateVpc", resource="*", reason="no Allow")],
    )
    status = build_status(
        result(permissions=missing, permissions_status=details), None, generation=2, now=NOW
    )
    assert summary(status)["Ready"] == ("False", "MissingPermissions")
    assert summary(status)["PermissionsVerified"] == ("False", "MissingPermissions")
    assert summary(status)["Stalled"] == ("True", "MissingPermissions")
    assert summary(status)["Reconciling"] == ("False", "VerificationComplete")
    assert status["permissions"]["missing"] == [
        {"action": "ec2:CreateVpc", "resource": "*", "reason": "no Allow"}
    ]
    assert status["permissions"]["missingActions"] == 3


@pytest.mark.parametrize(
    "reason",
    [
        Reason.CANNOT_READ_POLICIES,
        Reason.CANNOT_SIMULATE,
        Reason.UNDECIDED_PERMISSIONS,
        Reason.POLICY_CONFIGMAP_NOT_FOUND,
        Reason.INVALID_REQUIRED_POLICY,
        Reason.UNSUPPORTED_ROLE_POLICY,
    ],
)
def test_permissions_that_cannot_be_decided_keep_the_provider_from_ready(reason: str) -> None:
    undecided = Check("Unknown", reason, "cannot tell")
    status = build_status(result(permissions=undecided, permissions_status=None), None, generation=2, now=NOW)
    assert summary(status)["PermissionsVerified"] == ("Unknown", reason)
    assert summary(status)["Ready"] == ("False", reason)
    assert summary(status)["Stalled"] == ("True", reason)
    assert summary(status)["Reconciling"] == ("False", "VerificationComplete")


@pytest.mark.parametrize("reason", ["WildcardPrincipal", "ExternalIDNotEnforced"])
def test_an_insecure_trust_policy_keeps_the_provider_from_ready(reason: str) -> None:
    insecure = Check("False", reason, "Critical (statement 0): anyone may assume the role.")
    findings = TrustPolicyStatus(
        externalIDEnforced=False,
        findings=[TrustFinding(severity="Critical", code=reason, message="anyone may assume the role")],
    )
    status = build_status(result(trust=insecure, trust_status=findings), None, generation=2, now=NOW)
    assert summary(status)["TrustPolicySecure"] == ("False", reason)
    assert summary(status)["Ready"] == ("False", reason)
    assert summary(status)["Stalled"] == ("True", reason)
    assert status["trustPolicy"]["findings"][0]["code"] == reason
    assert status["trustPolicy"]["externalIDEnforced"] is False


def test_a_definite_failure_is_reported_before_an_undecided_check() -> None:
    undecided = Check("Unknown", Reason.CANNOT_READ_POLICIES, "cannot read")
    insecure = Check("False", "WildcardPrincipal", "anyone")
    status = build_status(result(permissions=undecided, trust=insecure), None, generation=1, now=NOW)
    assert summary(status)["Ready"] == ("False", "WildcardPrincipal")


def test_failures_are_reported_in_the_order_of_the_checks() -> None:
    denied = Check("False", Reason.ACCESS_DENIED, "denied")
    missing = Check("False", Reason.MISSING_PERMISSIONS, "lacks")
    insecure = Check("False", "WildcardPrincipal", "anyone")
    status = build_status(result(denied, missing, insecure), None, generation=1, now=NOW)
    assert summary(status)["Ready"] == ("False", "AccessDenied")
    status = build_status(result(ASSUMED, missing, insecure), None, generation=1, now=NOW)
    assert summary(status)["Ready"] == ("False", "MissingPermissions")


def test_a_transient_failure_is_retried_and_keeps_what_was_not_checked() -> None:
    previous = build_status(result(), None, generation=4, now=NOW)
    status = build_status(result(AWS_DOWN, None, None), previous, generation=4, now=LATER)
    assert summary(status) == {
        "Ready": ("Unknown", "AWSUnavailable"),
        "RoleAssumed": ("Unknown", "AWSUnavailable"),
        "PermissionsVerified": ("True", "AllPermissionsGranted"),
        "TrustPolicySecure": ("True", "Secure"),
        "Reconciling": ("True", "Retrying"),
        "Stalled": ("False", "Retrying"),
    }
    before, after = conditions(previous), conditions(status)
    # Not checked this time: exactly as before.
    assert after["PermissionsVerified"] == before["PermissionsVerified"]
    assert after["TrustPolicySecure"] == before["TrustPolicySecure"]
    # Status changed: new transition time.
    assert after["RoleAssumed"]["lastTransitionTime"] == format_time(LATER)
    assert after["Reconciling"]["message"].startswith("Retrying: AWS could not be reached")
    # What the last successful verification found stays.
    assert status["accountID"] == previous["accountID"]
    assert status["assumedRoleARN"] == previous["assumedRoleARN"]
    assert status["permissions"] == previous["permissions"]
    assert status["trustPolicy"] == previous["trustPolicy"]
    assert status["lastVerifiedTime"] == format_time(LATER)


def test_a_transient_failure_of_a_later_check_is_unknown_but_keeps_its_details() -> None:
    previous = build_status(result(), None, generation=4, now=NOW)
    status = build_status(result(permissions=AWS_DOWN), previous, generation=4, now=LATER)
    assert summary(status)["PermissionsVerified"] == ("Unknown", "AWSUnavailable")
    assert summary(status)["Ready"] == ("Unknown", "AWSUnavailable")
    assert summary(status)["Reconciling"] == ("True", "Retrying")
    assert status["permissions"] == previous["permissions"]


def test_a_known_failure_wins_over_a_retry_but_does_not_stall() -> None:
    insecure = Check("False", "WildcardPrincipal", "anyone")
    status = build_status(result(ASSUMED, AWS_DOWN, insecure), None, generation=1, now=NOW)
    assert summary(status)["Ready"] == ("False", "WildcardPrincipal")
    assert summary(status)["Reconciling"] == ("True", "Retrying")
    assert summary(status)["Stalled"] == ("False", "Retrying")


def test_a_first_transient_failure_has_no_previous_conditions_to_keep() -> None:
    status = build_status(result(AWS_DOWN, None, None), None, generation=1, now=NOW)
    assert summary(status)["PermissionsVerified"] == ("Unknown", "NotVerified")
    assert summary(status)["TrustPolicySecure"] == ("Unknown", "NotVerified")
    assert "permissions" not in status


def test_kubernetes_unavailable_is_retried() -> None:
    down = Check("Unknown", Reason.KUBERNETES_UNAVAILABLE, "API server timeout", transient=True)
    status = build_status(result(down, None, None), None, generation=1, now=NOW)
    assert summary(status)["Ready"] == ("Unknown", "KubernetesUnavailable")
    assert summary(status)["Reconciling"] == ("True", "Retrying")


def test_transition_times_move_only_when_the_status_changes() -> None:
    first = build_status(result(), None, generation=1, now=NOW)
    # Same verdict an hour later, new generation: content changes, times stay.
    second = build_status(result(), first, generation=2, now=LATER)
    for condition in second["conditions"]:
        assert condition["lastTransitionTime"] == format_time(NOW)
        assert condition["observedGeneration"] == 2
    # Same status, new message: time stays.
    reworded = Check("True", Reason.ALL_PERMISSIONS_GRANTED, "All 108 required actions are granted.")
    third = build_status(result(permissions=reworded), second, generation=2, now=LATER + timedelta(hours=1))
    assert conditions(third)["PermissionsVerified"]["lastTransitionTime"] == format_time(NOW)
    assert conditions(third)["PermissionsVerified"]["message"] == reworded.message
    # Status flips: time moves.
    missing = Check("False", Reason.MISSING_PERMISSIONS, "lacks")
    fourth = build_status(result(permissions=missing), third, generation=2, now=LATER + timedelta(hours=2))
    assert conditions(fourth)["PermissionsVerified"]["lastTransitionTime"] == format_time(
        LATER + timedelta(hours=2)
    )
    assert conditions(fourth)["RoleAssumed"]["lastTransitionTime"] == format_time(NOW)


def test_unchanged_conditions_are_byte_identical() -> None:
    # A previous status as read back from the API server, keys in its own order and a time
    # written by someone else with a different (valid) RFC 3339 spelling.
    first = build_status(result(), None, generation=1, now=NOW)
    stored = json.loads(json.dumps(first))
    stored["conditions"] = [dict(reversed(list(c.items()))) for c in stored["conditions"]]
    stored["conditions"][0]["lastTransitionTime"] = "2026-01-02T03:04:05+00:00"
    again = build_status(result(), stored, generation=1, now=LATER)
    assert json.dumps(again["conditions"]) == json.dumps(stored["conditions"])
    assert not status_changed(stored["conditions"], again["conditions"])  # type: ignore[arg-type]


def test_status_changed_compares_everything() -> None:
    first = build_status(result(), None, generation=1, now=NOW)
    assert not status_changed(first, copy.deepcopy(first))
    assert not status_changed(first, build_status(result(), first, generation=1, now=NOW))
    assert status_changed(first, build_status(result(), first, generation=1, now=LATER))  # the heartbeat
    assert status_changed(None, first)
    assert status_changed(first, build_status(result(), first, generation=2, now=NOW))


def test_other_controllers_conditions_are_kept() -> None:
    foreign = {
        "type": "example.com/Audited",
        "status": "True",
        "reason": "Audited",
        "message": "",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    status = build_status(result(), {"conditions": [foreign]}, generation=1, now=NOW)
    assert status["conditions"][-1] == foreign


def test_messages_are_capped_and_reasons_match_the_crd() -> None:
    long = Check("False", Reason.MISSING_PERMISSIONS, "x" * 10_000)
    status = build_status(result(permissions=long), None, generation=1, now=NOW)
    for condition in status["conditions"]:
        assert len(condition["message"]) <= MAX_MESSAGE_LENGTH
        assert re.match(CONDITION_REASON_PATTERN, condition["reason"])
    assert conditions(status)["PermissionsVerified"]["message"].endswith("...")


def test_reasons_that_do_not_match_the_crd_are_mended() -> None:
    assert safe_reason("WildcardPrincipal") == "WildcardPrincipal"
    assert safe_reason("external id not-enforced") == "ExternalIdNotEnforced"
    assert safe_reason("3rd party") == "RdParty"
    assert safe_reason("!!!") == "Unknown"
    insecure = Check("False", "wildcard principal!", "anyone")
    status = build_status(result(trust=insecure), None, generation=1, now=NOW)
    assert summary(status)["TrustPolicySecure"] == ("False", "WildcardPrincipal")


def test_times_are_utc_with_second_precision() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert (
        format_time(datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))))
        == "2026-01-02T03:04:05Z"
    )
    assert format_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"


def test_a_new_generation_starts_reconciling_and_keeps_the_verdict() -> None:
    previous = build_status(result(), None, generation=4, now=NOW)
    status = reconciling_status(previous, 5, LATER, "Verifying generation 5.")
    assert summary(status) == {
        "Ready": ("True", "Verified"),
        "RoleAssumed": ("True", "AssumeRoleSucceeded"),
        "PermissionsVerified": ("True", "AllPermissionsGranted"),
        "TrustPolicySecure": ("True", "Secure"),
        "Reconciling": ("True", "Verifying"),
        "Stalled": ("False", "Verifying"),
    }
    after = conditions(status)
    assert after["Ready"] == conditions(previous)["Ready"]  # still about generation 4
    assert after["Reconciling"]["observedGeneration"] == 5
    assert after["Reconciling"]["lastTransitionTime"] == format_time(LATER)
    assert after["Reconciling"]["message"] == "Verifying generation 5."
    # The verdict for generation 5 is not in yet.
    assert status["observedGeneration"] == 4
    assert status["permissions"] == previous["permissions"]
    AWSInfrastructureProviderStatus.model_validate(status)


def test_a_new_generation_unstalls() -> None:
    denied = Check("False", Reason.ACCESS_DENIED, "denied")
    previous = build_status(result(denied, NOT_VERIFIED, NOT_VERIFIED), None, generation=1, now=NOW)
    status = reconciling_status(previous, 2, LATER, "Verifying generation 2.")
    assert summary(status)["Stalled"] == ("False", "Verifying")
    assert summary(status)["Ready"] == ("False", "AccessDenied")


def test_the_first_generation_is_reconciling_and_not_ready_yet() -> None:
    status = reconciling_status(None, 1, NOW, "Verifying generation 1.")
    assert summary(status) == {
        "Ready": ("Unknown", "Verifying"),
        "Reconciling": ("True", "Verifying"),
        "Stalled": ("False", "Verifying"),
    }
    assert "observedGeneration" not in status
