"""spec.clusterAPI.roleIdentity while CAPA's CRDs are not installed (kmock serves no
awsclusterroleidentities), then once they are: a clear condition, no crash, retried with backoff."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from awsip.controller import handlers
from awsip.controller.runtime import Runtime
from awsip.sandbox import scenarios
from awsip.sandbox.harness import SANDBOX_OPERATOR_CONFIG, Sandbox
from tests.e2e.e2e_helpers import condition, provider
from tests.support import capa

pytestmark = pytest.mark.e2e

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, operator_logs: io.StringIO) -> Iterator[Sandbox]:
    config = replace(SANDBOX_OPERATOR_CONFIG, cluster_api_identities=True)
    with Sandbox(tmp_path_factory.mktemp("sandbox"), operator_config=config) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn, [scenarios.PRODUCTION])
        world.enable_aws_auth()
        world.start_operator()  # CAPA's CRD is not declared
        yield world


def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


def test_a_provider_deleted_while_the_crd_is_missing_goes_at_once(sandbox: Sandbox, namespace: str) -> None:
    # First in the module: the next test installs the CRD.
    spec = {**PRODUCTION, "clusterAPI": {"roleIdentity": {"name": "never"}}}
    sandbox.client.apply(provider(namespace, "gone", spec))
    sandbox.wait_for_provider(
        namespace,
        "gone",
        lambda o: condition(o, "ClusterIdentityReady").get("reason") == "ClusterAPINotInstalled",
    )
    sandbox.client.delete_provider(namespace, "gone")
    eventually(lambda: sandbox.client.provider(namespace, "gone") is None)


def test_missing_crd_is_a_condition_then_the_identity_once_it_is_installed(
    sandbox: Sandbox, namespace: str, operator_logs: io.StringIO
) -> None:
    spec = {**PRODUCTION, "clusterAPI": {"roleIdentity": {"name": "later"}}}
    sandbox.client.apply(provider(namespace, "p", spec))
    obj = sandbox.wait_for_provider(
        namespace,
        "p",
        lambda o: condition(o, "ClusterIdentityReady").get("reason") == "ClusterAPINotInstalled",
    )
    assert condition(obj, "ClusterIdentityReady")["status"] == "False"
    assert "install Cluster API Provider AWS" in condition(obj, "ClusterIdentityReady")["message"]
    assert (condition(obj, "Ready")["status"], condition(obj, "Ready")["reason"]) == ("True", "Verified")

    # No crash loop: the operator runs on, the provider's loop waits for its next retry (backoff).
    assert sandbox.operator is not None and sandbox.operator.running
    runtime = sandbox.operator.memo[handlers.RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    tracked = runtime.providers[obj["metadata"]["uid"]]
    eventually(lambda: tracked.identity_failures >= 2)
    assert tracked.identity_retry_at is not None
    verifications = tracked.body["status"]["lastVerifiedTime"]

    capa.declare_in_kmock(sandbox.kube.emulator)  # CAPA gets installed

    obj = sandbox.wait_for_provider(
        namespace, "p", lambda o: condition(o, "ClusterIdentityReady").get("status") == "True", timeout=30
    )
    found = capa.identity(sandbox.client, "later")
    assert found is not None and capa.schema_errors(found) == []
    assert found["spec"]["allowedNamespaces"] == {"list": [namespace]}
    # The retries asked Kubernetes only; AWS was not asked again (the same verification).
    assert obj["status"]["lastVerifiedTime"] == verifications
    assert "is not served" in operator_logs.getvalue()
