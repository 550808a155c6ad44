"""Status writes bound to one object's uid, on the real kube-apiserver (issue 14, item 1).

What the real API server does with the two ways of saying "only this object": it ignores
``metadata.uid`` in a merge patch of the status subresource (so a merge patch cannot be bound),
and it refuses a JSON patch whose ``test`` of ``/metadata/uid`` fails -- which is what the operator
sends (:func:`awsip.status.uid_bound_patch`). Then the runtime itself: a loop whose object was
replaced under its name ends without writing onto the new one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from awsip.api import constants
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.kube_client import KubeClient, PatchRefusedError, load_configuration
from awsip.controller.runtime import Runtime
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.client import SandboxClient
from awsip.status import uid_bound_patch
from awsip.verification import Check, ProviderInputs, ProviderRef, VerificationResult
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import PROVIDERS_PATH, call

pytestmark = pytest.mark.kubernetes_real

ARN = "arn:aws:iam::123456789012:role/capa"
STATUS = {"lastVerifiedTime": "2026-01-01T00:00:00Z"}
OTHER_UID = "00000000-0000-0000-0000-000000000000"


def provider(namespace: str, name: str, external_id: str) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"roleARN": ARN, "externalID": external_id},
    }


def create(control_plane: ControlPlane, namespace: str, name: str, external_id: str) -> dict[str, Any]:
    response = call(
        control_plane,
        "POST",
        PROVIDERS_PATH.format(namespace=namespace),
        provider(namespace, name, external_id),
    )
    assert response.code == 201, response.body
    return response.body


@pytest.fixture()
def namespace(admin: SandboxClient, crd_installed: object, request: pytest.FixtureRequest) -> str:
    return ensure_namespace(admin, f"real-uid-{request.node.name.split('_')[-1][:20]}")


def test_the_api_server_ignores_a_uid_in_a_merge_patch_of_the_status(
    control_plane: ControlPlane, namespace: str
) -> None:
    created = create(control_plane, namespace, "merge", "ext-id-merge")
    path = PROVIDERS_PATH.format(namespace=namespace) + "/merge/status"
    response = call(
        control_plane,
        "PATCH",
        path,
        {"metadata": {"uid": OTHER_UID}, "status": STATUS},
        content_type="application/merge-patch+json",
    )
    # Accepted, and written: the uid was no precondition (why the operator does not rely on it).
    assert response.code == 200
    assert response.body["metadata"]["uid"] == created["metadata"]["uid"]
    assert response.body["status"] == STATUS


def test_a_uid_bound_status_patch_is_refused_for_any_other_object(
    control_plane: ControlPlane, kubeconfig: Path, namespace: str
) -> None:
    created = create(control_plane, namespace, "bound", "ext-id-bound")
    kube = KubeClient(load_configuration(str(kubeconfig)))
    try:
        with pytest.raises(PatchRefusedError) as refused:
            kube.patch_status(namespace, "bound", uid_bound_patch(None, STATUS, uid=OTHER_UID))
        assert refused.value.status == 422
        assert "status" not in kube.read_provider(namespace, "bound")

        stored = kube.patch_status(
            namespace, "bound", uid_bound_patch(None, STATUS, uid=created["metadata"]["uid"])
        )
        assert stored["status"] == STATUS
        # A heartbeat: one member, still bound.
        later = {"lastVerifiedTime": "2026-01-01T01:00:00Z"}
        operations = uid_bound_patch(STATUS, later, uid=created["metadata"]["uid"])
        assert [op["op"] for op in operations] == ["test", "add"]
        assert kube.patch_status(namespace, "bound", operations)["status"] == later
    finally:
        kube.close()


class SlowVerify:
    """verify() that says Verified after ``seconds``; ``started`` is set when it begins."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = threading.Event()

    def __call__(
        self, namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        self.started.set()
        time.sleep(self.seconds)
        return VerificationResult(
            ref=ProviderRef(namespace, name),
            role_arn=spec.role_arn,
            role_assumed=Check("True", "AssumeRoleSucceeded", "assumed"),
            trust=Check("True", "Secure", "secure"),
            permissions=Check("True", "AllPermissionsGranted", "granted"),
            account_id="123456789012",
        )


def test_a_loop_whose_object_was_replaced_ends_without_writing_onto_the_new_one(
    control_plane: ControlPlane, kubeconfig: Path, namespace: str
) -> None:
    # No Kopf here, so no finalizer and no watch: the runtime never hears of the new object, as
    # when a DELETED event is missed. Only the uid bound to its writes can stop the old loop.
    old = create(control_plane, namespace, "p", "ext-id-old")
    verify = SlowVerify(1.0)
    kube = KubeClient(load_configuration(str(kubeconfig)))
    runtime = Runtime(
        config=OperatorConfig(workers=1, retry_base_seconds=0.1, retry_max_seconds=0.2),
        backend=Backend(verify=verify),
        kube=kube,
    )
    path = PROVIDERS_PATH.format(namespace=namespace) + "/p"

    async def scenario() -> None:
        runtime.observe(old, requested=True)
        loop = asyncio.create_task(runtime.serve(old))
        await asyncio.to_thread(verify.started.wait, 10)
        assert call(control_plane, "DELETE", path).code == 200
        await asyncio.to_thread(lambda: _until(lambda: call(control_plane, "GET", path).code == 404))
        create(control_plane, namespace, "p", "ext-id-new")
        await asyncio.wait_for(loop, 10)  # the loop ended by itself
        await runtime.close()

    asyncio.run(scenario())

    new = call(control_plane, "GET", path).body
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    assert "status" not in new  # neither the Reconciling nor the Verified of the old object's loop
    assert runtime.providers == {}


def _until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the object was not deleted")
        time.sleep(0.1)
