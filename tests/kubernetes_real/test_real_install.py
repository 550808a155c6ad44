"""The chart and the plain manifests, installed into the real kube-apiserver, and the operator run
with nothing but the installed ServiceAccount's rights.

``helm install`` of charts/awsip (release ``helm-awsip`` in ``awsip-helm``, with tenancy rules) and,
separately, ``kubectl apply --server-side -k deploy/`` (``awsip-system``). No pod runs here (no
scheduler, no kubelet), so the operator runs locally as ``awsip run`` with the container's own
arguments, authenticated by a token of the installed ServiceAccount (``kubectl create token``):
whatever it needs and the RBAC does not grant fails as it would in a cluster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from awsip.sandbox import scenarios
from awsip.sandbox.apiserver import ControlPlane, _free_port
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.harness import Sandbox
from tests.e2e.e2e_helpers import condition, events_of, has_verdict, is_settled, provider, secret, verdict
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import ROOT, helm, kubectl, wait_until
from tests.kubernetes_real.test_real_operator import BorrowedControlPlane

pytestmark = pytest.mark.kubernetes_real

HELM_RELEASE, HELM_NAMESPACE = "helm-awsip", "awsip-helm"
#: How a refusal by RBAC shows in the operator's log (Kopf's and the client's errors, awsip's messages).
FORBIDDEN = re.compile(r"forbidden|HTTP 403", re.IGNORECASE)
TEAM, PLATFORM, OTHER = "chart-team", "chart-platform", "chart-other"
TENANCY_RULES = [
    {"name": "team", "namespaces": [TEAM], "accounts": ["123456789012"]},
    {
        "name": "platform",
        "namespaceSelector": {"matchLabels": {"awsip.io/tier": "platform"}},
        "roleARNs": [scenarios.DEVELOPMENT.arn],
    },
]
PRODUCTION = {"roleARN": scenarios.PRODUCTION.arn, "externalID": scenarios.PRODUCTION.external_id}
STAGING = {"roleARN": scenarios.STAGING.arn, "externalID": scenarios.STAGING.external_id}
SECRET_REF = {"name": "dev-external-id", "key": "externalID"}
DEVELOPMENT = {"roleARN": scenarios.DEVELOPMENT.arn, "externalIDSecretRef": SECRET_REF}


@dataclass
class Install:
    """One installation: where its operator lives and how it is run."""

    namespace: str
    workload: str
    service_account: str
    kind: str = "deployment"


@dataclass
class World:
    control_plane: ControlPlane
    kubeconfig: Path
    sandbox: Sandbox
    workdir: Path

    @property
    def admin(self) -> SandboxClient:
        return self.control_plane.client()

    def service_account_kubeconfig(self, install: Install) -> Path:
        token = (
            kubectl(
                self.kubeconfig,
                "create",
                "token",
                install.service_account,
                "-n",
                install.namespace,
                "--duration=1h",
            )
            .check()
            .stdout.strip()
        )
        user = f"system:serviceaccount:{install.namespace}:{install.service_account}"
        return self.control_plane.write_kubeconfig(
            self.workdir / f"{install.namespace}.kubeconfig", token=token, user=user
        )

    def container(self, install: Install) -> dict[str, Any]:
        text = kubectl(
            self.kubeconfig, "get", install.kind, install.workload, "-n", install.namespace, "-o", "json"
        )
        workload = json.loads(text.check().stdout)
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        return dict(container)


class OperatorProcess:
    """``awsip run`` with the installed container's arguments, as the ServiceAccount."""

    def __init__(self, world: World, install: Install, *, pod_index: int = 0) -> None:
        container = world.container(install)
        assert container.get("command") is None, "the image's entrypoint is `awsip run`"
        # The container's environment as the kubelet would set it (the downward API for the pod
        # index of a StatefulSet replica), then $(VAR) in the arguments expanded from it.
        variables: dict[str, str] = {}
        for variable in container.get("env", []):
            if "value" in variable:
                variables[variable["name"]] = variable["value"]
            elif "pod-index" in variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", ""):
                variables[variable["name"]] = str(pod_index)
        args = []
        for raw in container["args"]:
            arg = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), raw)
            # Ports inside a pod; here, free loopback ports of this machine.
            if arg.startswith("--liveness="):
                arg = f"--liveness=http://127.0.0.1:{_free_port()}/healthz"
            elif arg.startswith("--metrics-port="):
                arg = f"--metrics-port={_free_port()}"
            args.append(arg)
        self.args = args
        self.log_path = world.workdir / f"operator-{install.namespace}.log"
        environment = {
            **os.environ,  # the sandbox's AWS settings: the operator user's keys, moto's endpoint
            "KUBECONFIG": str(world.service_account_kubeconfig(install)),
        }
        environment.pop("KUBERNETES_SERVICE_HOST", None)
        environment.update(variables)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "awsip", "run", *args],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    control_plane: ControlPlane,
    crd_installed: object,
    kubeconfig: Path,
) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("install")
    with Sandbox(workdir / "sandbox", kube=BorrowedControlPlane(control_plane)) as sandbox:
        assert sandbox.operator_user is not None
        scenarios.seed_roles(sandbox.iam(), sandbox.operator_user.arn)
        sandbox.enable_aws_auth()
        yield World(control_plane, kubeconfig, sandbox, workdir)


@pytest.fixture(scope="module")
def helm_install(world: World) -> Install:
    values = world.workdir / "values.yaml"
    values.write_text(yaml.safe_dump({"tenancy": {"rules": TENANCY_RULES}}))
    helm(
        world.kubeconfig,
        "install",
        HELM_RELEASE,
        ROOT / "charts" / "awsip",
        "-n",
        HELM_NAMESPACE,
        "--create-namespace",
        "-f",
        values,
    ).check()
    return Install(HELM_NAMESPACE, HELM_RELEASE, HELM_RELEASE)


HA_RELEASE, HA_NAMESPACE, HA_TEAM = "ha-awsip", "awsip-ha", "ha-team"


@pytest.fixture(scope="module")
def ha_install(world: World) -> Install:
    """The chart with two replicas and Kopf peering, watching one namespace (RoleBindings there)."""
    ensure_namespace(world.admin, HA_TEAM)  # the chart creates its KopfPeering in it
    helm(
        world.kubeconfig,
        "install",
        HA_RELEASE,
        ROOT / "charts" / "awsip",
        "-n",
        HA_NAMESPACE,
        "--create-namespace",
        "--set",
        "highAvailability.enabled=true",
        "--set",
        f"watchNamespaces={{{HA_TEAM}}}",
    ).check()
    return Install(HA_NAMESPACE, HA_RELEASE, HA_RELEASE, kind="statefulset")


@pytest.fixture(scope="module")
def kustomize_install(world: World) -> Install:
    kubectl(world.kubeconfig, "apply", "--server-side", "-k", ROOT / "deploy").check()
    return Install("awsip-system", "awsip", "awsip")


@pytest.fixture(scope="module")
def workspaces(world: World) -> None:
    ensure_namespace(world.admin, TEAM)
    ensure_namespace(world.admin, PLATFORM, {"awsip.io/tier": "platform"})
    ensure_namespace(world.admin, OTHER)
    for namespace in (TEAM, PLATFORM):
        world.admin.apply(
            secret(namespace, SECRET_REF["name"], {"externalID": scenarios.DEVELOPMENT.external_id})
        )


def test_helm_install_is_deployed_and_nothing_runs(world: World, helm_install: Install) -> None:
    status = json.loads(
        helm(world.kubeconfig, "status", HELM_RELEASE, "-n", HELM_NAMESPACE, "-o", "json").check().stdout
    )
    assert status["info"]["status"] == "deployed"
    deployment = json.loads(
        kubectl(world.kubeconfig, "get", "deployment", HELM_RELEASE, "-n", HELM_NAMESPACE, "-o", "json")
        .check()
        .stdout
    )
    # No controller-manager, scheduler or kubelet: the Deployment is stored but never rolls out.
    assert deployment["status"].get("readyReplicas") is None
    configmap = world.admin.get("v1", "ConfigMap", HELM_NAMESPACE, f"{HELM_RELEASE}-tenancy")
    assert configmap is not None and "rules.yaml" in configmap["data"]


def test_the_charts_service_account_can_do_what_awsip_needs(
    world: World, helm_install: Install, workspaces: None
) -> None:
    operator = OperatorProcess(world, helm_install)
    assert f"--tenancy-configmap={HELM_NAMESPACE}/{HELM_RELEASE}-tenancy" in operator.args
    try:
        client = world.admin
        client.apply(provider(TEAM, "production", PRODUCTION))
        client.apply(provider(TEAM, "staging", STAGING))
        client.apply(provider(TEAM, "from-secret", DEVELOPMENT))
        client.apply(provider(PLATFORM, "tooling", DEVELOPMENT))
        client.apply(provider(OTHER, "intruder", PRODUCTION))
        wait = world.sandbox.wait_for_provider
        try:
            wait(TEAM, "production", has_verdict("True", "Verified"), timeout=60)
            wait(TEAM, "staging", has_verdict("False", "MissingPermissions"))
            wait(TEAM, "from-secret", has_verdict("True", "Verified"))  # secrets: get
            wait(PLATFORM, "tooling", has_verdict("True", "Verified"))  # namespaces: get (selector)
            intruder = wait(OTHER, "intruder", has_verdict("False", "NotPermitted"))  # the tenancy ConfigMap
        except AssertionError as exc:
            raise AssertionError(f"{exc}\noperator log:\n{operator.log()[-5000:]}") from None
        assert "namespace" in condition(intruder, "Ready")["message"]
        # Events: created by the ServiceAccount.
        assert wait_until(lambda: ("Normal", "Verified") in events_of(world.sandbox, TEAM, "production"))
        assert wait_until(
            lambda: ("Warning", "MissingPermissions") in events_of(world.sandbox, TEAM, "staging")
        )
        # A refusal by RBAC, as Kopf, the client or awsip words it (never a timestamp's .403).
        assert FORBIDDEN.search(operator.log()) is None, operator.log()[-5000:]
        for namespace in (TEAM, PLATFORM, OTHER):  # released by the operator (its finalizer)
            for item in client.providers(namespace):
                client.delete_provider(namespace, item["metadata"]["name"])
        wait_until(
            lambda: not any(client.providers(ns) for ns in (TEAM, PLATFORM, OTHER)), what="the deletions"
        )
    finally:
        operator.stop()


def test_without_the_secrets_grant_the_provider_says_what_is_missing(
    world: World, helm_install: Install, workspaces: None
) -> None:
    role_name = f"{HELM_RELEASE}-providers"
    original = json.loads(
        kubectl(world.kubeconfig, "get", "clusterrole", role_name, "-o", "json").check().stdout
    )
    reduced = dict(original)
    reduced["rules"] = [rule for rule in original["rules"] if rule["resources"] != ["secrets"]]
    assert len(reduced["rules"]) == len(original["rules"]) - 1
    kubectl(world.kubeconfig, "replace", "-f", "-", stdin=json.dumps(reduced)).check()
    operator = OperatorProcess(world, helm_install)
    try:
        world.admin.apply(provider(TEAM, "no-grant", DEVELOPMENT))
        obj = world.sandbox.wait_for_provider(TEAM, "no-grant", is_settled, timeout=60)
        message = condition(obj, "RoleAssumed")["message"]
        assert verdict(obj)[0] == "False"
        assert (
            f'awsip is not allowed to read Secret "{SECRET_REF["name"]}" in namespace "{TEAM}" (HTTP 403)'
            in message
        )
        assert FORBIDDEN.search(message)  # what the other tests look for in the operator's log
        world.admin.delete_provider(TEAM, "no-grant")
        wait_until(lambda: world.admin.provider(TEAM, "no-grant") is None, what="the deletion")
    finally:
        operator.stop()
        restored = {k: v for k, v in original.items() if k != "metadata"}
        restored["metadata"] = {"name": role_name, "labels": original["metadata"].get("labels", {})}
        kubectl(
            world.kubeconfig,
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            "-",
            stdin=json.dumps(restored),
        ).check()


def test_kubectl_apply_k_deploy_and_its_service_account(
    world: World, kustomize_install: Install, workspaces: None
) -> None:
    operator = OperatorProcess(world, kustomize_install)
    assert "--all-namespaces" in operator.args and "--tenancy-configmap" not in " ".join(operator.args)
    try:
        world.admin.apply(provider(OTHER, "plain", PRODUCTION))
        world.admin.apply(provider(PLATFORM, "plain-secret", DEVELOPMENT))
        try:
            world.sandbox.wait_for_provider(OTHER, "plain", has_verdict("True", "Verified"), timeout=60)
            world.sandbox.wait_for_provider(PLATFORM, "plain-secret", has_verdict("True", "Verified"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}\noperator log:\n{operator.log()[-5000:]}") from None
        assert wait_until(lambda: ("Normal", "Verified") in events_of(world.sandbox, OTHER, "plain"))
        for namespace, name in ((OTHER, "plain"), (PLATFORM, "plain-secret")):
            world.admin.delete_provider(namespace, name)
            wait_until(lambda ns=namespace, n=name: world.admin.provider(ns, n) is None, what="the deletion")
    finally:
        operator.stop()


def test_peering_with_the_charts_namespaced_rbac(world: World, ha_install: Install) -> None:
    """highAvailability.enabled: the replica registers in the KopfPeering of its watched namespace
    (get/patch of that one object, list/watch of peerings) and verifies the namespace's providers."""
    operator = OperatorProcess(world, ha_install, pod_index=0)
    assert f"--namespace={HA_TEAM}" in operator.args and "--peering=awsip" in operator.args
    assert "--priority=0" in operator.args
    peering_url = f"{world.control_plane.url}/apis/kopf.dev/v1/namespaces/{HA_TEAM}/kopfpeerings/awsip"
    try:
        world.admin.apply(provider(HA_TEAM, "peered", PRODUCTION))
        try:
            world.sandbox.wait_for_provider(HA_TEAM, "peered", has_verdict("True", "Verified"), timeout=60)
            peering = wait_until(
                lambda: (found := world.admin.request("GET", peering_url)).get("status") and found,
                what="the replica's entry in the KopfPeering",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\noperator log:\n{operator.log()[-5000:]}") from None
        peers = peering["status"]
        assert [peer["priority"] for peer in peers.values()] == [0], peers
        assert FORBIDDEN.search(operator.log()) is None, operator.log()[-5000:]
        world.admin.delete_provider(HA_TEAM, "peered")
        wait_until(lambda: world.admin.provider(HA_TEAM, "peered") is None, what="the deletion")
    finally:
        operator.stop()
