"""The operator's API client keeps its connections: no call leaves one unusable (on loopback HTTP)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3.connection

from awsip.api.constants import API_VERSION, KIND
from awsip.controller import kube_client
from awsip.controller.kube_client import KubeClient, load_configuration
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator
from awsip.status import uid_bound_patch


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every new connection the client library opens."""
    opened: list[object] = []
    original = urllib3.connection.HTTPConnection._new_conn

    def counting(self: urllib3.connection.HTTPConnection) -> Any:
        opened.append(self)
        return original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "_new_conn", counting)
    return opened


@pytest.fixture()
def emulator() -> Iterator[KubeEmulator]:
    with KubeEmulator() as served:
        yield served


@pytest.fixture()
def kube(emulator: KubeEmulator, tmp_path: Path) -> Iterator[tuple[KubeClient, SandboxClient]]:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    client = KubeClient(load_configuration(str(path)))
    try:
        yield client, SandboxClient(emulator.url)
    finally:
        client.close()


def event(n: int) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"p.{n}", "namespace": "team-a"},
        "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "name": "p", "namespace": "team-a"},
        "reason": "Verified",
        "message": "Ready=True (Verified)",
        "type": "Normal",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


def test_events_secrets_and_status_patches_reuse_one_connection(
    kube: tuple[KubeClient, SandboxClient], connections: list[object]
) -> None:
    client, sandbox = kube
    sandbox.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-a"},
                    "data": {"externalID": "YWJj"}})  # fmt: skip
    manifest = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "p", "namespace": "team-a"}}
    uid = sandbox.create({**manifest, "spec": {}})["metadata"]["uid"]
    connections.clear()
    for n in range(5):
        client.create_event("team-a", event(n))  # an unread answer kept its connection busy
        assert client.secret_data("team-a", "s") == {"externalID": "YWJj"}
        previous = {"observedGeneration": n} if n else None
        client.patch_status("team-a", "p", uid_bound_patch(previous, {"observedGeneration": n + 1}, uid=uid))
    assert len(connections) <= 1
    assert len(sandbox.events("team-a")) == 5


class Configuration:
    def __init__(self) -> None:
        self.refresh_api_key_hook: Any = None


def test_the_credential_refresh_runs_at_most_once_per_period_and_keeps_its_replacement() -> None:
    clock = [100.0]
    runs: list[str] = []
    configuration = Configuration()

    def hook(name: str) -> Any:
        def refresh(config: Configuration) -> None:
            runs.append(name)
            config.refresh_api_key_hook = hook(f"{name}'")  # what the library's kubeconfig hook does

        return refresh

    throttled = kube_client.ThrottledRefresh(hook("first"), every=30, clock=lambda: clock[0])
    configuration.refresh_api_key_hook = throttled
    for _ in range(3):
        configuration.refresh_api_key_hook(configuration)
    assert runs == ["first"] and configuration.refresh_api_key_hook is throttled
    clock[0] += 29.9
    configuration.refresh_api_key_hook(configuration)
    assert runs == ["first"]
    clock[0] += 0.2
    configuration.refresh_api_key_hook(configuration)
    assert runs == ["first", "first'"] and configuration.refresh_api_key_hook is throttled


def test_a_kubeconfig_token_still_reaches_every_request(
    kube: tuple[KubeClient, SandboxClient], emulator: KubeEmulator
) -> None:
    client, sandbox = kube
    sandbox.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-a"},
                    "data": {"k": "dg=="}})  # fmt: skip
    hook = client.api_client.configuration.refresh_api_key_hook
    assert isinstance(hook, kube_client.ThrottledRefresh)
    before = len(emulator.requests())
    for _ in range(3):
        assert client.secret_data("team-a", "s") == {"k": "dg=="}
    assert client.api_client.configuration.refresh_api_key_hook is hook
    sent = emulator.requests()[before:]
    assert [r.headers.get("Authorization") for r in sent] == ["Bearer sandbox"] * 3
