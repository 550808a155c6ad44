"""The AWSClusterRoleIdentity awsip keeps for a provider: desired object, ownership and plans (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.clusterapi import role_identity as ri
from awsip.clusterapi.role_identity import (
    Owner,
    ProviderVerdict,
    plan_identity,
    plan_release,
    provider_verdict,
)

ARN = "arn:aws:iam::123456789012:role/capa-prod"
OWNER = Owner("team-a", "aws-prod", "uid-1")
READY = ProviderVerdict("Ready", "Verified")


def spec(**extra: Any) -> AWSInfrastructureProviderSpec:
    raw = {"roleARN": ARN, "clusterAPI": {"roleIdentity": {"name": "team-a-prod"}}, **extra}
    return AWSInfrastructureProviderSpec.model_validate(raw)


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, as the API server applies a merge patch (independent of the code under test)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def stored(obj: dict[str, Any], *, uid: str = "identity-uid", version: str = "7") -> dict[str, Any]:
    """``obj`` as the API server would return it once created."""
    result = copy.deepcopy(obj)
    result["metadata"] = {**result["metadata"], "uid": uid, "resourceVersion": version}
    return result


def run(plan: ri.IdentityPlan, objects: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The objects after the plan's writes (a tiny API server for the assertions)."""
    objects = copy.deepcopy(objects)
    for op in plan.operations:
        if op.verb == "create":
            assert op.name not in objects
            assert op.body is not None
            objects[op.name] = stored(op.body)
        elif op.verb == "patch":
            assert op.body is not None
            assert (
                op.body["metadata"].get("resourceVersion") == objects[op.name]["metadata"]["resourceVersion"]
            )
            objects[op.name] = apply_merge_patch(objects[op.name], op.body)
        else:
            assert op.uid == objects[op.name]["metadata"]["uid"]
            del objects[op.name]
    return objects


# -- the desired object ----------------------------------------------------------------------------


def test_the_desired_identity_carries_the_provider_and_only_its_namespace() -> None:
    desired = ri.desired_identity(OWNER, spec(durationSeconds=3600), "ext-123")
    assert desired["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta2"
    assert desired["kind"] == "AWSClusterRoleIdentity"
    assert desired["metadata"]["name"] == "team-a-prod"
    assert "namespace" not in desired["metadata"]  # cluster-scoped
    assert desired["spec"] == {
        "allowedNamespaces": {"list": ["team-a"]},
        "roleARN": ARN,
        "durationSeconds": 3600,
        "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "default"},
        "externalID": "ext-123",
    }
    assert desired["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "awsip",
        "awsip.io/owner-uid": "uid-1",
        "awsip.io/owner-namespace": "team-a",
    }
    assert desired["metadata"]["annotations"] == {
        "awsip.io/owner-uid": "uid-1",
        "awsip.io/owner-namespace": "team-a",
        "awsip.io/owner-name": "aws-prod",
        "awsip.io/provider-ready": "True",
    }


def test_session_name_and_source_come_from_the_spec_when_set() -> None:
    source = {"kind": "AWSClusterRoleIdentity", "name": "platform-hub"}
    raw = spec(sessionName="capa-team-a").to_k8s()
    raw["clusterAPI"]["roleIdentity"]["sourceIdentityRef"] = source
    desired = ri.desired_identity(OWNER, AWSInfrastructureProviderSpec.model_validate(raw), None)
    assert desired["spec"]["sessionName"] == "capa-team-a"
    assert desired["spec"]["sourceIdentityRef"] == source
    # No External ID configured: none written (CAPA's field is optional).
    assert "externalID" not in desired["spec"]
    # CAPA's session policies are never set: they would change what was verified.
    assert not {"inlinePolicy", "policyARNs"} & desired["spec"].keys()


def test_without_session_name_capa_names_its_own_sessions() -> None:
    assert "sessionName" not in ri.desired_identity(OWNER, spec(), None)["spec"]


def test_a_spec_without_role_identity_has_no_desired_identity() -> None:
    with pytest.raises(ValueError, match="roleIdentity"):
        ri.desired_identity(OWNER, AWSInfrastructureProviderSpec.model_validate({"roleARN": ARN}), None)


# -- the verdict -----------------------------------------------------------------------------------


def status(ready: str, reason: str, generation: int | None = 3) -> dict[str, Any]:
    result: dict[str, Any] = {"conditions": [{"type": "Ready", "status": ready, "reason": reason}]}
    if generation is not None:
        result["observedGeneration"] = generation
    return result


@pytest.mark.parametrize(
    ("stored_status", "generation", "expected"),
    [
        (status("True", "Verified"), 3, ProviderVerdict("Ready", "Verified")),
        (status("True", "Verified", generation=None), None, ProviderVerdict("Ready", "Verified")),
        (status("True", "Verified", generation=2), 3, ProviderVerdict("Pending")),  # not this spec's
        (status("False", "MissingPermissions"), 3, ProviderVerdict("NotReady", "MissingPermissions")),
        (
            status("False", "MissingPermissions", generation=2),
            3,
            ProviderVerdict("NotReady", "MissingPermissions"),
        ),
        (status("False", "NotPermitted"), 3, ProviderVerdict("NotPermitted", "NotPermitted")),
        (status("Unknown", "AWSUnavailable"), 3, ProviderVerdict("Pending")),
        ({}, 3, ProviderVerdict("Pending")),
        (None, None, ProviderVerdict("Pending")),
    ],
)
def test_provider_verdict(stored_status: Any, generation: int | None, expected: ProviderVerdict) -> None:
    assert provider_verdict(stored_status, generation) == expected


# -- plans for a Ready provider --------------------------------------------------------------------


def test_ready_and_absent_creates_it() -> None:
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=None)
    assert [(op.verb, op.name) for op in plan.operations] == [("create", "team-a-prod")]
    assert plan.operations[0].body == desired
    assert plan.state is not None and (plan.state.status, plan.state.reason) == (
        "True",
        Reason.IDENTITY_SYNCED,
    )
    assert "identityRef {kind: AWSClusterRoleIdentity, name: team-a-prod}" in plan.state.message
    assert "ext-1" not in plan.state.message


