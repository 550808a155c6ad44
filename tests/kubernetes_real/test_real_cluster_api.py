"""spec.clusterAPI.roleIdentity against the real kube-apiserver: CAPA's AWSClusterRoleIdentity CRD
(tests/fixtures/capa, from CAPA's published v1beta2 fields) installed as a cluster would have it,
so every identity awsip writes goes through the API server's schema validation, merge patches with a
resourceVersion precondition, deletes with a uid precondition, ``metadata.generation``, and Kopf's
finalizer on a real deletion. The first test runs before the CRD exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from awsip.clusterapi import role_identity as ri
from awsip.sandbox import scenarios
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.harness import SANDBOX_OPERATOR_CONFIG, Sandbox
from tests.e2e.e2e_helpers import age_last_verification, condition, has_verdict, provider
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import ROOT, argocd_health, kstatus, kubectl, wait_until
from tests.kubernetes_real.test_real_operator import BorrowedControlPlane
from tests.support import capa

pytestmark = pytest.mark.kubernetes_real

PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
DEVELOPMENT = {"roleARN": scenarios.DEVELOPMENT.arn, "externalID": scenarios.DEVELOPMENT.external_id}
STAGING = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, control_plane: ControlPlane, crd_installed: object
) -> Iterator[Sandbox]:
    config = replace(SANDBOX_OPERATOR_CONFIG, cluster_api_identities=True)
    with Sandbox(
        tmp_path_factory.mktemp("real-capa"), kube=BorrowedControlPlane(control_plane), operator_config=config
    ) as world:
        assert world.operator_user is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        world.start_operator()
        yield world


def install_capa_crd(kubeconfig: Path) -> None:
    kubectl(kubeconfig, "apply", "--server-side", "-f", capa.CRD_FILE).check()
    kubectl(
        kubeconfig, "wait", "--for=condition=Established", f"crd/{ri.PLURAL}.{ri.GROUP}", "--timeout=60s"
    ).check()
    wait_until(
        lambda: kubectl(kubeconfig, "get", f"{ri.PLURAL}.{ri.GROUP}").returncode == 0,
        what="discovery of awsclusterroleidentities",
    )


@pytest.fixture()
def capa_installed(sandbox: Sandbox, kubeconfig: Path) -> None:
    install_capa_crd(kubeconfig)


@pytest.fixture()
def namespace(sandbox: Sandbox, request: pytest.FixtureRequest) -> str:
    name = "capa-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower()).strip("-")
    return ensure_namespace(sandbox.client, name[:63].rstrip("-"))


def wants(name: str) -> dict[str, Any]:
    return {"clusterAPI": {"roleIdentity": {"name": name}}}


def identity_is(status: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        found = condition(obj, "ClusterIdentityReady")
        return (found.get("status"), found.get("reason")) == (status, reason)

    return check


def judged(obj: dict[str, Any]) -> tuple[str, str]:
    ((status, _message),) = kstatus([obj])
    (health,) = argocd_health([obj])
    return status, health["status"]


def test_without_capas_crd_the_condition_says_so_until_it_is_installed(
    sandbox: Sandbox, namespace: str, kubeconfig: Path
) -> None:
    # First in the module: nothing serves awsclusterroleidentities yet.
    assert kubectl(kubeconfig, "get", f"crd/{ri.PLURAL}.{ri.GROUP}").returncode != 0
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(f"{namespace}-later")}))
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("False", "ClusterAPINotInstalled"))
    # Ready (and so kstatus and Argo CD) are about the AWS verification alone.
    assert has_verdict("True", "Verified")(obj)
    assert judged(obj) == ("Current", "Healthy")
    assert sandbox.operator is not None and sandbox.operator.running

    install_capa_crd(kubeconfig)

    obj = sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"), timeout=60)
    found = capa.identity(sandbox.client, f"{namespace}-later")
    assert found is not None and found["spec"]["allowedNamespaces"] == {"list": [namespace]}


def test_creation_update_and_deletion(sandbox: Sandbox, namespace: str, capa_installed: None) -> None:
    name = f"{namespace}-prod"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))
    assert condition(obj, "ClusterIdentityReady")["observedGeneration"] == obj["metadata"]["generation"] == 1
    created = capa.identity(sandbox.client, name)
    assert created is not None
    assert created["spec"] == {
        "allowedNamespaces": {"list": [namespace]},
        "roleARN": scenarios.PRODUCTION.arn,
        "durationSeconds": 900,
        "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "default"},
        "externalID": scenarios.PRODUCTION.external_id,
    }
    assert created["metadata"]["annotations"][ri.OWNER_UID] == obj["metadata"]["uid"]

    # A new role and External ID: a new generation, verified, then the identity follows.
    sandbox.client.patch_provider(namespace, "p", {"spec": DEVELOPMENT})

    def follows(o: dict[str, Any]) -> bool:
        found = capa.identity(sandbox.client, name)
        return (
            o["metadata"]["generation"] == 2
            and identity_is("True", "IdentitySynced")(o)
            and condition(o, "ClusterIdentityReady").get("observedGeneration") == 2
            and found is not None
            and found["spec"]["roleARN"] == scenarios.DEVELOPMENT.arn
        )

    sandbox.wait_for_provider(namespace, "p", follows, what="the identity of generation 2")
    updated = capa.identity(sandbox.client, name)
    assert updated is not None and updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["spec"]["externalID"] == scenarios.DEVELOPMENT.external_id

    # Deletion: Kopf's finalizer holds the provider until its identity is gone.
    sandbox.client.delete_provider(namespace, "p")
    wait_until(lambda: sandbox.client.provider(namespace, "p") is None, what="the provider's deletion")
    assert capa.identity(sandbox.client, name) is None


def test_refusal_to_adopt_leaves_health_alone(sandbox: Sandbox, namespace: str, capa_installed: None) -> None:
    name = f"{namespace}-hand-made"
    original = capa.create(sandbox.client, capa.hand_made(name, namespace))
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("False", "IdentityNotOwned"))
    assert has_verdict("True", "Verified")(obj)
    assert judged(obj) == ("Current", "Healthy")
    assert capa.identity(sandbox.client, name) == original

    sandbox.client.delete_provider(namespace, "p")
    wait_until(lambda: sandbox.client.provider(namespace, "p") is None, what="the provider's deletion")
    assert capa.identity(sandbox.client, name) == original
    capa.delete(sandbox.client, name)


def test_namespace_restriction_and_not_ready(sandbox: Sandbox, namespace: str, capa_installed: None) -> None:
    name = f"{namespace}-narrow"
    sandbox.client.apply(provider(namespace, "p", {**PRODUCTION, **wants(name)}))
    sandbox.wait_for_provider(namespace, "p", identity_is("True", "IdentitySynced"))

    widened = {"list": [namespace, "someone-else"], "selector": {"matchLabels": {"any": "thing"}}}
    capa.patch(sandbox.client, name, {"spec": {"allowedNamespaces": widened}})
    aged = age_last_verification(sandbox, namespace, "p")
    sandbox.wait_for_provider(
        namespace, "p", lambda o: o["status"]["lastVerifiedTime"] != aged["status"]["lastVerifiedTime"]
    )
    wait_until(
        lambda: (
            (capa.identity(sandbox.client, name) or {}).get("spec", {}).get("allowedNamespaces")
            == {"list": [namespace]}
        ),
        what="allowedNamespaces narrowed back",
    )

    # The role fails now: the identity is kept with the role last verified, and marked.
    sandbox.client.patch_provider(namespace, "p", {"spec": STAGING})
    obj = sandbox.wait_for_provider(namespace, "p", identity_is("False", "ProviderNotReady"))
    kept = capa.identity(sandbox.client, name)
    assert kept is not None and kept["spec"]["roleARN"] == scenarios.PRODUCTION.arn
    assert kept["metadata"]["annotations"][ri.PROVIDER_READY] == "False"
    assert judged(obj)[0] == "Failed"  # Stalled, as for any provider that is not Ready: the verdict


def test_the_charts_grant_lets_the_service_account_manage_identities_only_when_enabled(
    control_plane: ControlPlane, kubeconfig: Path, tmp_path: Path, capa_installed: None
) -> None:
    """The chart's ClusterRole, applied and asked through the real authorizer (kubectl auth can-i)."""
    namespace = ensure_namespace(control_plane.client(), "capa-rbac")
    helm = ROOT / ".tools" / "helm"
    for enabled in ("true", "false"):
        rendered = _run([helm, "template", "capa-rbac", ROOT / "charts" / "awsip", "-n", namespace,
                         "--set", f"clusterAPI.roleIdentities.enabled={enabled}"])  # fmt: skip
        documents = [d for d in yaml.safe_load_all(rendered) if d]
        wanted = [
            d for d in documents if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")
        ]
        manifest = tmp_path / f"rbac-{enabled}.yaml"
        manifest.write_text(yaml.safe_dump_all(wanted))
        kubectl(kubeconfig, "apply", "--server-side", "-f", manifest).check()
        account = f"system:serviceaccount:{namespace}:capa-rbac-awsip"
        for verb in ("get", "list", "watch", "create", "update", "patch", "delete"):
            answer = kubectl(kubeconfig, "auth", "can-i", verb, f"{ri.PLURAL}.{ri.GROUP}", "--as", account)
            assert answer.stdout.strip() == ("yes" if enabled == "true" else "no"), (verb, enabled, answer)
        if enabled == "true":  # take the grant away again for the next round
            kubectl(
                kubeconfig, "delete", "clusterrolebinding", "capa-rbac-awsip-cluster-api-identities"
            ).check()
        assert kubectl(kubeconfig, "auth", "can-i", "get", "awsclusters.infrastructure.cluster.x-k8s.io",
                       "-n", namespace, "--as", account).stdout.strip() == "no"  # fmt: skip


def _run(args: list[Any]) -> str:
    import subprocess

    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout
