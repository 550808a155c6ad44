"""The Kubernetes emulator: kmock plus what the operator, kubectl and the tests need of an API server."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsip.api import constants
from awsip.sandbox.client import ApiError, SandboxClient
from awsip.sandbox.kube import KubeEmulator

KUBECTL = Path(__file__).resolve().parents[2] / ".tools" / "kubectl"


@pytest.fixture(scope="module")
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture()
def client(kube: KubeEmulator) -> SandboxClient:
    return SandboxClient(kube.url)


def get(kube: KubeEmulator, path: str, accept: str = "application/json") -> Any:
    request = urllib.request.Request(kube.url + path, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def provider(name: str, namespace: str = "team-a", **status: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"roleARN": "arn:aws:iam::123456789012:role/capa"},
    }
    return obj


def test_it_listens_on_loopback(kube: KubeEmulator) -> None:
    assert kube.url.startswith("http://127.0.0.1:")


def test_core_discovery_names_its_group_version(kube: KubeEmulator) -> None:
    core = get(kube, "/api/v1")
    assert core["groupVersion"] == "v1"
    assert {r["name"] for r in core["resources"]} >= {"namespaces", "events", "secrets", "configmaps"}


def test_the_crd_is_discoverable_with_its_status_subresource(kube: KubeEmulator) -> None:
    resources = {r["name"]: r for r in get(kube, f"/apis/{constants.API_VERSION}")["resources"]}
    main, status = resources[constants.PLURAL], resources[f"{constants.PLURAL}/status"]
    assert (main["kind"], main["namespaced"], main["shortNames"]) == (constants.KIND, True, ["awsip"])
    assert {"list", "watch", "patch"} <= set(main["verbs"])
    assert status["shortNames"] == [] and status["singularName"] == ""


def test_created_objects_get_what_an_api_server_sets(client: SandboxClient) -> None:
    created = client.create(provider("p1"))
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1

    patched = client.patch_provider(
        "team-a", "p1", {"status": {"accountID": "123456789012"}}, subresource="status"
    )
    assert int(patched["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert patched["status"] == {"accountID": "123456789012"}
    assert patched["metadata"]["uid"] == meta["uid"]


def test_generate_name(client: SandboxClient) -> None:
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"generateName": "p1-", "namespace": "team-a"}}
    first, second = client.create(event), client.create(event)
    assert (
        first["metadata"]["name"].startswith("p1-")
        and first["metadata"]["name"] != second["metadata"]["name"]
    )


def test_lists_have_a_kind(kube: KubeEmulator, client: SandboxClient) -> None:
    client.apply(provider("listed", "team-list"))
    listing = get(kube, f"/apis/{constants.API_VERSION}/namespaces/team-list/{constants.PLURAL}")
    assert (listing["apiVersion"], listing["kind"]) == (constants.API_VERSION, f"{constants.KIND}List")
    assert [item["metadata"]["name"] for item in listing["items"]] == ["listed"]


def test_secret_string_data_becomes_data(client: SandboxClient) -> None:
    client.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-a"},
                  "stringData": {"externalID": "abc"}})  # fmt: skip
    stored = client.get("v1", "Secret", "team-a", "s")
    assert stored is not None and "stringData" not in stored
    assert base64.b64decode(stored["data"]["externalID"]) == b"abc"


def test_namespaces(client: SandboxClient) -> None:
    client.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-one", "labels": {"a": "1"}}}
    )
    client.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-one", "labels": {"b": "2"}}}
    )
    stored = client.get("v1", "Namespace", None, "ns-one")
    assert stored is not None and stored["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert stored["status"]["phase"] == "Active"
    assert "ns-one" in [n["metadata"]["name"] for n in client.list_objects("v1", "Namespace")]
    with pytest.raises(ApiError) as conflict:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-one"}})
    assert conflict.value.status == 409
    client.delete("v1", "Namespace", None, "ns-one")
    assert client.get("v1", "Namespace", None, "ns-one") is None


def test_namespaces_can_be_watched(kube: KubeEmulator, client: SandboxClient) -> None:
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-watched"}})
    url = f"{kube.url}/api/v1/namespaces?watch=true&timeoutSeconds=1"
    with urllib.request.urlopen(url, timeout=10) as response:
        events = [json.loads(line) for line in response.read().splitlines()]
    assert {"type": "ADDED", "name": "ns-watched"} in [
        {"type": e["type"], "name": e["object"]["metadata"]["name"]} for e in events
    ]


def test_providers_are_served_as_tables_with_the_printer_columns(
    kube: KubeEmulator, client: SandboxClient
) -> None:
    obj = client.apply(provider("tabled", "team-table"))
    status = {
        "conditions": [{"type": "Ready", "status": "False", "reason": "MissingPermissions", "message": "m",
                        "lastTransitionTime": "2025-01-01T00:00:00Z"}],
        "accountID": "123456789012",
        "permissions": {"missingActions": 3},
    }  # fmt: skip
    client.patch_provider("team-table", "tabled", {"status": status}, subresource="status")
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

    table = get(kube, f"/apis/{constants.API_VERSION}/namespaces/team-table/{constants.PLURAL}", accept)

    assert table["kind"] == "Table"
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == [
        "Name",
        "Ready",
        "Reason",
        "Account",
        "Role",
        "Missing",
        "Age",
        "ClusterIdentity",
        "Message",
    ]
    (row,) = table["rows"]
    assert row["cells"][:6] == [
        "tabled",
        "False",
        "MissingPermissions",
        "123456789012",
        obj["spec"]["roleARN"],
        "3",
    ]
    assert row["object"]["metadata"]["namespace"] == "team-table"
    single = get(
        kube, f"/apis/{constants.API_VERSION}/namespaces/team-table/{constants.PLURAL}/tabled", accept
    )
    assert single["rows"][0]["cells"][0] == "tabled"


def test_kubectl_works_against_it(kube: KubeEmulator, client: SandboxClient, tmp_path: Path) -> None:
    assert KUBECTL.exists(), "kubectl is missing: run `make tools` (scripts/fetch-tools.sh)"
    kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
    client.apply(provider("from-kubectl-test", "team-kubectl"))

    def kubectl(*args: str) -> str:
        done = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "from-kubectl-test" in kubectl("get", "awsip", "-A")
    manifest = tmp_path / "ns.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: applied-by-kubectl\n")
    kubectl("apply", "--validate=false", "-f", str(manifest))
    assert client.get("v1", "Namespace", None, "applied-by-kubectl") is not None
    assert (
        json.loads(kubectl("get", "awsip", "-n", "team-kubectl", "from-kubectl-test", "-o", "json"))["kind"]
        == constants.KIND
    )
