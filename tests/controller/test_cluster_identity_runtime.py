"""The runtime's Cluster API step, with a scripted verify, a recording Kubernetes client, a dict of
AWSClusterRoleIdentity objects behind the IdentityApi seam, and a clock the test moves."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.clusterapi import role_identity as ri
from awsip.controller.backend import Backend
from awsip.controller.config import OperatorConfig
from awsip.controller.kube_identities import ClusterAPINotInstalled
from awsip.controller.runtime import Runtime
from awsip.verification import ProviderInputs, ProviderRef, VerificationResult
from tests.controller.runtime_fakes import ARN, FakeKube, FakeVerify, outcome
from tests.controller.waiting import Clock, idle, ready, until

IDENTITY = {"clusterAPI": {"roleIdentity": {"name": "team-a-capa"}}}
RETRY_BASE, RETRY_MAX = 0.05, 0.2


class FakeIdentities:
    """The IdentityApi seam over a dict (a tiny cluster-scoped store), recording every call."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.installed = True
        self.fail_with: int | None = None  # an HTTP status every call answers
        self.uids = itertools.count(1)

    def _check(self, verb: str, name: str) -> None:
        self.calls.append((verb, name))
        if not self.installed:
            raise ClusterAPINotInstalled()
        if self.fail_with is not None:
            raise ApiException(status=self.fail_with, reason="scripted")

    def read_identity(self, name: str) -> dict[str, Any] | None:
        self._check("read", name)
        return copy.deepcopy(self.objects.get(name))

    def list_identities(self, owner_uid: str) -> list[dict[str, Any]]:
        self._check("list", owner_uid)
        # Every object, whatever its labels: the step must check ownership itself.
        return [copy.deepcopy(o) for o in self.objects.values()]

    def create_identity(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"]["name"]
        self._check("create", name)
        if name in self.objects:
            raise ApiException(status=409, reason="AlreadyExists")
        stored = copy.deepcopy(body)
        stored["metadata"].update(uid=f"identity-{next(self.uids)}", resourceVersion="1")
        self.objects[name] = stored
        return copy.deepcopy(stored)

    def patch_identity(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        self._check("patch", name)
        current = self.objects[name]
        if patch.get("metadata", {}).get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        merged = _merge(current, patch)
        merged["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        self.objects[name] = merged
        return copy.deepcopy(merged)

    def delete_identity(self, name: str, uid: str | None) -> None:
        self._check("delete", name)
        if name in self.objects and (uid is None or self.objects[name]["metadata"]["uid"] == uid):
            del self.objects[name]

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] in ("create", "patch", "delete")]


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


@pytest.fixture()
def identities() -> FakeIdentities:
    return FakeIdentities()


def make_runtime(
    verify: Any, kube: FakeKube, clock: Clock, identities: FakeIdentities, *, enabled: bool = True
) -> Runtime:
    config = OperatorConfig(
        workers=2, retry_base_seconds=RETRY_BASE, retry_max_seconds=RETRY_MAX, cluster_api_identities=enabled
    )
    return Runtime(
        config=config, backend=Backend(verify=verify), kube=kube, clock=clock,  # type: ignore[arg-type]
        identity_api=identities if enabled else None,
    )  # fmt: skip


@pytest.fixture()
async def runtime(
    verify: FakeVerify, kube: FakeKube, clock: Clock, identities: FakeIdentities
) -> AsyncIterator[Runtime]:
    runtime = make_runtime(verify, kube, clock, identities)
    yield runtime
    await runtime.close()


def body(name: str = "p", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "team-a", "uid": f"uid-{name}", "resourceVersion": "1"},
        "spec": {"roleARN": ARN, "externalID": "ext-id-1", **spec},
    }


def start(runtime: Runtime, obj: dict[str, Any]) -> None:
    """What Kopf does for a new provider: on.create (observe, requested) and its daemon."""
    runtime.observe(obj, requested=True)
    asyncio.get_running_loop().create_task(runtime.serve(obj))


def identity_condition(patch: dict[str, Any]) -> tuple[str, str] | None:
    for condition in patch.get("conditions") or []:
        if condition["type"] == "ClusterIdentityReady":
            return condition["status"], condition["reason"]
    return None


