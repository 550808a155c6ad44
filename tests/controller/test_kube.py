from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import kopf
import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from awsip.controller.kube_client import KubernetesInputs, NotFoundError, connection_info, load_configuration
from awsip.verification import InputNotFoundError, InputUnavailableError
from awsip.verification.inputs import InvalidInputError


class FakeClient:
    def __init__(
        self, secrets: dict[str, dict[str, str]] | None = None, failure: Exception | None = None
    ) -> None:
        self.secrets = secrets or {}
        self.configmaps = {"policies": {"required.json": '{"Version": "2012-10-17"}'}}
        self.failure = failure
        self.reads: list[tuple[str, str]] = []

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        self.reads.append((namespace, name))
        if self.failure is not None:
            raise self.failure
        if name not in self.secrets:
            raise NotFoundError(name)
        return {k: base64.b64encode(v.encode()).decode() for k, v in self.secrets[name].items()}

    def configmap_data(self, namespace: str, name: str) -> dict[str, str]:
        if name not in self.configmaps:
            raise NotFoundError(name)
        return self.configmaps[name]


def inputs(client: FakeClient) -> KubernetesInputs:
    return KubernetesInputs(client, "team-a")  # type: ignore[arg-type]


def test_secret_value_is_decoded_and_stripped() -> None:
    client = FakeClient({"ext": {"externalID": "abc-123\n"}})
    assert inputs(client).secret_value("team-a", "ext", "externalID") == "abc-123"
    assert client.reads == [("team-a", "ext")]


@pytest.mark.parametrize(
    ("secrets", "name", "key", "message"),
    [
        ({}, "ext", "externalID", 'Secret "ext" not found in namespace "team-a"'),
        (
            {"ext": {"other": "x"}},
            "ext",
            "externalID",
            'Secret "ext" in namespace "team-a" has no key "externalID"',
        ),
        ({"ext": {"externalID": "  \n"}}, "ext", "externalID", "is empty"),
    ],
)
def test_missing_secret_values_are_input_errors(secrets: Any, name: str, key: str, message: str) -> None:
    with pytest.raises(InputNotFoundError, match=message):
        inputs(FakeClient(secrets)).secret_value("team-a", name, key)


def test_binary_data_is_an_invalid_input_not_a_missing_one() -> None:
    # Issue 14: it was reported ExternalIDSecretNotFound; the Secret is there, its key holds no text.
    client = FakeClient()
    client.secret_data = lambda namespace, name: {"k": base64.b64encode(b"\xff\xfe").decode()}  # type: ignore[method-assign]
    with pytest.raises(InvalidInputError, match="holds binary data, not text"):
        inputs(client).secret_value("team-a", "ext", "k")


def test_other_namespaces_are_refused_without_reading() -> None:
    client = FakeClient({"ext": {"externalID": "abc"}})
    with pytest.raises(InputNotFoundError, match="another namespace"):
        inputs(client).secret_value("kube-system", "ext", "externalID")
    with pytest.raises(InputNotFoundError, match="another namespace"):
        inputs(client).configmap_value("kube-system", "policies", "required.json")
    assert client.reads == []


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (ApiException(status=403), InputNotFoundError, "not allowed to read Secret"),
        (ApiException(status=401), InputNotFoundError, "not authorized"),
        (ApiException(status=500), InputUnavailableError, "HTTP 500"),
        (ApiException(status=429), InputUnavailableError, "HTTP 429"),
        (ConnectionResetError("reset"), InputUnavailableError, "ConnectionResetError"),
    ],
)
def test_api_failures(failure: Exception, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        inputs(FakeClient(failure=failure)).secret_value("team-a", "ext", "externalID")


def test_configmap_values() -> None:
    assert inputs(FakeClient()).configmap_value("team-a", "policies", "required.json").startswith("{")
    with pytest.raises(InputNotFoundError, match='ConfigMap "nope" not found'):
        inputs(FakeClient()).configmap_value("team-a", "nope", "required.json")
    with pytest.raises(InputNotFoundError, match=re.escape('has no key "x.json"')):
        inputs(FakeClient()).configmap_value("team-a", "policies", "x.json")


def write_kubeconfig(path: Path, user: dict[str, Any]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


def test_kopf_gets_the_same_credentials_as_the_client(tmp_path: Path) -> None:
    configuration = load_configuration(str(write_kubeconfig(tmp_path / "config", {"token": "t0ken"})))
    info = connection_info(configuration)
    assert isinstance(info, kopf.ConnectionInfo)
    assert (info.server, info.token, info.scheme, info.insecure) == (
        "https://127.0.0.1:6443",
        "t0ken",
        "Bearer",
        True,
    )


def test_kubeconfig_comes_from_the_environment_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv(
        "KUBECONFIG", str(write_kubeconfig(tmp_path / "config", {"username": "me", "password": "pw"}))
    )
    info = connection_info(load_configuration())
    # The client library turns basic credentials into an Authorization header; Kopf sends it as is.
    assert (info.scheme, info.token) == ("Basic", base64.b64encode(b"me:pw").decode())