def test_ready_and_up_to_date_writes_nothing() -> None:
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(
        owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=stored(desired)
    )
    assert plan.operations == ()
    assert plan.state is not None and plan.state.status == "True"


def test_a_new_role_or_external_id_updates_the_owned_identity() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    new_arn = "arn:aws:iam::123456789012:role/capa-prod-v2"
    desired = ri.desired_identity(OWNER, spec(roleARN=new_arn), "ext-2")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=before)
    (op,) = plan.operations
    assert op.verb == "patch" and op.resource_version == "7"
    assert op.body == {
        "metadata": {"resourceVersion": "7"},
        "spec": {"roleARN": new_arn, "externalID": "ext-2"},
    }
    after = run(plan, {"team-a-prod": before})["team-a-prod"]
    assert after["spec"] == desired["spec"]


def test_an_external_id_no_longer_configured_is_removed() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    desired = ri.desired_identity(OWNER, spec(), None)
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=before)
    assert plan.operations[0].body is not None
    assert plan.operations[0].body["spec"] == {"externalID": None}


def test_widened_allowed_namespaces_are_narrowed_back() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    before["spec"]["allowedNamespaces"] = {
        "list": ["team-a", "team-b"],
        "selector": {"matchLabels": {"x": "y"}},
    }
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=before)
    after = run(plan, {"team-a-prod": before})["team-a-prod"]
    assert after["spec"]["allowedNamespaces"] == {"list": ["team-a"]}


@pytest.mark.parametrize("allowed", [{}, None, {"list": []}, {"selector": {}}])
def test_any_other_allowed_namespaces_become_the_namespace(allowed: Any) -> None:
    # CAPA reads an empty object as "every namespace"; nothing but [team-a] is left in place.
    before = stored(ri.desired_identity(OWNER, spec(), None))
    before["spec"]["allowedNamespaces"] = allowed
    desired = ri.desired_identity(OWNER, spec(), None)
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=before)
    assert run(plan, {"team-a-prod": before})["team-a-prod"]["spec"]["allowedNamespaces"] == {
        "list": ["team-a"]
    }