def stored_status(kube: FakeKube, name: str = "p") -> dict[str, Any]:
    """The status as the patches made it (merge patches applied in order)."""
    result: dict[str, Any] = {}
    for patch in kube.of(name):
        result = _merge(result, patch)
    return result


async def test_a_ready_provider_gets_its_identity_in_the_same_patch_as_its_verdict(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities
) -> None:
    start(runtime, body(**IDENTITY))
    await until(idle(runtime, "uid-p"))

    (final,) = kube.of("p")  # one status patch: the verdict and the identity's condition together
    assert ready(final) == ("True", "Verified")
    assert identity_condition(final) == ("True", "IdentitySynced")
    created = identities.objects["team-a-capa"]
    assert created["spec"]["roleARN"] == ARN and created["spec"]["externalID"] == "ext-id-1"
    assert created["spec"]["allowedNamespaces"] == {"list": ["team-a"]}
    assert created["metadata"]["annotations"][ri.OWNER_UID] == "uid-p"
    # The External ID is in the identity and nowhere else awsip writes.
    assert "ext-id-1" not in repr(kube.patches) and "ext-id-1" not in repr(kube.events)


async def test_a_provider_that_does_not_ask_costs_no_identity_call(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities
) -> None:
    start(runtime, body())
    await until(idle(runtime, "uid-p"))
    assert ready(kube.of("p")[-1]) == ("True", "Verified")
    assert identities.calls == []
    assert all(identity_condition(patch) is None for patch in kube.of("p"))


async def test_without_the_flag_the_condition_says_so_and_nothing_is_called(
    verify: FakeVerify, kube: FakeKube, clock: Clock, identities: FakeIdentities
) -> None:
    runtime = make_runtime(verify, kube, clock, identities, enabled=False)
    try:
        start(runtime, body(**IDENTITY))
        await until(idle(runtime, "uid-p"))
    finally:
        await runtime.close()
    final = kube.of("p")[-1]
    assert ready(final) == ("True", "Verified")  # Ready keeps its meaning
    assert identity_condition(final) == ("False", "ClusterAPIIdentitiesDisabled")
    assert identities.calls == []


async def test_a_missing_crd_is_a_condition_retried_alone_with_backoff(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities, verify: FakeVerify, clock: Clock
) -> None:
    identities.installed = False
    start(runtime, body(**IDENTITY))
    provider = runtime.providers["uid-p"]

    for failures in (1, 2, 3):
        await until(lambda f=failures: provider.identity_failures == f)  # type: ignore[misc]
        await until(idle(runtime, "uid-p"))
        assert provider.identity_retry_at is not None
        assert provider.parked_until == provider.identity_retry_at
        clock.now = provider.identity_retry_at
        runtime.providers["uid-p"].wake.set()

    status = stored_status(kube)
    assert ready(status) == ("True", "Verified")
    assert identity_condition(status) == ("False", "ClusterAPINotInstalled")
    assert verify.calls == ["p"]  # the retries ask Kubernetes, never AWS again
    # Once the CRD is there, the next retry creates the identity.
    identities.installed = True
    await until(lambda: identity_condition(stored_status(kube)) == ("True", "IdentitySynced"))
    await until(idle(runtime, "uid-p"))
    assert provider.identity_failures == 0 and provider.identity_retry_at is None
    assert "team-a-capa" in identities.objects
    assert verify.calls == ["p"]


async def test_backoff_grows_between_identity_retries(
    runtime: Runtime, identities: FakeIdentities, clock: Clock
) -> None:
    identities.fail_with = 503
    start(runtime, body(**IDENTITY))
    provider = runtime.providers["uid-p"]
    waits = []
    for failures in (1, 2, 3):
        await until(lambda f=failures: provider.identity_failures == f)  # type: ignore[misc]
        await until(idle(runtime, "uid-p"))
        assert provider.identity_retry_at is not None
        waits.append((provider.identity_retry_at - clock.now).total_seconds())
        clock.now = provider.identity_retry_at
        provider.wake.set()
    assert waits[0] < waits[1] < waits[2] <= RETRY_MAX * 1.25


