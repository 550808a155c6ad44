"""The CRD on a real kube-apiserver: it installs, explains itself, prints its columns, and judges
every good and bad spec of tests/api exactly as the fast tier's emulation (jsonschema + cel-python)
does -- so that the fast tier stays honest.
"""

from __future__ import annotations

import copy
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from awsip.api import constants
from awsip.sandbox.apiserver import ControlPlane
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator
from tests.api.schema_tools import apply_defaults, crd_root_schema, server_side_errors
from tests.api.test_crd import ARN, BAD_SPECS, GOOD_SPECS
from tests.kubernetes_real.conftest import ensure_namespace
from tests.kubernetes_real.real_kube_helpers import PROVIDERS_PATH, ROOT, Response, call, kubectl, wait_until

pytestmark = pytest.mark.kubernetes_real

NAMESPACE = "crd-checks"


def provider(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


@pytest.fixture(scope="module")
def namespace(crd_installed: object, admin: SandboxClient) -> Iterator[str]:
    yield ensure_namespace(admin, NAMESPACE)
    # No operator ran here: nothing holds a finalizer. Other modules' operators would verify them.
    for item in admin.providers(NAMESPACE):
        admin.delete_provider(NAMESPACE, item["metadata"]["name"])


def dry_run_create(control_plane: ControlPlane, obj: dict[str, Any]) -> Response:
    path = PROVIDERS_PATH.format(namespace=obj["metadata"]["namespace"]) + "?dryRun=All"
    return call(control_plane, "POST", path, obj)


def dry_run_update(control_plane: ControlPlane, obj: dict[str, Any]) -> Response:
    """PUT of the whole object over the stored one (its resourceVersion), dry-run."""
    meta = obj["metadata"]
    path = PROVIDERS_PATH.format(namespace=meta["namespace"]) + f"/{meta['name']}?dryRun=All"
    return call(control_plane, "PUT", path, obj)


def test_crd_is_established_with_a_structural_schema(crd_installed: dict[str, Any]) -> None:
    conditions = {c["type"]: c for c in crd_installed["status"]["conditions"]}
    assert conditions["Established"]["status"] == "True"
    assert conditions["NamesAccepted"]["status"] == "True"
    # The API server reports a non-structural schema as a condition rather than refusing it.
    assert "NonStructuralSchema" not in conditions, conditions.get("NonStructuralSchema")
    names = crd_installed["status"]["acceptedNames"]
    assert names["shortNames"] == list(constants.SHORT_NAMES)
    assert names["categories"] == list(constants.CATEGORIES)


def test_kubectl_explain_shows_the_field_descriptions(crd_installed: object, kubeconfig: Path) -> None:
    # The API server publishes a new CRD's OpenAPI a few seconds after it is Established.
    explained = wait_until(
        lambda: (
            (run := kubectl(kubeconfig, "explain", "awsinfrastructureprovider.spec")).returncode == 0 and run
        ),
        timeout=90,
        what="the CRD in the OpenAPI that kubectl explain reads",
    )
    text = explained.stdout
    flat = " ".join(text.split())
    spec = crd_root_schema()["properties"]["spec"]
    for name, prop in spec["properties"].items():
        assert f"{name}\t" in text or f"{name} " in text, f"{name} is not listed:\n{text}"
        first_words = " ".join(prop["description"].split()[:6])
        assert first_words in flat, f"the description of {name} is not shown: {first_words!r}"
    assert "roleARN" in text and "-required-" in text


def test_kubectl_get_shows_the_printer_columns(
    crd_installed: object, namespace: str, admin: SandboxClient, kubeconfig: Path
) -> None:
    admin.apply(provider("columns", {"roleARN": ARN}))
    status = {
        "observedGeneration": 1,
        "accountID": "123456789012",
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "MissingPermissions",
                "message": "3 of 98 required actions are not granted.",
                "lastTransitionTime": "2026-01-10T09:00:00Z",
                "observedGeneration": 1,
            }
        ],
        "permissions": {"method": "Local", "requiredActions": 98, "missingActions": 3},
    }
    admin.patch_provider(namespace, "columns", {"status": status}, subresource="status")

    table = kubectl(kubeconfig, "get", "awsip", "-A").check().stdout.splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "READY", "REASON", "ACCOUNT", "ROLE", "MISSING", "AGE"]
    row = next(line.split() for line in table[1:] if line.split()[:2] == [namespace, "columns"])
    assert row[2:7] == ["False", "MissingPermissions", "123456789012", ARN, "3"]
    wide = kubectl(kubeconfig, "get", "awsip", "columns", "-n", namespace, "-o", "wide").check().stdout
    assert "3 of 98 required actions are not granted." in wide


def test_defaults_are_the_emulated_defaults(control_plane: ControlPlane, namespace: str) -> None:
    obj = provider("defaults", {"roleARN": ARN})
    response = dry_run_create(control_plane, obj)
    assert response.code == 201, response.body
    assert response.body["spec"] == apply_defaults(obj, crd_root_schema())["spec"]
    assert response.body["metadata"]["generation"] == 1


def _verdicts(response: Response) -> tuple[bool, str]:
    return response.code in (200, 201), response.message


@pytest.mark.parametrize("spec", GOOD_SPECS, ids=lambda s: ",".join(s) or "minimal")
def test_good_specs_are_accepted_on_create_and_update(
    control_plane: ControlPlane, admin: SandboxClient, namespace: str, spec: dict[str, Any]
) -> None:
    obj = provider("good", {"roleARN": ARN, **spec})
    assert server_side_errors(obj) == []  # the emulated verdict
    accepted, message = _verdicts(dry_run_create(control_plane, obj))
    assert accepted, message
    stored = admin.apply(provider("good-base", {"roleARN": ARN}))
    update = copy.deepcopy(stored)
    update["spec"] = {"roleARN": ARN, **spec}
    accepted, message = _verdicts(dry_run_update(control_plane, update))
    assert accepted, message


