"""Helpers for the delivery tests: run helm, load rendered manifests, validate them, read RBAC."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "awsip"
CRD_FILE = ROOT / "crds" / "awsinfrastructureproviders.infrastructure.awsip.io.yaml"
CHART_CRD_FILE = CHART / "crds" / CRD_FILE.name
DEPLOY = ROOT / "deploy"
GITOPS = ROOT / "gitops"
TOOLS = ROOT / ".tools"
RELEASE = "awsip"
NAMESPACE = "awsip-system"
#: The Kubernetes version the manifests are validated against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.35.0"

Doc = dict[str, Any]


def tool(name: str) -> Path:
    """A binary from .tools/ (helm, kubectl). Missing tools fail the test: they are not optional."""
    path = TOOLS / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: run `make tools` to fetch helm and kubectl", pytrace=False)
    return path


@dataclass(frozen=True)
class HelmResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def docs(self) -> list[Doc]:
        assert self.returncode == 0, self.stderr
        return [doc for doc in yaml.safe_load_all(self.stdout) if doc]


@functools.cache
def _helm(args: tuple[str, ...]) -> HelmResult:
    result = subprocess.run(
        [str(tool("helm")), *args], capture_output=True, text=True, check=False, timeout=60
    )
    return HelmResult(result.returncode, result.stdout, result.stderr)


def helm(*args: str) -> HelmResult:
    return _helm(tuple(args))


def template(*values: str, namespace: str = NAMESPACE, extra: Iterable[str] = ()) -> HelmResult:
    """`helm template awsip charts/awsip -n NAMESPACE --set V ...` (each value is one --set)."""
    args = ["template", RELEASE, str(CHART), "--namespace", namespace, *extra]
    for value in values:
        args += ["--set", value]
    return helm(*args)


def render(*values: str, namespace: str = NAMESPACE, extra: Iterable[str] = ()) -> list[Doc]:
    result = template(*values, namespace=namespace, extra=extra)
    if result.returncode != 0:
        pytest.fail(f"helm template failed for {values}:\n{result.stderr}", pytrace=False)
    return result.docs


def by_kind(docs: Iterable[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: Iterable[Doc], kind: str, name: str | None = None) -> Doc:
    found = [doc for doc in by_kind(docs, kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def workload(docs: Iterable[Doc]) -> Doc:
    found = [doc for doc in docs if doc["kind"] in ("Deployment", "StatefulSet")]
    assert len(found) == 1, [doc["kind"] for doc in found]
    return found[0]


def operator_container(docs: Iterable[Doc]) -> Doc:
    containers = workload(docs)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["awsip"]
    container: Doc = containers[0]
    return container


def load_yaml(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def load_script(path: Path, name: str) -> ModuleType:
    """Import a script that is not a module name (scripts/render-deploy.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# RBAC: a small evaluator of what the rendered roles and bindings allow the service account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One rule of one role, as it applies through one binding."""

    namespace: str | None  # None: every namespace (ClusterRoleBinding) or cluster-scoped resources
    api_group: str
    resource: str
    verbs: frozenset[str]
    resource_names: frozenset[str]  # empty: every name
    role: str


def grants(docs: Iterable[Doc], service_account: str, sa_namespace: str) -> list[Grant]:
    """Every (rule, binding) pair that applies to the service account."""
    docs = list(docs)
    roles = {(doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]): doc for doc in docs}
    result = []
    for binding in docs:
        if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        subjects = binding.get("subjects", [])
        if not any(
            s["kind"] == "ServiceAccount"
            and s["name"] == service_account
            and s.get("namespace") == sa_namespace
            for s in subjects
        ):
            continue
        ref = binding["roleRef"]
        binding_ns = binding["metadata"].get("namespace") if binding["kind"] == "RoleBinding" else None
        role_ns = binding_ns if ref["kind"] == "Role" else None
        role = roles.get((ref["kind"], role_ns, ref["name"]))
        assert role is not None, f"{binding['kind']} {binding['metadata']['name']} refers to a missing {ref}"
        for rule in role.get("rules", []):
            assert "nonResourceURLs" not in rule, rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    result.append(
                        Grant(
                            namespace=binding_ns,
                            api_group=group,
                            resource=resource,
                            verbs=frozenset(rule["verbs"]),
                            resource_names=frozenset(rule.get("resourceNames", [])),
                            role=f"{role['kind']}/{role['metadata']['name']}",
                        )
                    )
    return result


def allowed(
    all_grants: Iterable[Grant],
    verb: str,
    api_group: str,
    resource: str,
    namespace: str | None = None,
    name: str | None = None,
) -> bool:
    """Would the API server allow the request? (RBAC rules are purely additive.)"""
    for grant in all_grants:
        if grant.api_group not in (api_group, "*") or grant.resource not in (resource, "*"):
            continue
        if verb not in grant.verbs and "*" not in grant.verbs:
            continue
        if grant.namespace is not None and grant.namespace != namespace:
            continue
        if grant.resource_names and (name is None or name not in grant.resource_names):
            continue
        return True
    return False


def pod_specs(docs: Iterable[Doc]) -> Iterator[tuple[str, Doc]]:
    """(description, pod spec) of every pod the manifests would create."""
    for doc in docs:
        kind = doc["kind"]
        if kind == "Pod":
            yield f"Pod/{doc['metadata']['name']}", doc["spec"]
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            yield f"{kind}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def restricted_violations(pod: Mapping[str, Any]) -> list[str]:
    """Violations of the Pod Security Standard "restricted" (latest), as the admission plugin checks it."""
    problems = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            problems.append(f"{field} is set")
    pod_sc = pod.get("securityContext", {})
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume['name']} has type {kinds}")
    if pod_sc.get("runAsUser") == 0:
        problems.append("pod runAsUser is 0")
    pod_seccomp = pod_sc.get("seccompProfile", {}).get("type")
    for container in pod.get("initContainers", []) + pod["containers"]:
        sc = container.get("securityContext", {})
        where = f"container {container['name']}"
        if sc.get("privileged"):
            problems.append(f"{where} is privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where} does not set allowPrivilegeEscalation: false")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            problems.append(f"{where} does not drop ALL capabilities")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{where} adds capabilities {caps['add']}")
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            problems.append(f"{where} may run as root (runAsNonRoot)")
        if sc.get("runAsUser") == 0:
            problems.append(f"{where} runAsUser is 0")
        seccomp = sc.get("seccompProfile", {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where} has seccomp profile {seccomp}")
        for port in container.get("ports", []):
            if port.get("hostPort"):
                problems.append(f"{where} uses hostPort {port['hostPort']}")
    return problems
