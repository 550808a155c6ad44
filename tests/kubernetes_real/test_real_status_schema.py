"""Every status awsip can build is stored by the real API server exactly as it was written.

The fast tier validates built statuses against the CRD's pydantic model (tests/status). Here the
real kube-apiserver judges the same statuses with the committed CRD's structural schema, its
limits (maxLength and maxItems counted as the server counts them) and its pruning: a field the
builder writes but the schema lacks would be dropped silently, a limit the builder exceeds would
refuse the write. Each status is written the way the operator writes it (a uid-bound JSON patch
from the stored status, :func:`awsip.status.uid_bound_patch`) onto one object in turn, and read
back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsip.api.constants import API_VERSION
from awsip.controller.kube_client import KubeClient, load_configuration
from awsip.policy.findings import PolicyFinding
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.client import SandboxClient
from awsip.status import build_status, not_permitted_status, uid_bound_patch
from awsip.verification import Check, ProviderRef, VerificationResult
from awsip.verification.permission_verdicts import Verdict, permissions_check
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import PROVIDERS_PATH, call
from tests.support.status_strategies import NOW, ROLE, previous_statuses, results, texts

pytestmark = pytest.mark.kubernetes_real

NAME = "status-schema"
# Each example is two requests to a real server: fewer examples than the fast tier's 100.
REAL = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class StoredProvider:
    """One provider object whose status is replaced in turn, as the operator would patch it."""

    def __init__(self, kube: KubeClient, namespace: str, uid: str) -> None:
        self.kube, self.namespace, self.uid = kube, namespace, uid
        self.stored: dict[str, Any] | None = None

    def write(self, status: dict[str, Any]) -> dict[str, Any]:
        operations = uid_bound_patch(self.stored, status, uid=self.uid)
        if operations:
            self.kube.patch_status(self.namespace, NAME, operations)
        read: dict[str, Any] = self.kube.read_provider(self.namespace, NAME).get("status", {})
        self.stored = read
        return read


@pytest.fixture(scope="module")
def provider(
    control_plane: ControlPlane, kubeconfig: Path, admin: SandboxClient, crd_installed: object
) -> Iterator[StoredProvider]:
    namespace = ensure_namespace(admin, "real-status-schema")
    body = {
        "apiVersion": API_VERSION,
        "kind": "AWSInfrastructureProvider",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {"roleARN": ROLE, "externalID": "ext-id-status-schema"},
    }
    created = call(control_plane, "POST", PROVIDERS_PATH.format(namespace=namespace), body)
    assert created.code == 201, created.body
    kube = KubeClient(load_configuration(str(kubeconfig)))
    try:
        yield StoredProvider(kube, namespace, created.body["metadata"]["uid"])
    finally:
        kube.close()


def assert_stored_as_written(written: dict[str, Any], stored: dict[str, Any]) -> None:
    # Compared as JSON: what the server returns is what a reader (kubectl, Argo CD, Flux) gets.
    assert json.loads(json.dumps(stored)) == json.loads(json.dumps(written))


@REAL
@given(result=results(), previous=previous_statuses(), generation=st.none() | st.integers(1, 2**31))
def test_any_built_status_is_stored_as_written(
    provider: StoredProvider,
    result: VerificationResult,
    previous: dict[str, Any] | None,
    generation: int | None,
) -> None:
    status = build_status(result, previous, generation=generation, now=NOW)
    assert_stored_as_written(status, provider.write(status))


@REAL
@given(message=texts, previous=previous_statuses())
def test_a_refusal_is_stored_as_written(
    provider: StoredProvider, message: str, previous: dict[str, Any] | None
) -> None:
    status = not_permitted_status(previous, generation=3, now=NOW + timedelta(minutes=1), message=message)
    assert_stored_as_written(status, provider.write(status))


@pytest.mark.parametrize("chars", [10_000, 40], ids=["texts-at-cap", "lists-at-cap"])
def test_the_largest_status_is_stored_as_written(provider: StoredProvider, chars: int) -> None:
    """Every list at its cap in the costliest characters: the server's limits hold what fits.

    With texts at their caps the status is cut to its last resort (no list entries, every text
    short); with short texts the lists themselves are what the status carries at its largest.
    """
    emoji = "\U0001f600" * chars
    verdicts = [Verdict(emoji, emoji, "NotCovered", emoji) for _ in range(500)]
    findings = [PolicyFinding("UnknownAction", emoji, emoji, emoji, emoji, emoji) for _ in range(100)]
    permissions, permissions_status = permissions_check(
        verdicts, method="Local", profile=None, config_map=emoji, findings=findings
    )
    result = VerificationResult(
        ref=ProviderRef("team-a", NAME),
        role_arn=ROLE,
        role_assumed=Check("True", "AssumeRoleSucceeded", emoji),
        permissions=permissions,
        trust=Check("True", "Secure", emoji),
        account_id="123456789012",
        assumed_role_arn="arn:aws:sts::123456789012:assumed-role/capa/" + emoji[:2_000],
        permissions_status=permissions_status,
    )
    status = build_status(result, None, generation=7, now=NOW)
    if chars < 100:
        assert status["permissions"]["findings"], "the status under test lists findings"
        assert status["permissions"]["missing"], "the status under test lists missing permissions"
    stored = provider.write(status)
    assert_stored_as_written(status, stored)
    assert stored["permissions"]["findingCount"] == 100
