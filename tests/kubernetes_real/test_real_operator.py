"""The operator end to end against the real kube-apiserver (and moto, IAM auth on).

The scenarios of tests/e2e, where kmock stands in for Kubernetes, here with what kmock lacks or
only imitates: schema and CEL validation at admission, ``metadata.generation`` (bumped by the API
server on every spec change, never by a metadata or status write), RBAC, field selectors and
watches as a cluster serves them. Every status read back is also judged by the real kstatus library (Flux) and by Argo
CD's health check under gopher-lua, and ``kubectl wait`` must tell the truth about Ready.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from awsip.sandbox import scenarios
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.harness import Sandbox
from awsip.sandbox.operator_runner import OperatorRunner
from tests.e2e.e2e_helpers import condition, events_of, has_verdict, is_settled, provider, secret, verdict
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import (
    PROVIDERS_PATH,
    Recorder,
    argocd_health,
    call,
    kstatus,
    kubectl,
    wait_until,
)

pytestmark = pytest.mark.kubernetes_real

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
STAGING = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}
WRONG_EXTERNAL_ID = "acme-partner-0badc0de"


class BorrowedControlPlane:
    """The session's control plane lent to a Sandbox, which neither starts nor stops it."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.url = plane.url

    def start(self) -> BorrowedControlPlane:
        return self

    def stop(self) -> None:
        pass

    def write_kubeconfig(self, path: Path) -> Path:
        return self.plane.write_kubeconfig(path)

    def client(self) -> SandboxClient:
        return self.plane.client()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, control_plane: ControlPlane, crd_installed: object
) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("real-sandbox"), kube=BorrowedControlPlane(control_plane)) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        world.start_operator()
        yield world
        # While the operator still runs (it releases its finalizers): leave no provider for the
        # other modules' operators to verify.
        for item in world.client.providers():
            world.client.delete_provider(item["metadata"]["namespace"], item["metadata"]["name"])
        wait_until(lambda: not world.client.providers(), what="the deletion of this module's providers")


@pytest.fixture()
def namespace(sandbox: Sandbox, request: pytest.FixtureRequest) -> str:
    name = "real-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower()).strip("-")
    return ensure_namespace(sandbox.client, name[:63].rstrip("-"))


def judged(obj: dict[str, Any]) -> tuple[str, str]:
    """(kstatus, Argo CD health) of a provider as read back from the API server."""
    ((status, _message),) = kstatus([obj])
    (health,) = argocd_health([obj])
    assert "error" not in health, health
    return status, health["status"]


def assert_final_generation(obj: dict[str, Any]) -> None:
    generation = obj["metadata"]["generation"]
    assert obj["status"]["observedGeneration"] == generation
    assert all(c["observedGeneration"] == generation for c in obj["status"]["conditions"])


def kubectl_wait(kubeconfig: Path, namespace: str, name: str, timeout: str) -> tuple[int, str]:
    result = kubectl(
        kubeconfig, "wait", "--for=condition=Ready", f"awsip/{name}", "-n", namespace, f"--timeout={timeout}"
    )
    return result.returncode, result.stdout + result.stderr


def test_compliant_role_is_ready_and_kubectl_wait_returns(
    sandbox: Sandbox, namespace: str, kubeconfig: Path
) -> None:
    sandbox.client.apply(provider(namespace, "production", PRODUCTION))

    code, output = kubectl_wait(kubeconfig, namespace, "production", "60s")
    assert code == 0 and "condition met" in output, output
    obj = sandbox.wait_for_provider(namespace, "production", has_verdict("True", "Verified"))
    assert obj["metadata"]["generation"] == 1
    assert_final_generation(obj)
    assert obj["status"]["accountID"] == "123456789012"
    assert obj["metadata"]["finalizers"] == ["awsip.io/finalizer"]
    assert judged(obj) == ("Current", "Healthy")
    assert events_of(sandbox, namespace, "production") == [("Normal", "Verified")]