def test_labels_and_annotations_of_others_are_left_alone() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    before["metadata"]["labels"]["clusterctl.cluster.x-k8s.io/move"] = ""
    before["metadata"]["annotations"]["note"] = "hello"
    before["metadata"]["labels"]["awsip.io/owner-namespace"] = "tampered"
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=before)
    (op,) = plan.operations
    assert op.body == {"metadata": {"resourceVersion": "7", "labels": {"awsip.io/owner-namespace": "team-a"}}}


def test_a_renamed_identity_is_created_before_the_old_one_goes() -> None:
    old = stored(ri.desired_identity(OWNER, spec(), "ext-1"), uid="old-uid")
    raw = spec().to_k8s()
    raw["clusterAPI"]["roleIdentity"]["name"] = "team-a-prod-2"
    desired = ri.desired_identity(OWNER, AWSInfrastructureProviderSpec.model_validate(raw), "ext-1")
    plan = plan_identity(
        owner=OWNER, name="team-a-prod-2", verdict=READY, desired=desired, existing=None, owned=[old]
    )
    assert [(op.verb, op.name, op.uid) for op in plan.operations] == [
        ("create", "team-a-prod-2", None),
        ("delete", "team-a-prod", "old-uid"),
    ]


# -- refusing to take over -------------------------------------------------------------------------


def foreign(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": ri.API_VERSION,
        "kind": ri.KIND,
        "metadata": {
            "name": "team-a-prod",
            "uid": "x",
            "resourceVersion": "3",
            "annotations": annotations or {},
        },
        "spec": {
            "roleARN": "arn:aws:iam::999999999999:role/other",
            "allowedNamespaces": {"list": ["team-b"]},
        },
    }


@pytest.mark.parametrize(
    ("annotations", "whose"),
    [
        (None, "awsip did not create it"),
        (
            {
                "awsip.io/owner-uid": "uid-other",
                "awsip.io/owner-namespace": "team-b",
                "awsip.io/owner-name": "p",
            },
            "awsip created it for another provider",
        ),
        (
            {
                "awsip.io/owner-uid": "uid-0",
                "awsip.io/owner-namespace": "team-a",
                "awsip.io/owner-name": "aws-prod",
            },
            "an earlier provider of this name",
        ),
        # The labels alone, or the namespace and name alone, do not make it ours: only the uid does.
        (
            {"awsip.io/owner-namespace": "team-a", "awsip.io/owner-name": "aws-prod"},
            "awsip did not create it",
        ),
    ],
)
@pytest.mark.parametrize("verdict", [READY, ProviderVerdict("NotReady", "AccessDenied")])
def test_an_identity_awsip_did_not_create_for_this_provider_is_never_touched(
    annotations: dict[str, str] | None, whose: str, verdict: ProviderVerdict
) -> None:
    existing = foreign(annotations)
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=verdict, desired=desired, existing=existing)
    assert plan.operations == ()
    assert plan.state is not None
    assert (plan.state.status, plan.state.reason) == ("False", Reason.IDENTITY_NOT_OWNED)
    assert whose in plan.state.message
    # Nothing about the other object's owner or role leaks to this tenant.
    assert "team-b" not in plan.state.message and "999999999999" not in plan.state.message


# -- plans for a provider that is not Ready --------------------------------------------------------


def test_not_ready_keeps_the_owned_identity_and_marks_it() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    plan = plan_identity(
        owner=OWNER,
        name="team-a-prod",
        verdict=ProviderVerdict("NotReady", "MissingPermissions"),
        desired=None,
        existing=before,
    )
    after = run(plan, {"team-a-prod": before})["team-a-prod"]
    assert after["spec"] == before["spec"]  # the role last verified stays
    assert after["metadata"]["annotations"]["awsip.io/provider-ready"] == "False"
    assert after["metadata"]["annotations"]["awsip.io/provider-ready-reason"] == "MissingPermissions"
    assert plan.state is not None
    assert (plan.state.status, plan.state.reason) == ("False", Reason.PROVIDER_NOT_READY)
    assert "MissingPermissions" in plan.state.message and "kept" in plan.state.message
    # Once marked, the next plan writes nothing.
    again = plan_identity(
        owner=OWNER,
        name="team-a-prod",
        verdict=ProviderVerdict("NotReady", "MissingPermissions"),
        desired=None,
        existing=after,
    )
    assert again.operations == ()


