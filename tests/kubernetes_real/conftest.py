"""The real-Kubernetes tier: one etcd + kube-apiserver for the whole test session.

The control plane comes from ``.tools/kube`` (``scripts/build-kube-tools.sh``, which ``make test``
runs). If it is missing or cannot start, every test of this tier fails with the reason: nothing
here is skipped. There is no scheduler or kubelet: pods never run (see awsip.sandbox.apiserver).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from awsip.api import constants
from awsip.sandbox.apiserver import ControlPlane, ControlPlaneError
from awsip.sandbox.client import SandboxClient
from tests.kubernetes_real.real_kube_helpers import CRD_FILE, kubectl, wait_until


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    plane = ControlPlane(tmp_path_factory.mktemp("control-plane"))
    reason = None
    try:
        plane.start()
    except ControlPlaneError as exc:
        reason = str(exc)
    if reason is not None:  # outside the except block: the reason alone, no chained traceback
        pytest.fail(f"the real control plane cannot start: {reason}", pytrace=False)
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def kubeconfig(control_plane: ControlPlane) -> Path:
    """The admin's kubeconfig (system:masters)."""
    return control_plane.kubeconfig


@pytest.fixture(scope="session")
def crd_installed(control_plane: ControlPlane, kubeconfig: Path) -> dict[str, object]:
    """The committed CRD, applied as a user would and Established (schema and CEL accepted)."""
    kubectl(kubeconfig, "apply", "--server-side", "-f", CRD_FILE).check()
    kubectl(
        kubeconfig, "wait", "--for=condition=Established", f"crd/{constants.CRD_NAME}", "--timeout=60s"
    ).check()
    # Discovery of the new resource can lag a moment behind Established.
    wait_until(
        lambda: kubectl(kubeconfig, "get", constants.PLURAL, "-A").returncode == 0,
        what="discovery of the CRD's resource",
    )
    crd: dict[str, object] = control_plane.client().request(
        "GET",
        f"{control_plane.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{constants.CRD_NAME}",
    )
    return crd


@pytest.fixture(scope="session")
def admin(control_plane: ControlPlane) -> SandboxClient:
    return control_plane.client()


def ensure_namespace(client: SandboxClient, name: str, labels: dict[str, str] | None = None) -> str:
    metadata: dict[str, object] = {"name": name}
    if labels:
        metadata["labels"] = labels
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
    return name