def test_wrong_external_id_is_stalled_and_kubectl_wait_times_out(
    sandbox: Sandbox, namespace: str, kubeconfig: Path
) -> None:
    spec = {"roleARN": scenarios.PARTNER.arn, "externalID": WRONG_EXTERNAL_ID}
    sandbox.client.apply(provider(namespace, "partner", spec))
    obj = sandbox.wait_for_provider(namespace, "partner", is_settled)

    assert verdict(obj) == ("False", "AccessDenied")
    assert condition(obj, "Stalled")["status"] == "True"
    assert_final_generation(obj)
    assert judged(obj) == ("Failed", "Degraded")
    code, output = kubectl_wait(kubeconfig, namespace, "partner", "3s")
    assert code != 0 and "timed out" in output, output


def test_missing_permissions_names_the_actions(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "staging", STAGING))
    obj = sandbox.wait_for_provider(namespace, "staging", is_settled)

    assert verdict(obj) == ("False", "MissingPermissions")
    assert {m["action"] for m in obj["status"]["permissions"]["missing"]} == set(
        scenarios.STAGING.missing_actions
    )
    assert judged(obj) == ("Failed", "Degraded")
    assert wait_until(lambda: events_of(sandbox, namespace, "staging") == [("Warning", "MissingPermissions")])


def test_wildcard_trust_principal(sandbox: Sandbox, namespace: str) -> None:
    spec = {"roleARN": scenarios.SHARED.arn, "externalID": scenarios.SHARED.external_id}
    sandbox.client.apply(provider(namespace, "shared", spec))
    obj = sandbox.wait_for_provider(namespace, "shared", is_settled)

    assert verdict(obj) == ("False", "WildcardPrincipal")
    assert judged(obj) == ("Failed", "Degraded")


def test_external_id_from_a_secret_and_a_missing_secret(sandbox: Sandbox, namespace: str) -> None:
    ref = {"name": "dev-external-id", "key": "externalID"}
    spec = {"roleARN": scenarios.DEVELOPMENT.arn, "externalIDSecretRef": ref}
    sandbox.client.apply(provider(namespace, "from-secret", spec))
    missing = sandbox.wait_for_provider(namespace, "from-secret", is_settled)
    assert verdict(missing) == ("False", "ExternalIDSecretNotFound")
    assert judged(missing) == ("Failed", "Degraded")

    # The Secret arrives (stringData: the API server stores it base64 in data); a spec change
    # makes a new generation, which is verified.
    sandbox.client.apply(secret(namespace, ref["name"], {"externalID": scenarios.DEVELOPMENT.external_id}))
    sandbox.client.patch_provider(namespace, "from-secret", {"spec": {"displayName": "with its Secret"}})
    obj = sandbox.wait_for_provider(
        namespace,
        "from-secret",
        lambda o: has_verdict("True", "Verified")(o) and o["metadata"]["generation"] == 2,
    )
    assert_final_generation(obj)
    assert judged(obj) == ("Current", "Healthy")


def test_spec_update_goes_through_a_new_generation(
    sandbox: Sandbox, namespace: str, control_plane: ControlPlane
) -> None:
    sandbox.client.apply(provider(namespace, "moving", STAGING))
    first = sandbox.wait_for_provider(namespace, "moving", has_verdict("False", "MissingPermissions"))
    assert (first["metadata"]["generation"], first["status"]["observedGeneration"]) == (1, 1)
    recorder = Recorder(control_plane, namespace, "moving").start()
    time.sleep(0.5)  # the watch's initial ADDED event

    # A metadata-only change is no new generation; a spec change is.
    sandbox.client.patch_provider(namespace, "moving", {"metadata": {"labels": {"team": "a"}}})
    sandbox.client.patch_provider(namespace, "moving", {"spec": PRODUCTION})

    obj = sandbox.wait_for_provider(
        namespace, "moving", lambda o: is_settled(o) and o["status"]["observedGeneration"] == 2
    )
    time.sleep(0.5)
    history = recorder.stop()
    assert verdict(obj) == ("True", "Verified")
    assert obj["metadata"]["generation"] == 2
    assert_final_generation(obj)

    statuses = kstatus(history)
    healths = argocd_health(history)
    assert all("error" not in h for h in healths), healths
    # Every version the watch saw: first the old verdict (Failed), then generation 2 on its way
    # (InProgress: observedGeneration behind, or Reconciling True), then Current.
    assert statuses[0][0] == "Failed" and statuses[-1][0] == "Current", statuses
    in_progress = [
        (version, status, health["status"])
        for version, (status, _), health in zip(history, statuses, healths, strict=True)
        if status == "InProgress"
    ]
    assert in_progress, statuses
    assert all(health == "Progressing" for _, _, health in in_progress), in_progress
    # A verification quicker than the Reconciling delay goes straight to its verdict (observedGeneration
    # behind said InProgress meanwhile); a slower one says Reconciling first, for generation 2.
    reconciling = [
        condition(v, "Reconciling") for v in history if condition(v, "Reconciling").get("status") == "True"
    ]
    assert all(c["observedGeneration"] == 2 for c in reconciling), reconciling
    assert healths[-1]["status"] == "Healthy"