def test_ready_again_updates_and_unmarks() -> None:
    marked = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    marked["metadata"]["annotations"].update(
        {"awsip.io/provider-ready": "False", "awsip.io/provider-ready-reason": "X"}
    )
    desired = ri.desired_identity(OWNER, spec(), "ext-1")
    plan = plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=desired, existing=marked)
    after = run(plan, {"team-a-prod": marked})["team-a-prod"]
    assert after["metadata"]["annotations"]["awsip.io/provider-ready"] == "True"
    assert "awsip.io/provider-ready-reason" not in after["metadata"]["annotations"]


def test_not_ready_still_narrows_allowed_namespaces() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    before["spec"]["allowedNamespaces"] = {"list": ["team-a", "team-b"]}
    plan = plan_identity(
        owner=OWNER,
        name="team-a-prod",
        verdict=ProviderVerdict("NotReady", "X"),
        desired=None,
        existing=before,
    )
    after = run(plan, {"team-a-prod": before})["team-a-prod"]
    assert after["spec"]["allowedNamespaces"] == {"list": ["team-a"]}
    assert after["spec"]["roleARN"] == ARN


def test_not_ready_and_absent_creates_nothing() -> None:
    plan = plan_identity(
        owner=OWNER,
        name="team-a-prod",
        verdict=ProviderVerdict("NotReady", "AccessDenied"),
        desired=None,
        existing=None,
    )
    assert plan.operations == ()
    assert plan.state is not None and plan.state.status == "False"
    assert "neither creates nor updates" in plan.state.message and "kept" not in plan.state.message


def test_a_tenancy_refusal_says_so_and_keeps_the_identity() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    plan = plan_identity(
        owner=OWNER,
        name="team-a-prod",
        verdict=ProviderVerdict("NotPermitted", "NotPermitted"),
        desired=None,
        existing=before,
    )
    assert plan.state is not None and plan.state.reason == Reason.NOT_PERMITTED
    assert "tenancy rules" in plan.state.message
    after = run(plan, {"team-a-prod": before})["team-a-prod"]
    assert after["spec"] == before["spec"]
    assert after["metadata"]["annotations"]["awsip.io/provider-ready-reason"] == "NotPermitted"
    # The role of a refused provider is not repeated in its status.
    assert ARN not in plan.state.message


def test_pending_changes_nothing() -> None:
    before = stored(ri.desired_identity(OWNER, spec(), "ext-1"))
    plan = plan_identity(
        owner=OWNER, name="team-a-prod", verdict=ProviderVerdict("Pending"), desired=None, existing=before
    )
    assert plan == ri.IdentityPlan((), None)


def test_ready_needs_the_desired_object() -> None:
    with pytest.raises(ValueError):
        plan_identity(owner=OWNER, name="team-a-prod", verdict=READY, desired=None, existing=None)


# -- release ---------------------------------------------------------------------------------------


def test_release_deletes_only_what_the_provider_owns() -> None:
    mine = stored(ri.desired_identity(OWNER, spec(), None), uid="u1")
    other_owner = Owner("team-a", "aws-prod", "uid-earlier")
    theirs = stored(ri.desired_identity(other_owner, spec(), None), uid="u2")
    hand_made = foreign()
    operations = plan_release(OWNER, [mine, theirs, hand_made])
    assert [(op.verb, op.name, op.uid) for op in operations] == [("delete", "team-a-prod", "u1")]
    assert plan_release(OWNER, []) == ()


def test_merge_patch_to_round_trips() -> None:
    current = {"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": "x"}
    wanted = {"a": 1, "b": {"c": 3, "d": [1]}, "f": {"g": None}}
    patch = ri.merge_patch_to(current, wanted)
    assert apply_merge_patch(current, patch) == {"a": 1, "b": {"c": 3, "d": [1]}, "f": {}}
    assert ri.merge_patch_to(wanted, wanted) == {}
