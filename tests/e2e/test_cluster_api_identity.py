"""spec.clusterAPI.roleIdentity end to end: Kopf against kmock with CAPA's AWSClusterRoleIdentity
declared (tests/fixtures/capa), roles verified in a moto server, the operator run with
--cluster-api-identities.

kmock stores whatever it is sent: every identity awsip wrote is checked against the fixture CRD's
schema here (:func:`tests.support.capa.schema_errors`), as the API server would on a write.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from awsip.clusterapi import role_identity as ri
from awsip.sandbox import scenarios
from awsip.sandbox.harness import SANDBOX_OPERATOR_CONFIG, Sandbox
from tests.e2e.e2e_helpers import age_last_verification, condition, has_verdict, provider, secret
from tests.support import capa

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
DEVELOPMENT = {"roleARN": scenarios.DEVELOPMENT.arn, "externalID": scenarios.DEVELOPMENT.external_id}
STAGING = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, operator_logs: io.StringIO) -> Iterator[Sandbox]:
    config = replace(SANDBOX_OPERATOR_CONFIG, cluster_api_identities=True)
    with Sandbox(tmp_path_factory.mktemp("sandbox"), operator_config=config) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        capa.declare_in_kmock(world.kube.emulator)
        world.start_operator()
        yield world


def wants(name: str, **extra: Any) -> dict[str, Any]:
    return {"clusterAPI": {"roleIdentity": {"name": name, **extra}}}


def identity_is(status: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        found = condition(obj, "ClusterIdentityReady")
        return (found.get("status"), found.get("reason")) == (status, reason)

    return check


def stored_identity(sandbox: Sandbox, name: str) -> dict[str, Any]:
    found = capa.identity(sandbox.client, name)
    assert found is not None, f"no {ri.KIND} {name}"
    assert capa.schema_errors(found) == []
    return found


def test_a_ready_provider_gets_its_identity(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "prod", {**PRODUCTION, **wants(f"{namespace}-prod")}))

    obj = sandbox.wait_for_provider(namespace, "prod", identity_is("True", "IdentitySynced"))

    assert (condition(obj, "Ready")["status"], condition(obj, "Ready")["reason"]) == ("True", "Verified")
    found = stored_identity(sandbox, f"{namespace}-prod")
    assert found["spec"] == {
        "allowedNamespaces": {"list": [namespace]},
        "roleARN": scenarios.PRODUCTION.arn,
        "durationSeconds": 900,
        "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "default"},
        "externalID": scenarios.PRODUCTION.external_id,
    }
    uid = obj["metadata"]["uid"]
    assert found["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "awsip",
        "awsip.io/owner-uid": uid,
        "awsip.io/owner-namespace": namespace,
    }
    assert found["metadata"]["annotations"] == {
        "awsip.io/owner-uid": uid,
        "awsip.io/owner-namespace": namespace,
        "awsip.io/owner-name": "prod",
        "awsip.io/provider-ready": "True",
    }
    message = condition(obj, "ClusterIdentityReady")["message"]
    assert f"name: {namespace}-prod" in message and scenarios.PRODUCTION.external_id not in message


def test_a_new_role_and_external_id_update_the_identity(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-id"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))
    before = stored_identity(sandbox, name)

    sandbox.client.patch_provider(namespace, "p", {"spec": DEVELOPMENT})

    def updated(_: dict[str, Any]) -> bool:
        found = capa.identity(sandbox.client, name)
        return found is not None and found["spec"]["roleARN"] == scenarios.DEVELOPMENT.arn

    obj = sandbox.wait_for_provider(namespace, "p", updated, what="the identity with the new role")
    after = stored_identity(sandbox, name)
    assert after["spec"]["externalID"] == scenarios.DEVELOPMENT.external_id
    assert after["metadata"]["uid"] == before["metadata"]["uid"]  # updated, not replaced
    assert condition(obj, "ClusterIdentityReady")["status"] == "True"


def test_an_external_id_from_a_secret_is_written_inline(sandbox: Sandbox, namespace: str) -> None:
    ref = {"name": "dev-external-id", "key": "externalID"}
    sandbox.client.apply(secret(namespace, ref["name"], {"externalID": scenarios.DEVELOPMENT.external_id}))
    spec = {"roleARN": scenarios.DEVELOPMENT.arn, "externalIDSecretRef": ref, **wants(f"{namespace}-dev")}
    sandbox.client.apply(provider(namespace, "dev", spec))
    sandbox.wait_for_provider(namespace, "dev", identity_is("True", "IdentitySynced"))
    assert (
        stored_identity(sandbox, f"{namespace}-dev")["spec"]["externalID"]
        == scenarios.DEVELOPMENT.external_id
    )


def test_an_identity_awsip_did_not_create_is_never_taken_over(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-hand-made"
    original = capa.create(sandbox.client, capa.hand_made(name, namespace))

    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("False", "IdentityNotOwned"))

    assert condition(obj, "Ready")["status"] == "True"  # the verification is not the identity's business
    assert "awsip did not create it" in condition(obj, "ClusterIdentityReady")["message"]
    assert capa.identity(sandbox.client, name) == original  # not one byte changed

    # Deleting the provider leaves someone else's identity alone.
    sandbox.client.delete_provider(namespace, "p")
    sandbox_eventually(lambda: sandbox.client.provider(namespace, "p") is None)
    assert capa.identity(sandbox.client, name) == original


def test_another_providers_identity_is_not_taken_over_either(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-shared-name"
    sandbox.client.apply(provider(namespace, "first", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "first", identity_is("True", "IdentitySynced"))
    sandbox.client.apply(provider(namespace, "second", {**DEVELOPMENT, **wants(name)}))
    obj = sandbox.wait_for_provider(namespace, "second", identity_is("False", "IdentityNotOwned"))
    assert "another provider" in condition(obj, "ClusterIdentityReady")["message"]
    assert stored_identity(sandbox, name)["spec"]["roleARN"] == scenarios.PRODUCTION.arn


def test_allowed_namespaces_are_the_providers_own_and_are_narrowed_back(
    sandbox: Sandbox, namespace: str
) -> None:
    name = f"{namespace}-narrow"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))
    assert stored_identity(sandbox, name)["spec"]["allowedNamespaces"] == {"list": [namespace]}

    # Someone widens it by hand (another namespace, a selector matching every namespace) ...
    capa.patch(
        sandbox.client,
        name,
        {"spec": {"allowedNamespaces": {"list": [namespace, "intruder"], "selector": {}}}},
    )
    # ... and at the next verification (the suite cannot wait for an interval: it ages the last one)
    aged = age_last_verification(sandbox, namespace, "p")
    sandbox.wait_for_provider(
        namespace, "p", lambda o: o["status"]["lastVerifiedTime"] != aged["status"]["lastVerifiedTime"]
    )
    sandbox_eventually(
        lambda: stored_identity(sandbox, name)["spec"]["allowedNamespaces"] == {"list": [namespace]}
    )


def test_a_provider_that_fails_keeps_its_identity_marked(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-kept"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))

    sandbox.client.patch_provider(namespace, "p", {"spec": STAGING})  # a role that misses permissions
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("False", "ProviderNotReady"))

    assert (condition(obj, "Ready")["status"], condition(obj, "Ready")["reason"]) == (
        "False",
        "MissingPermissions",
    )
    kept = stored_identity(sandbox, name)
    assert kept["spec"]["roleARN"] == scenarios.PRODUCTION.arn  # the role last verified, not the new one
    assert kept["spec"]["externalID"] == scenarios.PRODUCTION.external_id
    assert kept["metadata"]["annotations"]["awsip.io/provider-ready"] == "False"
    assert kept["metadata"]["annotations"]["awsip.io/provider-ready-reason"] == "MissingPermissions"
    assert "kept" in condition(obj, "ClusterIdentityReady")["message"]

    sandbox.client.patch_provider(namespace, "p", {"spec": PRODUCTION})  # fixed: updated and unmarked
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))
    annotations = stored_identity(sandbox, name)["metadata"]["annotations"]
    assert (
        annotations["awsip.io/provider-ready"] == "True"
        and "awsip.io/provider-ready-reason" not in annotations
    )


def test_a_provider_that_was_never_ready_creates_nothing(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-never"
    sandbox.client.apply(provider(namespace, "p", {**STAGING, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("False", "ProviderNotReady"))
    assert capa.identity(sandbox.client, name) is None


def test_deleting_the_provider_deletes_its_identity(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-doomed"
    sandbox.client.apply(provider(namespace, "doomed", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "doomed", identity_is("True", "IdentitySynced"))
    assert capa.identity(sandbox.client, name) is not None

    sandbox.client.delete_provider(namespace, "doomed")

    sandbox_eventually(lambda: sandbox.client.provider(namespace, "doomed") is None)
    assert capa.identity(sandbox.client, name) is None


def test_opting_out_deletes_the_identity(sandbox: Sandbox, namespace: str) -> None:
    name = f"{namespace}-optout"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))

    sandbox.client.patch_provider(namespace, "p", {"spec": {"clusterAPI": None}})

    sandbox.wait_for_provider(namespace, "p", lambda o: condition(o, "ClusterIdentityReady") == {})
    assert capa.identity(sandbox.client, name) is None
    obj = sandbox.client.provider(namespace, "p")
    assert obj is not None and has_verdict("True", "Verified")(obj)


def test_a_renamed_identity_replaces_the_old_one(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(f"{namespace}-old")}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))

    sandbox.client.patch_provider(namespace, "p", {"spec": wants(f"{namespace}-new")})

    sandbox_eventually(lambda: capa.identity(sandbox.client, f"{namespace}-new") is not None)
    sandbox_eventually(lambda: capa.identity(sandbox.client, f"{namespace}-old") is None)
    stored_identity(sandbox, f"{namespace}-new")


def test_the_external_id_is_written_nowhere_but_the_identity(
    sandbox: Sandbox, operator_logs: io.StringIO
) -> None:
    """Run last: scans what the module's tests left in statuses, events and logs."""
    values = [
        scenarios.PRODUCTION.external_id,
        scenarios.DEVELOPMENT.external_id,
        scenarios.STAGING.external_id,
    ]
    values += [base64.b64encode(v.encode()).decode() for v in values if v]
    pattern = re.compile("|".join(re.escape(v) for v in values if v))
    statuses = json.dumps([p.get("status") for p in sandbox.client.providers()])
    events = json.dumps(sandbox.client.events())
    logs = operator_logs.getvalue()
    assert "created AWSClusterRoleIdentity" in logs
    for where, text in (("statuses", statuses), ("events", events), ("logs", logs)):
        found = pattern.search(text)
        assert found is None, (
            f"{where} contain an External ID: ...{text[max(found.start() - 80, 0) : found.end()]}"
        )


def sandbox_eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)