def test_an_invalid_spec_never_reaches_the_operator(
    sandbox: Sandbox, namespace: str, control_plane: ControlPlane
) -> None:
    """kmock stores anything, so tests/e2e shows the operator's InvalidSpec verdict; a real API
    server refuses the object at admission and names the fields."""
    obj = provider(namespace, "broken", {"roleARN": "not-an-arn", "durationSeconds": 60})
    response = call(control_plane, "POST", PROVIDERS_PATH.format(namespace=namespace), obj)
    assert response.code == 422
    assert "spec.roleARN" in response.message and "spec.durationSeconds" in response.message
    assert sandbox.client.provider(namespace, "broken") is None


def test_deletion_waits_for_the_finalizer(sandbox: Sandbox, namespace: str) -> None:
    sandbox.client.apply(provider(namespace, "doomed", PRODUCTION))
    sandbox.client.apply(provider(namespace, "orphan", PRODUCTION))
    for name in ("doomed", "orphan"):
        sandbox.wait_for_provider(namespace, name, has_verdict("True", "Verified"))

    sandbox.client.delete_provider(namespace, "doomed")
    wait_until(lambda: sandbox.client.provider(namespace, "doomed") is None, what="the deletion")

    sandbox.stop_operator()
    try:
        sandbox.client.delete_provider(namespace, "orphan")
        time.sleep(0.5)
        held = sandbox.client.provider(namespace, "orphan")
        assert held is not None and held["metadata"].get("deletionTimestamp")
        assert kstatus([held])[0][0] == "Terminating"
    finally:
        sandbox.start_operator()
    wait_until(lambda: sandbox.client.provider(namespace, "orphan") is None, what="the deletion")


def test_tenancy_rules(sandbox: Sandbox, control_plane: ControlPlane) -> None:
    client = sandbox.client
    rules_namespace, allowed, denied = "real-tenancy-system", "real-tenancy-allowed", "real-tenancy-denied"
    for name in (rules_namespace, allowed, denied):
        ensure_namespace(client, name)
    rules = {"rules": [{"name": "prod", "namespaces": [allowed], "roleARNs": [scenarios.PRODUCTION.arn]}]}
    client.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "awsip-tenancy", "namespace": rules_namespace},
            "data": {"rules.yaml": yaml.safe_dump(rules)},
        }
    )
    sandbox.stop_operator()
    config = replace(
        sandbox.operator_config,
        kubeconfig=str(sandbox.kubeconfig),
        tenancy_configmap=f"{rules_namespace}/awsip-tenancy",
    )
    operator = OperatorRunner(config, namespaces=(allowed, denied)).start()
    try:
        client.apply(provider(allowed, "owner", PRODUCTION))
        client.apply(provider(denied, "intruder", PRODUCTION))
        owner = sandbox.wait_for_provider(allowed, "owner", has_verdict("True", "Verified"))
        intruder = sandbox.wait_for_provider(denied, "intruder", has_verdict("False", "NotPermitted"))
        assert condition(intruder, "Stalled")["status"] == "True"
        assert judged(owner) == ("Current", "Healthy")
        assert judged(intruder) == ("Failed", "Degraded")
        for namespace, name in ((allowed, "owner"), (denied, "intruder")):
            client.delete_provider(namespace, name)
            wait_until(lambda ns=namespace, n=name: client.provider(ns, n) is None, what="the deletion")
    finally:
        operator.stop()
        sandbox.start_operator()
