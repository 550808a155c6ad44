"""CAPA's AWSClusterRoleIdentity for the tests: the fixture CRD, its schema, and raw API calls.

The CRD (tests/fixtures/capa/) is written for these tests from CAPA's published v1beta2 API. The
real API server tier installs it; on kmock, which has no schemas, :func:`declare_in_kmock` makes the
resource discoverable and :func:`schema_errors` checks what awsip wrote against the same schema.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Final

import jsonschema
import kmock
import yaml

from awsip.clusterapi import role_identity as ri
from awsip.sandbox.client import ApiError, SandboxClient

CRD_FILE: Final = Path(__file__).resolve().parents[1] / "fixtures" / "capa" / f"{ri.PLURAL}.{ri.GROUP}.yaml"
PATH: Final = f"/apis/{ri.API_VERSION}/{ri.PLURAL}"


def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())
    return loaded


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` as JSON Schema's ``type: [T, "null"]`` (for jsonschema)."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {k: _nullable_to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if result.pop("nullable", False) and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    return result


def schema_errors(obj: dict[str, Any]) -> list[str]:
    """What the API server's OpenAPI validation would say about ``obj`` (kmock validates nothing)."""
    (version,) = crd()["spec"]["versions"]
    schema = _nullable_to_json_schema(version["schema"]["openAPIV3Schema"])
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def declare_in_kmock(emulator: kmock.KubernetesEmulator) -> None:
    """ "Install" the CRD in kmock: the resource becomes discoverable (no schema is enforced)."""
    spec = crd()["spec"]
    names = spec["names"]
    emulator.resources[f"{spec['group']}/{spec['versions'][0]['name']}/{names['plural']}"] = (
        kmock.ResourceInfo(
            kind=names["kind"],
            singular=names["singular"],
            namespaced=False,
            verbs=("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"),
            shortnames=set(names["shortNames"]),
            categories=set(names["categories"]),
        )
    )


def identity(client: SandboxClient, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.request("GET", f"{client.server}{PATH}/{name}")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return found


def create(client: SandboxClient, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = client.request("POST", f"{client.server}{PATH}", copy.deepcopy(body))
    return created


def patch(client: SandboxClient, name: str, changes: dict[str, Any]) -> dict[str, Any]:
    patched: dict[str, Any] = client.request(
        "PATCH", f"{client.server}{PATH}/{name}", changes, content_type="application/merge-patch+json"
    )
    return patched


def delete(client: SandboxClient, name: str) -> None:
    try:
        client.request("DELETE", f"{client.server}{PATH}/{name}")
    except ApiError as exc:
        if exc.status != 404:
            raise


def hand_made(name: str, namespace: str) -> dict[str, Any]:
    """An identity a platform team wrote by hand (no awsip annotations)."""
    return {
        "apiVersion": ri.API_VERSION,
        "kind": ri.KIND,
        "metadata": {"name": name, "labels": {"team": "platform"}},
        "spec": {
            "roleARN": "arn:aws:iam::210987654321:role/hand-made",
            "allowedNamespaces": {"list": [namespace]},
            "sourceIdentityRef": {"kind": "AWSClusterControllerIdentity", "name": "default"},
        },
    }