async def test_access_denied_and_rejections_say_what_happened(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities
) -> None:
    identities.fail_with = 403
    start(runtime, body(**IDENTITY))
    await until(lambda: identity_condition(stored_status(kube)) == ("False", "IdentityAccessDenied"))
    assert ready(stored_status(kube)) == ("True", "Verified")


async def test_the_external_id_written_is_the_one_the_verification_read(
    verify: FakeVerify, kube: FakeKube, clock: Clock, identities: FakeIdentities
) -> None:
    reads: list[str] = []

    def verify_reading_the_secret(
        namespace: str, name: str, spec: AWSInfrastructureProviderSpec, inputs: ProviderInputs
    ) -> VerificationResult:
        assert spec.external_id_secret_ref is not None
        reads.append(
            inputs.secret_value(namespace, spec.external_id_secret_ref.name, spec.external_id_secret_ref.key)
        )
        return outcome("ok")(ProviderRef(namespace, name))

    class SecretKube(FakeKube):
        value = "from-the-secret-1"

        def secret_data(self, namespace: str, name: str) -> dict[str, str]:
            import base64

            return {"externalID": base64.b64encode(self.value.encode()).decode()}

    kube = SecretKube()
    runtime = make_runtime(verify_reading_the_secret, kube, clock, identities)
    try:
        obj = body(**IDENTITY)
        del obj["spec"]["externalID"]
        obj["spec"]["externalIDSecretRef"] = {"name": "ext", "key": "externalID"}
        start(runtime, obj)
        await until(idle(runtime, "uid-p"))
        # The Secret changes after the verification: a retry of the identity alone keeps the
        # verified value (the new one is written once a verification has used it).
        kube.value = "changed-since"
        identities.fail_with = 503
        provider = runtime.providers["uid-p"]
        identities.objects["team-a-capa"]["spec"]["roleARN"] = "arn:aws:iam::123456789012:role/edited"
        provider.identity_retry_at = clock.now
        provider.wake.set()
        await until(lambda: provider.identity_failures == 1)
        identities.fail_with = None
        await until(idle(runtime, "uid-p"))
        clock.now = provider.identity_retry_at or clock.now
        provider.wake.set()
        await until(lambda: identities.objects["team-a-capa"]["spec"]["roleARN"] == ARN)
    finally:
        await runtime.close()
    assert reads == ["from-the-secret-1"]
    assert identities.objects["team-a-capa"]["spec"]["externalID"] == "from-the-secret-1"
    assert "from-the-secret-1" not in repr(kube.patches)


async def test_opting_out_deletes_the_identity_and_the_condition(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities
) -> None:
    start(runtime, body(**IDENTITY))
    await until(idle(runtime, "uid-p"))
    assert "team-a-capa" in identities.objects

    runtime.observe(body(), requested=True)  # the spec no longer has clusterAPI
    await until(lambda: "team-a-capa" not in identities.objects)
    await until(idle(runtime, "uid-p"))
    assert identity_condition(stored_status(kube)) is None
    assert ready(stored_status(kube)) == ("True", "Verified")


async def test_a_deleted_provider_releases_what_it_owns_and_only_that(
    runtime: Runtime, kube: FakeKube, identities: FakeIdentities
) -> None:
    identities.objects["hand-made"] = {
        "metadata": {"name": "hand-made", "uid": "h", "resourceVersion": "1"},
        "spec": {},
    }
    start(runtime, body(**IDENTITY))
    await until(idle(runtime, "uid-p"))
    gone = body(**IDENTITY)
    gone["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    gone["status"] = stored_status(kube)
    runtime.observe(gone)  # the watch sees the deletion first
    await runtime.release(gone)  # then Kopf's delete handler
    assert set(identities.objects) == {"hand-made"}
    assert "uid-p" not in runtime.providers


async def test_deleting_a_provider_that_never_asked_calls_nothing(
    runtime: Runtime, identities: FakeIdentities
) -> None:
    start(runtime, body())
    await until(idle(runtime, "uid-p"))
    await runtime.release(body())
    assert identities.calls == []
