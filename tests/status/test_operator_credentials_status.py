"""Failing operator credentials: a retry first, a fault only when it lasts (issue 14, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import PermissionsStatus, TrustPolicyStatus
from awsip.status import build_status
from awsip.status.builder import LASTING_FAULT_GRACE
from awsip.verification import Check, ProviderRef, VerificationResult

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::111122223333:role/capa"
REF = ProviderRef("team-a", "prod")
EXPIRED = Check(
    "Unknown",
    Reason.OPERATOR_CREDENTIALS_UNAVAILABLE,
    "The operator has no usable AWS credentials of its own (sts:AssumeRole: ExpiredToken: expired); retrying.",
    transient=True,
)
VERIFIED = VerificationResult(
    ref=REF,
    role_arn=ROLE,
    role_assumed=Check("True", Reason.ASSUME_ROLE_SUCCEEDED, "Assumed."),
    permissions=Check("False", Reason.MISSING_PERMISSIONS, "The role lacks 1 of 107 required actions."),
    trust=Check("True", Reason.SECURE, "Secure."),
    account_id="111122223333",
    assumed_role_arn="arn:aws:sts::111122223333:assumed-role/capa/awsip-team-a-prod",
    permissions_status=PermissionsStatus(method="Local", requiredActions=107, missingActions=1),
    trust_status=TrustPolicyStatus(externalIDEnforced=True),
)
# What verify() returns when the operator's own credentials fail: the other checks not reached.
CREDENTIALS_FAIL = VerificationResult(ref=REF, role_arn=ROLE, role_assumed=EXPIRED)
AWS_DOWN = VerificationResult(
    ref=REF,
    role_arn=ROLE,
    role_assumed=Check("Unknown", Reason.AWS_UNAVAILABLE, "AWS could not be reached.", transient=True),
)


def summary(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def details(status: dict[str, Any]) -> dict[str, Any]:
    return {k: status.get(k) for k in ("accountID", "assumedRoleARN", "permissions", "trustPolicy")}


def test_failing_credentials_are_retried_and_keep_the_last_verdicts_details() -> None:
    verified = build_status(VERIFIED, None, generation=1, now=START)
    status = build_status(CREDENTIALS_FAIL, verified, generation=1, now=START + timedelta(seconds=10))
    assert summary(status) == {
        "Ready": ("Unknown", "OperatorCredentialsUnavailable"),
        "RoleAssumed": ("Unknown", "OperatorCredentialsUnavailable"),
        "PermissionsVerified": ("False", "MissingPermissions"),
        "TrustPolicySecure": ("True", "Secure"),
        "Reconciling": ("True", "Retrying"),
        "Stalled": ("False", "Retrying"),
    }
    assert details(status) == details(verified)
    assert all(value is not None for value in details(status).values())


def test_credentials_that_keep_failing_become_a_fault_after_the_grace_period() -> None:
    status = build_status(VERIFIED, None, generation=1, now=START)
    failing_since = moment = START + timedelta(seconds=30)
    status = build_status(CREDENTIALS_FAIL, status, generation=1, now=moment)
    # Retried (with backoff, by the controller) and still Unknown until the grace period is over.
    while moment - failing_since < LASTING_FAULT_GRACE:
        moment += timedelta(seconds=90)
        status = build_status(CREDENTIALS_FAIL, status, generation=1, now=moment)
        expected = "Unknown" if moment - failing_since < LASTING_FAULT_GRACE else "False"
        assert summary(status)["Ready"] == (expected, "OperatorCredentialsUnavailable"), moment - START
    assert summary(status)["Stalled"] == ("True", "OperatorCredentialsUnavailable")
    assert summary(status)["Reconciling"] == ("False", "VerificationComplete")
    assert "a person must fix the operator's credentials" in status["conditions"][0]["message"]
    assert status["accountID"] == "111122223333" and status["permissions"]["missingActions"] == 1
    # It stays a fault while the credentials fail, and a verification that works ends it.
    later = build_status(CREDENTIALS_FAIL, status, generation=1, now=moment + timedelta(minutes=1))
    assert summary(later)["Ready"] == ("False", "OperatorCredentialsUnavailable")
    healed = build_status(VERIFIED, later, generation=1, now=moment + timedelta(minutes=2))
    assert summary(healed)["Ready"] == ("False", "MissingPermissions")
    assert summary(healed)["RoleAssumed"] == ("True", "AssumeRoleSucceeded")


def test_after_a_long_outage_one_credentials_failure_is_still_a_retry() -> None:
    # The grace period counts from when RoleAssumed stopped being known (its lastTransitionTime),
    # but a failure of the credentials must be seen twice before it is called a fault.
    status = build_status(VERIFIED, None, generation=1, now=START)
    status = build_status(AWS_DOWN, status, generation=1, now=START + timedelta(minutes=1))
    status = build_status(CREDENTIALS_FAIL, status, generation=1, now=START + timedelta(hours=1))
    assert summary(status)["Ready"] == ("Unknown", "OperatorCredentialsUnavailable")
    status = build_status(CREDENTIALS_FAIL, status, generation=1, now=START + timedelta(hours=1, seconds=5))
    assert summary(status)["Ready"] == ("False", "OperatorCredentialsUnavailable")


def test_a_bug_that_keeps_failing_a_provider_becomes_a_fault_after_the_grace_period() -> None:
    # verify() turns an exception into a transient InternalError check: retried with backoff, and
    # after the grace period Stalled, so that kubectl wait and Argo CD stop waiting for it.
    bug = VerificationResult(
        ref=REF,
        role_arn=ROLE,
        role_assumed=Check(
            "Unknown", Reason.INTERNAL_ERROR, "awsip failed during the verification (KeyError).", True
        ),
    )
    status = build_status(VERIFIED, None, generation=1, now=START)
    status = build_status(bug, status, generation=1, now=START + timedelta(seconds=30))
    assert summary(status)["Ready"] == ("Unknown", "InternalError")
    assert summary(status)["Stalled"] == ("False", "Retrying")
    assert details(status) == details(build_status(VERIFIED, None, generation=1, now=START))
    status = build_status(bug, status, generation=1, now=START + timedelta(minutes=5))
    assert summary(status)["Ready"] == ("Unknown", "InternalError")
    status = build_status(bug, status, generation=1, now=START + LASTING_FAULT_GRACE + timedelta(minutes=1))
    assert summary(status)["Ready"] == ("False", "InternalError")
    assert summary(status)["Stalled"] == ("True", "InternalError")
    assert "please report it with the operator's log" in status["conditions"][0]["message"]
    healed = build_status(VERIFIED, status, generation=1, now=START + timedelta(minutes=20))
    assert summary(healed)["Ready"] == ("False", "MissingPermissions")


def test_the_same_attempt_built_again_is_not_a_second_sighting() -> None:
    # Found by the status fuzz test: after a long outage, a credentials failure built twice at
    # the same moment (a rebuild, not a retry) must give the same status; the next attempt, later,
    # is the second sighting.
    status = build_status(AWS_DOWN, None, generation=1, now=START)
    moment = START + timedelta(hours=1)
    first = build_status(CREDENTIALS_FAIL, status, generation=1, now=moment)
    rebuilt = build_status(CREDENTIALS_FAIL, first, generation=1, now=moment)
    assert rebuilt == first
    assert summary(rebuilt)["Ready"] == ("Unknown", "OperatorCredentialsUnavailable")
    retried = build_status(CREDENTIALS_FAIL, first, generation=1, now=moment + timedelta(seconds=5))
    assert summary(retried)["Ready"] == ("False", "OperatorCredentialsUnavailable")
