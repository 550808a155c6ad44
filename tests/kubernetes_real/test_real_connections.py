"""The operator's API client on the real kube-apiserver (TLS): one connection for all its calls.

An Event's answer was once left unread, and every Event opened a new TLS connection. On the real
API server (its authentication, its Event and CRD schemas, TLS) five rounds of the operator's
per-provider calls -- post an Event, read a Secret, patch the status -- go over one connection, and
the credentials, refreshed at most every 30 s, reach every request (the server refuses anything
unauthenticated).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from awsip.controller.kube_client import KubeClient, ThrottledRefresh, load_configuration
from awsip.sandbox.client import SandboxClient
from tests.kubernetes_real.conftest import ensure_namespace
from tests.support.kube_connections import check_one_connection, record_new_connections

pytestmark = pytest.mark.kubernetes_real


def test_the_operator_client_keeps_one_tls_connection(
    admin: SandboxClient, crd_installed: object, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = ensure_namespace(admin, "real-connections")
    opened = record_new_connections(monkeypatch)
    client = KubeClient(load_configuration(str(kubeconfig)))
    try:
        check_one_connection(client, admin, namespace, opened)
    finally:
        client.close()


def test_a_refreshed_configuration_still_authenticates(kubeconfig: Path, admin: SandboxClient) -> None:
    configuration = load_configuration(str(kubeconfig))
    hook: object = configuration.refresh_api_key_hook  # (typed as always None by the library)
    client = KubeClient(configuration)
    try:
        namespace = ensure_namespace(admin, "real-connections-auth")
        admin.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": namespace},
                      "data": {"k": "dg=="}})  # fmt: skip
        for _ in range(3):
            assert client.secret_data(namespace, "s") == {"k": "dg=="}
        # A kubeconfig with a token has the library's refresh hook, kept behind the throttle.
        assert hook is None or (
            isinstance(hook, ThrottledRefresh) and configuration.refresh_api_key_hook is hook
        )
    finally:
        client.close()
