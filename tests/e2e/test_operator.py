"""The operator end to end: Kopf against kmock, verifying roles in a moto server (IAM auth on).

Every test works in a namespace of its own; the roles are the sandbox's
(:mod:`awsip.sandbox.scenarios`). The emulator sets and bumps ``metadata.generation`` as the API
server does (:mod:`awsip.sandbox.kube`).
"""

from __future__ import annotations

import base64
import io
import json
import re
import time

import pytest

from awsip.controller import handlers
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import (
    age_last_verification,
    condition,
    events_of,
    has_verdict,
    is_settled,
    last_request_id,
    operator_caught_up,
    provider,
    secret,
    status_patches,
    verdict,
)

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
STAGING = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}
WRONG_EXTERNAL_ID = "acme-partner-0badc0de"


def test_compliant_role_is_ready(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "production", PRODUCTION))

    obj = sandbox.wait_for_provider(namespace, "production", has_verdict("True", "Verified"))

    status = obj["status"]
    for type_, reason in [
        ("RoleAssumed", "AssumeRoleSucceeded"),
        ("PermissionsVerified", "AllPermissionsGranted"),
        ("TrustPolicySecure", "Secure"),
    ]:
        assert (condition(obj, type_)["status"], condition(obj, type_)["reason"]) == ("True", reason)
    assert condition(obj, "Stalled")["status"] == "False"
    assert condition(obj, "Reconciling")["status"] == "False"
    assert status["accountID"] == "123456789012"
    assert status["permissions"]["missingActions"] == 0
    assert status["trustPolicy"]["externalIDEnforced"] is True
    assert "lastVerifiedTime" in status
    assert status["observedGeneration"] == obj["metadata"]["generation"] == 1  # set by the emulator
    assert obj["metadata"]["finalizers"] == ["awsip.io/finalizer"]  # Kopf's, for the daemon


def test_wrong_external_id_is_access_denied(sandbox: Sandbox, namespace: str) -> None:
    spec = {"roleARN": scenarios.PARTNER.arn, "externalID": WRONG_EXTERNAL_ID}
    sandbox.client.apply(provider(namespace, "partner", spec))

    obj = sandbox.wait_for_provider(namespace, "partner", is_settled)

    assert (condition(obj, "RoleAssumed")["status"], condition(obj, "RoleAssumed")["reason"]) == (
        "False",
        "AccessDenied",
    )
    assert verdict(obj) == ("False", "AccessDenied")
    assert condition(obj, "Stalled")["status"] == "True"


def test_missing_permissions_names_exactly_the_missing_actions(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "staging", STAGING))

    obj = sandbox.wait_for_provider(namespace, "staging", is_settled)

    assert verdict(obj) == ("False", "MissingPermissions")
    permissions = obj["status"]["permissions"]
    assert permissions["missingActions"] == 3
    assert {m["action"] for m in permissions["missing"]} == set(scenarios.STAGING.missing_actions)
    message = condition(obj, "PermissionsVerified")["message"]
    assert all(action in message for action in scenarios.STAGING.missing_actions)


def test_wildcard_trust_principal(sandbox: Sandbox, namespace: str) -> None:
    spec = {"roleARN": scenarios.SHARED.arn, "externalID": scenarios.SHARED.external_id}
    sandbox.client.apply(provider(namespace, "shared", spec))

    obj = sandbox.wait_for_provider(namespace, "shared", is_settled)

    trust = condition(obj, "TrustPolicySecure")
    assert (trust["status"], trust["reason"]) == ("False", "WildcardPrincipal")
    assert verdict(obj) == ("False", "WildcardPrincipal")
    assert "WildcardPrincipal" in {f["code"] for f in obj["status"]["trustPolicy"]["findings"]}


def test_spec_change_is_verified_for_the_new_generation(sandbox: Sandbox, namespace: str) -> None:
    # The emulator sets generation 1 on creation and increments it with every change of the spec,
    # as the API server does (the generations the test writes are what it expects them to be).
    sandbox.client.apply(provider(namespace, "moving", STAGING, generation=1))
    first = sandbox.wait_for_provider(namespace, "moving", has_verdict("False", "MissingPermissions"))
    assert first["status"]["observedGeneration"] == 1
    mark = last_request_id(sandbox)

    sandbox.client.patch_provider(namespace, "moving", {"metadata": {"generation": 2}, "spec": PRODUCTION})

    obj = sandbox.wait_for_provider(
        namespace, "moving", lambda o: is_settled(o) and o["status"].get("observedGeneration") == 2
    )
    assert verdict(obj) == ("True", "Verified")
    assert all(c["observedGeneration"] == 2 for c in obj["status"]["conditions"])
    # The old verdict was never written as generation 2's: the first status patch after the change
    # is about generation 2, and is its verdict (verified within the Reconciling delay, one patch)
    # or Reconciling (a slower verification; kstatus: InProgress). Until then observedGeneration 1
    # told kstatus the same.
    first = status_patches(sandbox, namespace, "moving", after=mark)[0][1]
    conditions = {c["type"]: c for c in first["conditions"]}
    assert conditions["Reconciling"]["observedGeneration"] == 2
    if conditions["Reconciling"]["status"] == "True":  # Ready keeps the old verdict, for generation 1
        assert (conditions["Ready"]["reason"], conditions["Ready"]["observedGeneration"]) == (
            "MissingPermissions",
            1,
        )
    else:
        assert all(c["observedGeneration"] == 2 for c in conditions.values())
        assert conditions["Ready"]["reason"] == "Verified"


