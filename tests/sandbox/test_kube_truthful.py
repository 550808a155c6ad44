"""The sandbox's Kubernetes emulator tells kubectl the truth (issue 13, item 2).

kmock answered every list and watch with every object and set no ``metadata.generation``:
``kubectl wait awsip/NAME`` said "condition met" for another provider, ``get --field-selector``
returned everything, ``describe`` listed other objects' events, and no status had
``observedGeneration``. These tests drive the real kubectl (``make tools``) against the emulator.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsip.api import constants
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator
from awsip.sandbox.request_selectors import SelectorError, parse_field_selector, parse_label_selector

KUBECTL = Path(__file__).resolve().parents[2] / ".tools" / "kubectl"
NS = "truth"


@pytest.fixture(scope="module")
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(kube: KubeEmulator) -> SandboxClient:
    return SandboxClient(kube.url)


@pytest.fixture(scope="module")
def kubeconfig(kube: KubeEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kube.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")


def kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert KUBECTL.exists(), "kubectl is missing: run `make tools` (scripts/fetch-tools.sh)"
    done = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def provider(name: str, namespace: str = NS, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.KIND,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"roleARN": f"arn:aws:iam::123456789012:role/{name}"},
    }


def set_ready(client: SandboxClient, name: str, status: str, *, namespace: str = NS) -> None:
    obj = client.provider(namespace, name)
    assert obj is not None
    generation = obj["metadata"]["generation"]
    condition = {"type": "Ready", "status": status, "reason": "Verified" if status == "True" else "Denied",
                 "message": "m", "lastTransitionTime": "2025-01-01T00:00:00Z", "observedGeneration": generation}  # fmt: skip
    client.patch_provider(
        namespace,
        name,
        {"status": {"observedGeneration": generation, "conditions": [condition]}},
        subresource="status",
    )


def event(name: str, about: dict[str, Any], reason: str) -> dict[str, Any]:
    meta = about["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta["namespace"]},
        "involvedObject": {"apiVersion": constants.API_VERSION, "kind": constants.KIND,
                           "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]},
        "reason": reason, "message": f"{reason} of {meta['name']}", "type": "Normal",
        "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z", "count": 1,
    }  # fmt: skip


def test_kubectl_wait_waits_for_the_named_provider(client: SandboxClient, kubeconfig: Path) -> None:
    client.apply(provider("w-ready"))  # listed first: kubectl used to read this one
    client.apply(provider("w-waiting"))
    set_ready(client, "w-ready", "True")
    set_ready(client, "w-waiting", "False")

    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "awsip/w-waiting", "-n", NS,
                   "--timeout=2s", check=False)  # fmt: skip
    assert done.returncode != 0 and "condition met" not in done.stdout, done.stdout
    assert "timed out" in done.stderr

    set_ready(client, "w-waiting", "True")
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "awsip/w-waiting", "-n", NS, "--timeout=20s")
    assert done.stdout.strip() == f"{constants.SINGULAR}.{constants.GROUP}/w-waiting condition met"


def test_get_honours_field_and_label_selectors(client: SandboxClient, kubeconfig: Path) -> None:
    client.apply(provider("f-one", team="a"))
    client.apply(provider("f-two", team="b"))
    names = kubectl(kubeconfig, "get", "awsip", "-n", NS, "--field-selector", "metadata.name=f-two",
                    "-o", "name").stdout.split()  # fmt: skip
    assert names == [f"{constants.SINGULAR}.{constants.GROUP}/f-two"]
    names = kubectl(kubeconfig, "get", "awsip", "-n", NS, "-l", "team=a", "-o", "name").stdout.split()
    assert names == [f"{constants.SINGULAR}.{constants.GROUP}/f-one"]
    refused = kubectl(kubeconfig, "get", "awsip", "-n", NS, "--field-selector", "spec.roleARN=x", check=False)
    assert refused.returncode != 0 and 'field label not supported: "spec.roleARN"' in refused.stderr


def test_describe_lists_only_the_objects_own_events(client: SandboxClient, kubeconfig: Path) -> None:
    mine, other = client.apply(provider("d-mine")), client.apply(provider("d-other"))
    client.create(event("d-mine.1", mine, "MineHappened"))
    client.create(event("d-other.1", other, "OtherHappened"))
    text = kubectl(kubeconfig, "describe", "awsip", "d-mine", "-n", NS).stdout
    assert "MineHappened" in text
    assert "OtherHappened" not in text


def test_generation_is_set_and_bumped_by_spec_changes_only(client: SandboxClient) -> None:
    created = client.apply(provider("g-one"))
    assert created["metadata"]["generation"] == 1
    patched = client.patch_provider(NS, "g-one", {"spec": {"region": "eu-west-1"}})
    assert patched["metadata"]["generation"] == 2
    same = client.patch_provider(NS, "g-one", {"spec": {"region": "eu-west-1"}})  # no change
    assert same["metadata"]["generation"] == 2
    labelled = client.patch_provider(NS, "g-one", {"metadata": {"labels": {"x": "y"}}})
    assert labelled["metadata"]["generation"] == 2
    status = client.patch_provider(
        NS, "g-one", {"status": {"accountID": "123456789012"}}, subresource="status"
    )
    assert status["metadata"]["generation"] == 2
    json_patch = client.request(
        "PATCH",
        client.url(constants.API_VERSION, constants.KIND, NS, "g-one"),
        [{"op": "replace", "path": "/spec/region", "value": "eu-central-1"}],
        content_type="application/json-patch+json",
    )
    assert json_patch["metadata"]["generation"] == 3
    # Secrets and other core kinds have no generation, as in Kubernetes.
    secret = client.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS}})
    assert "generation" not in secret["metadata"]


def test_watches_are_filtered_and_end_after_their_timeout(kube: KubeEmulator, client: SandboxClient) -> None:
    client.apply(provider("watch-a"))
    client.apply(provider("watch-b"))
    url = (f"{kube.url}/apis/{constants.API_VERSION}/namespaces/{NS}/{constants.PLURAL}"
           "?watch=true&timeoutSeconds=2&fieldSelector=metadata.name%3Dwatch-b")  # fmt: skip
    with urllib.request.urlopen(url, timeout=30) as response:
        assert json.loads(response.readline())["object"]["metadata"]["name"] == "watch-b"
        client.patch_provider(NS, "watch-a", {"metadata": {"labels": {"seen": "no"}}})
        client.patch_provider(NS, "watch-b", {"metadata": {"labels": {"seen": "yes"}}})
        rest = [json.loads(line) for line in response.read().splitlines() if line.strip()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in rest] == [("MODIFIED", "watch-b")]


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("metadata.name=a", {"a"}),
        ("metadata.name==a", {"a"}),
        ("metadata.name!=a", {"b", "c"}),
        ("metadata.namespace=ns,metadata.name!=b", {"a", "c"}),
        ("metadata.name=nothing", set()),
    ],
)
def test_field_selectors(selector: str, names: set[str]) -> None:
    objects = [{"metadata": {"name": n, "namespace": "ns"}} for n in ("a", "b", "c")]
    chosen = parse_field_selector(selector, "awsinfrastructureproviders")
    assert {o["metadata"]["name"] for o in objects if chosen.matches(o)} == names


def test_event_fields_and_unsupported_ones() -> None:
    event_object = {
        "involvedObject": {"name": "p", "uid": "u1"},
        "source": {"component": "awsip"},
        "type": "Normal",
    }
    assert parse_field_selector("involvedObject.name=p,involvedObject.uid=u1,source=awsip", "events").matches(
        event_object
    )
    assert not parse_field_selector("involvedObject.uid=u2", "events").matches(event_object)
    with pytest.raises(SelectorError, match="field label not supported"):
        parse_field_selector("involvedObject.name=p", "configmaps")
    with pytest.raises(SelectorError):
        parse_field_selector("metadata.name", "configmaps")


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("team=a", {"a"}),
        ("team!=a", {"b", "none"}),
        ("team in (a, b)", {"a", "b"}),
        ("team notin (a)", {"b", "none"}),
        ("team", {"a", "b"}),
        ("!team", {"none"}),
        ("team in (a,b),tier=web", {"a"}),
    ],
)
def test_label_selectors(selector: str, names: set[str]) -> None:
    objects = [
        {"metadata": {"name": "a", "labels": {"team": "a", "tier": "web"}}},
        {"metadata": {"name": "b", "labels": {"team": "b"}}},
        {"metadata": {"name": "none"}},
    ]
    chosen = parse_label_selector(selector)
    assert {o["metadata"]["name"] for o in objects if chosen.matches(o)} == names