@pytest.mark.parametrize(("case", "spec", "fragment"), BAD_SPECS, ids=[c[0] for c in BAD_SPECS])
def test_bad_specs_are_rejected_on_create_and_update(
    control_plane: ControlPlane,
    admin: SandboxClient,
    namespace: str,
    case: str,
    spec: dict[str, Any],
    fragment: str,
) -> None:
    obj = provider("bad", {"roleARN": ARN, **spec})
    emulated = server_side_errors(obj)
    assert emulated, f"{case}: the emulation accepts it"
    response = dry_run_create(control_plane, obj)
    assert response.code == 422, f"{case}: the API server answered {response.code}: {response.body}"
    assert fragment in response.message, response.message
    # An update to the same spec is refused too (CEL rules and the schema run on every write).
    stored = admin.apply(provider("bad-base", {"roleARN": ARN}))
    update = copy.deepcopy(stored)
    update["spec"] = {"roleARN": ARN, **spec}
    response = dry_run_update(control_plane, update)
    assert response.code == 422, f"{case}: the update was answered {response.code}: {response.body}"
    assert fragment in response.message, response.message


def test_missing_role_arn_is_rejected(control_plane: ControlPlane, namespace: str) -> None:
    obj = provider("no-arn", {})
    assert any("roleARN" in e for e in server_side_errors(obj))
    response = dry_run_create(control_plane, obj)
    assert response.code == 422 and "spec.roleARN: Required value" in response.message, response.body


def test_examples_are_accepted(control_plane: ControlPlane, admin: SandboxClient) -> None:
    documents = [
        doc
        for path in sorted((ROOT / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    providers = [doc for doc in documents if doc["kind"] == constants.KIND]
    assert providers
    for doc in providers:
        ensure_namespace(admin, doc["metadata"]["namespace"])
        assert server_side_errors(doc) == []
        accepted, message = _verdicts(dry_run_create(control_plane, doc))
        assert accepted, f"{doc['metadata']['name']}: {message}"


def test_kmock_serves_the_table_the_api_server_serves(
    control_plane: ControlPlane, crd_installed: object, namespace: str, admin: SandboxClient
) -> None:
    """The sandbox's emulator renders the printer columns itself (awsip.sandbox.table) for
    ``kubectl get``: for the same objects its Table must hold the API server's cells (Age aside)."""
    ready = {
        "observedGeneration": 1,
        "accountID": "123456789012",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Verified",
                "message": "The role can be assumed.",
                "lastTransitionTime": "2026-01-10T09:00:00Z",
            }
        ],
        "permissions": {"method": "Local", "requiredActions": 98, "missingActions": 0},
    }
    objects = {"printed-ready": ready, "printed-empty": None}
    emulator = KubeEmulator().start()
    try:
        emulated = emulator.client()
        emulated.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        for name, status in objects.items():
            for client in (admin, emulated):
                client.apply(provider(name, {"roleARN": ARN}))
                if status is not None:
                    client.patch_provider(namespace, name, {"status": status}, subresource="status")
        path = PROVIDERS_PATH.format(namespace=namespace)
        real = _cells(call(control_plane, "GET", path, accept=TABLE).body, objects)
        fake = _cells(
            json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(emulator.url + path, headers={"Accept": TABLE}), timeout=10
                ).read()
            ),
            objects,
        )
        assert fake == real
    finally:
        emulator.stop()


TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def _cells(table: dict[str, Any], names: dict[str, object]) -> dict[str, dict[str, str]]:
    """{row name: {column: cell as kubectl prints it}} of ``names``' rows, Age left out.

    The API server sends integer cells as numbers and absent values as null, kmock's rendering
    strings (and "" for absent): kubectl prints both alike, so cells are compared as printed.
    """
    columns = [c["name"] for c in table["columnDefinitions"]]
    rows = {}
    for row in table["rows"]:
        cells = dict(zip(columns, row["cells"], strict=True))
        if cells["Name"] in names:
            rows[cells["Name"]] = {k: "" if v is None else str(v) for k, v in cells.items() if k != "Age"}
    assert sorted(rows) == sorted(names)
    return rows


def test_kmock_generation_follows_the_api_server(namespace: str, admin: SandboxClient) -> None:
    """kmock imitates metadata.generation for custom resources: after each write, the same number
    as the API server (only a change of the spec makes a new generation)."""
    steps: list[tuple[str, dict[str, Any], str | None]] = [
        ("labels", {"metadata": {"labels": {"team": "a"}}}, None),
        ("spec", {"spec": {"displayName": "first"}}, None),
        ("same spec", {"spec": {"displayName": "first"}}, None),
        ("status", {"status": {"observedGeneration": 2}}, "status"),
        ("annotations", {"metadata": {"annotations": {"note": "x"}}}, None),
        ("spec again", {"spec": {"verification": {"interval": "2h"}}}, None),
    ]

    def generations(client: SandboxClient) -> list[int]:
        found = [client.apply(provider("generations", {"roleARN": ARN}))["metadata"]["generation"]]
        for _step, patch, subresource in steps:
            client.patch_provider(namespace, "generations", patch, subresource=subresource)
            stored = client.provider(namespace, "generations")
            assert stored is not None
            found.append(stored["metadata"]["generation"])
        return found

    real = generations(admin)
    assert real == [1, 1, 2, 2, 2, 2, 3]
    emulator = KubeEmulator().start()
    try:
        emulated = emulator.client()
        emulated.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        assert generations(emulated) == real
    finally:
        emulator.stop()
