"""The operator's API client keeps its connections (the emulator; the real API server: tests/kubernetes_real),
and its credential refresh runs at most once per period."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsip.controller import kube_client
from awsip.controller.kube_client import KubeClient, load_configuration
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.kube import KubeEmulator
from tests.support.kube_connections import check_one_connection, record_new_connections


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return record_new_connections(monkeypatch)


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


def test_events_secrets_and_status_patches_reuse_one_connection(
    kube: tuple[KubeClient, SandboxClient], connections: list[object]
) -> None:
    client, sandbox = kube
    check_one_connection(client, sandbox, "team-a", connections)


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
