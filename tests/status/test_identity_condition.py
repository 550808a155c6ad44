"""ClusterIdentityReady beside the verification's conditions: set, kept, removed, never touching Ready."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from awsip.api.condition_reasons import ConditionType, Reason, find_condition
from awsip.clusterapi.role_identity import IdentityState
from awsip.status.identity_condition import (
    AWAITING_VERDICT,
    has_cluster_identity,
    with_cluster_identity,
    without_cluster_identity,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SYNCED = IdentityState("True", Reason.IDENTITY_SYNCED, "carries the verified role")
NOT_OWNED = IdentityState("False", Reason.IDENTITY_NOT_OWNED, "not ours")


def verified() -> dict[str, Any]:
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "Verified",
        "message": "",
        "lastTransitionTime": "2025-01-01T11:00:00Z",
    }
    return {"observedGeneration": 2, "conditions": [ready], "lastVerifiedTime": "2025-01-01T11:00:00Z"}


def test_it_is_added_after_the_verification_conditions_which_stay_as_they_were() -> None:
    before = verified()
    after = with_cluster_identity(before, SYNCED, generation=2, now=T0)
    assert after["conditions"][0] == before["conditions"][0]
    identity = find_condition(after, ConditionType.CLUSTER_IDENTITY_READY)
    assert identity == {
        "type": "ClusterIdentityReady",
        "status": "True",
        "reason": "IdentitySynced",
        "message": "carries the verified role",
        "lastTransitionTime": "2025-01-01T12:00:00Z",
        "observedGeneration": 2,
    }
    assert before == verified()  # not modified in place
    assert has_cluster_identity(after) and not has_cluster_identity(before)


def test_last_transition_time_moves_only_when_the_status_changes() -> None:
    first = with_cluster_identity(verified(), NOT_OWNED, generation=2, now=T0)
    later = T0 + timedelta(hours=1)
    same = with_cluster_identity(
        first, IdentityState("False", Reason.CLUSTER_API_NOT_INSTALLED, "x"), generation=2, now=later
    )
    assert find_condition(same, "ClusterIdentityReady")["lastTransitionTime"] == "2025-01-01T12:00:00Z"  # type: ignore[index]
    flipped = with_cluster_identity(same, SYNCED, generation=2, now=later)
    assert find_condition(flipped, "ClusterIdentityReady")["lastTransitionTime"] == "2025-01-01T13:00:00Z"  # type: ignore[index]
    # The same state again: the status is equal, so nothing would be patched.
    assert with_cluster_identity(flipped, SYNCED, generation=2, now=later + timedelta(hours=1)) == flipped


def test_none_keeps_what_is_there_or_says_a_verdict_is_awaited() -> None:
    synced = with_cluster_identity(verified(), SYNCED, generation=2, now=T0)
    assert with_cluster_identity(synced, None, generation=3, now=T0 + timedelta(hours=1)) == synced
    waiting = find_condition(
        with_cluster_identity(verified(), None, generation=2, now=T0), "ClusterIdentityReady"
    )
    assert waiting is not None
    assert (waiting["status"], waiting["reason"]) == ("Unknown", AWAITING_VERDICT.reason)


def test_without_removes_it_and_nothing_else() -> None:
    synced = with_cluster_identity(verified(), SYNCED, generation=2, now=T0)
    assert without_cluster_identity(synced) == verified()
    assert without_cluster_identity({}) == {}


def test_the_verification_builders_carry_it_over_unchanged() -> None:
    from awsip.status import build_status, invalid_spec_status, not_permitted_status, reconciling_status
    from awsip.verification import Check, ProviderRef, VerificationResult

    synced = with_cluster_identity(verified(), SYNCED, generation=2, now=T0)
    condition = find_condition(synced, "ClusterIdentityReady")
    denied = VerificationResult(
        ref=ProviderRef("team-a", "p"), role_arn="arn:aws:iam::123456789012:role/r",
        role_assumed=Check("False", "AccessDenied", "denied"),
    )  # fmt: skip
    later = T0 + timedelta(hours=1)
    for status in (
        build_status(denied, synced, generation=3, now=later),
        reconciling_status(synced, 3, later, "Verifying."),
        invalid_spec_status(synced, generation=3, now=later, message="spec.x: bad"),
        not_permitted_status(synced, generation=3, now=later, message="Refused."),
    ):
        assert find_condition(status, "ClusterIdentityReady") == condition
