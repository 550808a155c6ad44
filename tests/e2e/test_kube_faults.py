"""Issue 14, item 7, end to end: the operator behind a fault-injecting proxy in front of kmock.

* A Kubernetes 500 on a Secret read, or a 500 / 422 on a status patch, is logged saying what
  failed (not "Verification failed unexpectedly"), and retried.
* A Secret whose key holds binary data is an invalid External ID, not a missing Secret.
* A stored status that does not validate is repaired by the next verification.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from awsip.api import constants
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import age_last_verification, condition, has_verdict, provider, secret, verdict
from tests.support.fault_proxy import FaultProxy, kube_error

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultProxy]:
    with FaultProxy("http://127.0.0.1:1") as proxy:
        yield proxy


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, operator_logs: io.StringIO, faults: FaultProxy
) -> Iterator[Sandbox]:
    """operator -> fault proxy -> kmock (the tests' own client goes to kmock directly)."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        emulator: Any = world.kube
        faults.target = emulator.url
        kubeconfig = emulator.kubeconfig()
        kubeconfig["clusters"][0]["cluster"]["server"] = faults.endpoint
        world.kubeconfig.write_text(yaml.safe_dump(kubeconfig, sort_keys=False))
        world.start_operator()
        yield world


def path_is(method: str, pattern: str) -> Any:
    compiled = re.compile(pattern)
    return lambda request: request.method == method and compiled.fullmatch(request.path) is not None


def status_path(namespace: str, name: str) -> str:
    return f"/apis/{constants.API_VERSION}/namespaces/{namespace}/{constants.PLURAL}/{name}/status"


def log_lines(logs: io.StringIO, namespace: str, name: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    return [line for line in lines if (line.get("namespace"), line.get("name")) == (namespace, name)]


def test_a_secret_read_the_api_server_fails_is_named_in_the_log(
    sandbox: Sandbox, namespace: str, faults: FaultProxy, operator_logs: io.StringIO
) -> None:
    sandbox.client.apply(secret(namespace, "ext", {"externalID": scenarios.PRODUCTION.external_id}))
    down = faults.inject(
        path_is("GET", f"/api/v1/namespaces/{namespace}/secrets/ext"),
        kube_error(500, "InternalError", "etcdserver: request timed out"),
    )
    try:
        spec = {
            "roleARN": scenarios.PRODUCTION.arn,
            "externalIDSecretRef": {"name": "ext", "key": "externalID"},
        }
        sandbox.client.apply(provider(namespace, "p", spec))
        sandbox.wait_for_provider(
            namespace, "p", lambda o: verdict(o) == ("Unknown", "KubernetesUnavailable")
        )
    finally:
        faults.remove(down)
    sandbox.wait_for_provider(namespace, "p", has_verdict("True", "Verified"), timeout=30)

    messages = [
        line["message"] for line in log_lines(operator_logs, namespace, "p") if line["level"] == "WARNING"
    ]
    said = [m for m in messages if f"Secret {namespace}/ext" in m and "HTTP 500" in m]
    assert said, messages
    assert "etcdserver: request timed out" in said[0]
    assert not [m for m in messages if "unexpectedly" in m]


@pytest.mark.parametrize(("status", "reason"), [(500, "InternalError"), (422, "Invalid")])
def test_a_status_patch_the_api_server_refuses_is_named_in_the_log(
    sandbox: Sandbox, namespace: str, faults: FaultProxy, operator_logs: io.StringIO, status: int, reason: str
) -> None:
    refused = faults.inject(
        lambda r: r.method == "PATCH" and r.path == status_path(namespace, "p"),
        kube_error(status, reason, "the server could not store it"),
        times=2,
    )
    sandbox.client.apply(provider(namespace, "p", PRODUCTION))
    sandbox.wait_for_provider(namespace, "p", has_verdict("True", "Verified"), timeout=60)
    assert refused.hits == 2

    lines = log_lines(operator_logs, namespace, "p")
    said = [
        line["message"]
        for line in lines
        if f"status patch of {constants.KIND} {namespace}/p failed (HTTP {status}" in line["message"]
    ]
    assert said, [line["message"] for line in lines]
    assert "the server could not store it" in said[0]
    assert not [line for line in lines if "unexpectedly" in line["message"]]


def test_a_secret_with_binary_data_is_an_invalid_external_id(sandbox: Sandbox, namespace: str) -> None:
    binary = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "ext", "namespace": namespace},
        "data": {"externalID": base64.b64encode(b"\xff\xfe\x00binary").decode()},
    }
    sandbox.client.apply(binary)
    spec = {"roleARN": scenarios.PRODUCTION.arn, "externalIDSecretRef": {"name": "ext", "key": "externalID"}}
    sandbox.client.apply(provider(namespace, "p", spec))

    obj = sandbox.wait_for_provider(namespace, "p", has_verdict("False", "InvalidExternalID"))

    assert "holds binary data, not text" in condition(obj, "RoleAssumed")["message"]


def test_a_stored_status_that_does_not_validate_is_repaired(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "p", PRODUCTION))
    sandbox.wait_for_provider(namespace, "p", has_verdict("True", "Verified"))
    junk = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "Maybe",
                    "reason": "not a reason!",
                    "lastTransitionTime": "later",
                },
                {
                    "type": "Reconciling",
                    "status": "False",
                    "reason": "Done",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                },
                # Another controller's condition, as broken: awsip carries those over.
                {"type": "Synced", "status": "Perhaps", "reason": "", "lastTransitionTime": 7},
            ],
            "permissions": {"method": "Guess", "missingActions": "lots"},
            "accountID": "not-an-account",
        }
    }
    # kmock stores it (no schema), as an API server with an older or hand-edited CRD would.
    sandbox.client.patch_provider(namespace, "p", junk, subresource="status")
    age_last_verification(sandbox, namespace, "p")

    obj = sandbox.wait_for_provider(
        namespace,
        "p",
        lambda o: verdict(o) == ("True", "Verified") and o["status"].get("accountID") == "123456789012",
    )
    assert obj["status"]["permissions"]["missingActions"] == 0
    assert "Synced" not in {c["type"] for c in obj["status"]["conditions"]}
