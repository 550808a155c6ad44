"""Counting the connections the operator's API client opens, on any API server (emulated or real).

An answer left unread holds its connection: the next call opens another (a TLS handshake on a real
API server). :func:`check_one_connection` makes the calls the operator makes for each provider
(post an Event, read a Secret, patch the status) five times over and holds the client to one
connection at most.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import urllib3.connection

from awsip.api.constants import API_VERSION, KIND
from awsip.controller.kube_client import KubeClient
from awsip.sandbox.client import SandboxClient
from awsip.status import uid_bound_patch

ROLE_ARN = "arn:aws:iam::123456789012:role/capa"


def record_new_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connection the client library opens from now on (HTTP and HTTPS alike)."""
    opened: list[object] = []
    original = urllib3.connection.HTTPConnection._new_conn

    def counting(self: urllib3.connection.HTTPConnection) -> Any:
        opened.append(self)
        return original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "_new_conn", counting)
    return opened


def event(namespace: str, n: int) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"p.connections-{n}", "namespace": namespace},
        "involvedObject": {"apiVersion": API_VERSION, "kind": KIND, "name": "p", "namespace": namespace},
        "reason": "Verified",
        "message": "Ready=True (Verified)",
        "type": "Normal",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


def check_one_connection(
    client: KubeClient, admin: SandboxClient, namespace: str, opened: list[object]
) -> None:
    """Five rounds of an Event, a Secret read and a status patch open one connection at most."""
    admin.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": namespace},
                  "data": {"externalID": "YWJj"}})  # fmt: skip
    manifest = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "p", "namespace": namespace}}
    uid = admin.create({**manifest, "spec": {"roleARN": ROLE_ARN}})["metadata"]["uid"]
    opened.clear()
    for n in range(5):
        client.create_event(namespace, event(namespace, n))  # an unread answer kept its connection busy
        assert client.secret_data(namespace, "s") == {"externalID": "YWJj"}
        previous = {"observedGeneration": n} if n else None
        client.patch_status(namespace, "p", uid_bound_patch(previous, {"observedGeneration": n + 1}, uid=uid))
    assert len(opened) <= 1
    assert len(admin.events(namespace)) == 5
    assert (client.read_provider(namespace, "p").get("status") or {}).get("observedGeneration") == 5