def test_aws_outage_is_unknown_then_recovers(sandbox: Sandbox, namespace: str) -> None:
    sandbox.set_aws_available(False)
    try:
        sandbox.client.apply(provider(namespace, "outage", PRODUCTION))
        during = sandbox.wait_for_provider(
            namespace,
            "outage",
            lambda o: verdict(o)[0] == "Unknown" and verdict(o)[1] == "AWSUnavailable",
            timeout=60,
        )
        assert condition(during, "Reconciling")["reason"] == "Retrying"
        assert condition(during, "Stalled")["status"] == "False"
    finally:
        sandbox.set_aws_available(True)

    sandbox.wait_for_provider(namespace, "outage", has_verdict("True", "Verified"), timeout=60)
    assert sandbox.operator is not None and sandbox.operator.running
    readiness = [
        c["status"]
        for _, status in status_patches(sandbox, namespace, "outage")
        for c in status.get("conditions") or []
        if c["type"] == "Ready"
    ]
    assert "False" not in readiness


def test_external_id_from_a_secret(sandbox: Sandbox, namespace: str) -> None:
    ref = {"name": "acme-dev-external-id", "key": "externalID"}
    spec = {"roleARN": scenarios.DEVELOPMENT.arn, "externalIDSecretRef": ref}
    sandbox.client.apply(
        secret(namespace, ref["name"], {"externalID": scenarios.DEVELOPMENT.external_id + "\n"})
    )
    sandbox.client.apply(provider(namespace, "from-secret", spec))

    sandbox.wait_for_provider(namespace, "from-secret", has_verdict("True", "Verified"))


def test_external_id_secret_missing(sandbox: Sandbox, namespace: str) -> None:
    spec = {
        "roleARN": scenarios.DEVELOPMENT.arn,
        "externalIDSecretRef": {"name": "nowhere", "key": "externalID"},
    }
    sandbox.client.apply(provider(namespace, "no-secret", spec))

    obj = sandbox.wait_for_provider(namespace, "no-secret", is_settled)

    role = condition(obj, "RoleAssumed")
    assert (role["status"], role["reason"]) == ("False", "ExternalIDSecretNotFound")
    assert "nowhere" in role["message"]
    assert verdict(obj) == ("False", "ExternalIDSecretNotFound")

    # Creating the Secret and touching the spec recovers it.
    sandbox.client.apply(secret(namespace, "nowhere", {"externalID": scenarios.DEVELOPMENT.external_id}))
    sandbox.client.patch_provider(namespace, "no-secret", {"spec": {"displayName": "now with its Secret"}})
    sandbox.wait_for_provider(namespace, "no-secret", has_verdict("True", "Verified"))


def test_unchanged_verdict_patches_only_the_heartbeat(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "steady", PRODUCTION))
    before = sandbox.wait_for_provider(namespace, "steady", has_verdict("True", "Verified"))
    events_before = events_of(sandbox, namespace, "steady")
    mark = last_request_id(sandbox)

    aging = age_last_verification(sandbox, namespace, "steady")
    aged = aging["status"]["lastVerifiedTime"]
    after = sandbox.wait_for_provider(namespace, "steady", lambda o: o["status"]["lastVerifiedTime"] != aged)
    operator_caught_up(sandbox, namespace, "steady")  # anything else it would patch is patched now

    patches = [status for _, status in status_patches(sandbox, namespace, "steady", after=mark)]
    assert patches == [aging["status"], {"lastVerifiedTime": after["status"]["lastVerifiedTime"]}]
    assert after["status"]["conditions"] == before["status"]["conditions"]
    assert events_of(sandbox, namespace, "steady") == events_before


