"""KubeClient's tenancy calls against the sandbox's Kubernetes emulator (real HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsip.controller.kube_client import KubeClient, NotFoundError, load_configuration
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator


@pytest.fixture()
def emulator() -> Iterator[KubeEmulator]:
    with KubeEmulator() as kube:
        yield kube


@pytest.fixture()
def client(emulator: KubeEmulator, tmp_path: Path) -> Iterator[KubeClient]:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    kube = KubeClient(load_configuration(str(path)))
    yield kube
    kube.close()


def configmap(name: str, text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "awsip-system"},
        "data": {"rules.yaml": text},
    }


def test_list_finds_only_the_named_configmap(emulator: KubeEmulator, client: KubeClient) -> None:
    assert client.list_configmap("awsip-system", "awsip-tenancy")[0] is None
    api = SandboxClient(emulator.url)
    api.apply(configmap("other", "rules: []"))
    api.apply(configmap("awsip-tenancy", "rules: []"))

    found, version = client.list_configmap("awsip-system", "awsip-tenancy")

    assert found is not None and found["metadata"]["name"] == "awsip-tenancy"
    assert found["data"] == {"rules.yaml": "rules: []"}
    assert version


def test_watch_streams_changes_and_close_ends_it_at_once(emulator: KubeEmulator, client: KubeClient) -> None:
    api = SandboxClient(emulator.url)
    api.apply(configmap("awsip-tenancy", "rules: []"))
    stream = client.watch_configmap(
        "awsip-system", "awsip-tenancy", resource_version=None, timeout_seconds=60
    )
    seen: list[tuple[str, str]] = []
    ended = threading.Event()

    def read() -> None:
        try:
            for event in stream:
                seen.append((event["type"], event["object"]["metadata"]["name"]))
        except Exception:  # the closed connection
            pass
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    api.patch("v1", "ConfigMap", "awsip-system", "awsip-tenancy", {"data": {"rules.yaml": "rules: null"}})
    deadline = time.monotonic() + 5
    while ("MODIFIED", "awsip-tenancy") not in seen:
        assert time.monotonic() < deadline, seen
        time.sleep(0.02)

    stream.close()
    assert ended.wait(2)
    started = time.monotonic()
    emulator.stop()  # waits for open requests: the watch must really be closed
    # An open watch holds the emulator's stop for its 30-s timeout; a closed one lets it stop at once.
    assert time.monotonic() - started < 15


def test_namespace_labels(emulator: KubeEmulator, client: KubeClient) -> None:
    api = SandboxClient(emulator.url)
    api.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}
    )
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}})

    assert client.namespace_labels("team-a") == {"team": "a"}
    assert client.namespace_labels("bare") == {}
    with pytest.raises(NotFoundError):
        client.namespace_labels("nowhere")
