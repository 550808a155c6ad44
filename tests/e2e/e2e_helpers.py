"""Helpers of the e2e tests: manifests, and what kmock saw."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from awsip.api import constants
from awsip.controller import handlers
from awsip.controller.runtime import Runtime
from awsip.sandbox import scenarios
from awsip.sandbox.harness import Sandbox, condition, is_settled, verdict
from awsip.sandbox.operator_runner import OperatorRunner
from tests.support.fault_proxy import FaultProxy
from tests.support.json_patches import merge_view

__all__ = ["condition", "is_settled", "verdict"]


def provider(
    namespace: str, name: str, spec: dict[str, Any], *, generation: int | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if generation is not None:
        metadata["generation"] = generation
    return {"apiVersion": constants.API_VERSION, "kind": constants.KIND, "metadata": metadata, "spec": spec}


def secret(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "stringData": data,
    }


def status_path(namespace: str, name: str) -> str:
    return f"/apis/{constants.API_VERSION}/namespaces/{namespace}/{constants.PLURAL}/{name}/status"


def status_patches(
    sandbox: Sandbox, namespace: str, name: str, *, after: int = -1
) -> list[tuple[int, dict[str, Any]]]:
    """(request id, status patched) of every PATCH of the provider's status kmock served after ``after``.

    Only the ``status`` of the body: the harness adds ``metadata.resourceVersion`` to the patches
    it records (kmock does not version objects, see awsip.sandbox.kube).
    """
    path = status_path(namespace, name)
    return [
        (request.id, _patched_status(request.data))
        for request in sandbox.kube.requests()
        if request.id > after and str(request.method.value) == "PATCH" and request.url.path == path
    ]


def _patched_status(data: Any) -> dict[str, Any]:
    """The status a patch sets: the operator's JSON patches seen as merge patches; a merge patch's own."""
    if isinstance(data, list):
        return merge_view(data)
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, dict) else {}


@contextlib.contextmanager
def sandbox_behind(faults: FaultProxy, workdir: Path) -> Iterator[Sandbox]:
    """The e2e world with ``faults`` between the operator and AWS:
    operator -> fault proxy -> the sandbox's switchable proxy -> moto."""
    with Sandbox(workdir) as world:
        assert world.operator_user is not None and world.proxy is not None
        scenarios.seed_roles(world.iam(), world.operator_user.arn)
        world.enable_aws_auth()
        faults.target = world.proxy.endpoint
        os.environ["AWS_ENDPOINT_URL"] = faults.endpoint  # (the Sandbox restores it when it closes)
        world.start_operator()
        yield world


def last_request_id(sandbox: Sandbox) -> int:
    requests = sandbox.kube.requests()
    return requests[-1].id if requests else -1


def events_of(sandbox: Sandbox, namespace: str, name: str) -> list[tuple[str, str]]:
    """(type, reason) of the provider's Events, oldest first."""
    events = [
        e
        for e in sandbox.client.events(namespace)
        if e.get("involvedObject", {}).get("name") == name
        and e["involvedObject"].get("kind") == constants.KIND
    ]
    # Timestamps have second precision: within a second, the order of creation (kmock's versions are
    # increasing integers; compared as strings, "998" would come after "1003").
    events.sort(key=lambda e: (e.get("lastTimestamp") or "", int(e["metadata"].get("resourceVersion") or 0)))
    return [(e["type"], e["reason"]) for e in events]


def age_last_verification(sandbox: Sandbox, namespace: str, name: str, *, hours: float = 2) -> dict[str, Any]:
    """Pretend the last verification happened ``hours`` ago (so that the provider is due).

    The e2e suite cannot wait for a real interval (at least a minute); moving lastVerifiedTime
    back is what the passing of time would look like to the operator. Returns the patch sent.
    """
    aged = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"status": {"lastVerifiedTime": aged}}
    sandbox.client.patch_provider(namespace, name, patch, subresource="status")
    return patch


def has_verdict(status: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        return is_settled(obj) and verdict(obj) == (status, reason)

    return check


def operator_caught_up(
    sandbox: Sandbox,
    namespace: str,
    name: str,
    *,
    operator: OperatorRunner | None = None,
    timeout: float = 20,
) -> None:
    """Until the in-process operator has seen the provider as it is stored now and has nothing left
    to do for it (its loop waits for its next time): whatever it would write in reaction to what
    happened so far has been written. Instead of sleeping for a while, and hoping that is enough.
    """
    runner = operator or sandbox.operator
    assert runner is not None and runner.running
    runtime = runner.memo[handlers.RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    deadline = time.monotonic() + timeout
    while True:
        stored = sandbox.client.provider(namespace, name)
        assert stored is not None, f"{namespace}/{name} is gone"
        tracked = runtime.providers.get(stored["metadata"]["uid"])
        if (
            tracked is not None
            and tracked.idle
            and tracked.body["metadata"].get("resourceVersion") == stored["metadata"].get("resourceVersion")
        ):
            return
        assert time.monotonic() < deadline, f"the operator did not settle on {namespace}/{name} in {timeout}s"
        time.sleep(0.05)