def test_events_on_ready_changes_only_and_not_repeated_after_a_restart(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.client.apply(provider(namespace, "eventful", STAGING))
    sandbox.wait_for_provider(namespace, "eventful", has_verdict("False", "MissingPermissions"))
    sandbox.client.patch_provider(namespace, "eventful", {"spec": PRODUCTION})
    sandbox.wait_for_provider(namespace, "eventful", has_verdict("True", "Verified"))
    expected = [("Warning", "MissingPermissions"), ("Normal", "Verified")]
    assert _eventually(lambda: events_of(sandbox, namespace, "eventful") == expected)

    sandbox.stop_operator()
    sandbox.start_operator()
    aging = age_last_verification(sandbox, namespace, "eventful")  # verified again after the restart
    sandbox.wait_for_provider(
        namespace,
        "eventful",
        lambda o: o["status"]["lastVerifiedTime"] != aging["status"]["lastVerifiedTime"],
    )
    operator_caught_up(sandbox, namespace, "eventful")  # an Event would be posted by now
    assert events_of(sandbox, namespace, "eventful") == expected


def test_invalid_spec_is_stalled_and_does_not_stop_the_others(sandbox: Sandbox, namespace: str) -> None:
    # kmock does not enforce the CRD schema, so this spec reaches the operator.
    sandbox.client.apply(provider(namespace, "broken", {"roleARN": "not-an-arn", "durationSeconds": 60}))
    sandbox.client.apply(provider(namespace, "fine", PRODUCTION))

    broken = sandbox.wait_for_provider(namespace, "broken", is_settled)
    assert verdict(broken) == ("False", "InvalidSpec")
    assert (condition(broken, "Stalled")["status"], condition(broken, "Stalled")["reason"]) == (
        "True",
        "InvalidSpec",
    )
    message = condition(broken, "Ready")["message"]
    assert "roleARN" in message and "durationSeconds" in message and "not-an-arn" not in message
    sandbox.wait_for_provider(namespace, "fine", has_verdict("True", "Verified"))

    sandbox.client.patch_provider(namespace, "broken", {"spec": {**PRODUCTION, "durationSeconds": 900}})
    sandbox.wait_for_provider(namespace, "broken", has_verdict("True", "Verified"))


def test_deleted_provider_leaves_nothing_behind(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "doomed", PRODUCTION))
    obj = sandbox.wait_for_provider(namespace, "doomed", has_verdict("True", "Verified"))
    assert sandbox.operator is not None
    runtime = sandbox.operator.memo[handlers.RUNTIME_KEY]
    assert obj["metadata"]["uid"] in runtime.providers

    sandbox.client.delete_provider(namespace, "doomed")

    assert _eventually(lambda: sandbox.client.provider(namespace, "doomed") is None)
    assert _eventually(lambda: obj["metadata"]["uid"] not in runtime.providers)


def test_provider_deleted_while_the_operator_is_down_goes_when_it_is_back(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.client.apply(provider(namespace, "orphan", PRODUCTION))
    sandbox.wait_for_provider(namespace, "orphan", has_verdict("True", "Verified"))
    sandbox.stop_operator()
    try:
        sandbox.client.delete_provider(namespace, "orphan")
        assert sandbox.operator is None  # no operator: nothing can release the finalizer meanwhile
        held = sandbox.client.provider(namespace, "orphan")
        assert held is not None and held["metadata"].get("deletionTimestamp")  # the finalizer holds it
    finally:
        sandbox.start_operator()
    assert _eventually(lambda: sandbox.client.provider(namespace, "orphan") is None)


def test_no_secret_in_statuses_events_or_logs(
    sandbox: Sandbox, namespace: str, operator_logs: io.StringIO
) -> None:
    """Run last: scans what every test of the session left, after verifying a few more here."""
    dev = {"name": "dev-external-id", "key": "externalID"}
    sandbox.client.apply(secret(namespace, dev["name"], {"externalID": scenarios.DEVELOPMENT.external_id}))
    sandbox.client.apply(provider(namespace, "inline", PRODUCTION))
    sandbox.client.apply(
        provider(namespace, "wrong", {"roleARN": scenarios.PARTNER.arn, "externalID": WRONG_EXTERNAL_ID})
    )
    sandbox.client.apply(
        provider(namespace, "secret", {"roleARN": scenarios.DEVELOPMENT.arn, "externalIDSecretRef": dev})
    )
    for name in ("inline", "wrong", "secret"):
        sandbox.wait_for_provider(namespace, name, is_settled)
    assert sandbox.operator_user is not None

    external_ids = [role.external_id for role in scenarios.SANDBOX_ROLES if role.external_id] + [
        WRONG_EXTERNAL_ID
    ]
    secrets = external_ids + [base64.b64encode(value.encode()).decode() for value in external_ids]
    secrets.append(sandbox.operator_user.secret_access_key)
    patterns = [
        re.compile("|".join(re.escape(s) for s in secrets)),
        re.compile(r"FQoGZXIvYXdzEBYaD"),  # moto's session tokens
        re.compile(r"(?<![A-Z0-9])ASIA[A-Z0-9]{16}(?![A-Z0-9])"),  # temporary access key ids
    ]
    statuses = json.dumps([p.get("status") for p in sandbox.client.providers()])
    events = json.dumps(sandbox.client.events())
    logs = operator_logs.getvalue()
    # Debug logs were captured (Kopf's included; with no create/update handlers Kopf has no
    # "Creation is in progress: <body>" line to log any more, but whatever it logs is scanned).
    assert "Handler 'watched' is invoked." in logs

    for where, text in (("statuses", statuses), ("events", events), ("logs", logs)):
        for pattern in patterns:
            found = pattern.search(text)
            assert found is None, (
                f"{where} contain a secret: ...{text[max(found.start() - 80, 0) : found.end() + 20]}..."
            )


def _eventually(check: object, timeout: float = 10) -> bool:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
