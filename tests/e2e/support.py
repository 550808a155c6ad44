"""Helpers of the e2e tests: manifests, and what kmock saw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from awsip.api import constants
from awsip.sandbox.harness import Sandbox, condition, is_settled, verdict

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
        (request.id, request.data.get("status"))
        for request in sandbox.kube.requests()
        if request.id > after and str(request.method.value) == "PATCH" and request.url.path == path
    ]


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
