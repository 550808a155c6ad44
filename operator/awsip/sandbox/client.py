"""A minimal JSON client for the sandbox's Kubernetes API (no kubectl).

Enough for the sandbox and the e2e tests: apply manifests, read, merge-patch (also the status
subresource) and delete the few kinds they use. The emulator needs no credentials; the real
control plane (:mod:`awsip.sandbox.apiserver`) gets a bearer token and its CA.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from awsip.api import constants

#: (apiVersion, kind) -> (plural, namespaced)
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Event"): ("events", True),
    (constants.API_VERSION, constants.KIND): (constants.PLURAL, True),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class SandboxClient:
    def __init__(
        self, server: str, *, timeout: float = 10, token: str | None = None, ca_file: str | None = None
    ) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def url(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        plural, namespaced = KINDS[(api_version, kind)]
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        path = f"{base}/namespaces/{namespace}/{plural}" if namespaced and namespace else f"{base}/{plural}"
        if name:
            path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
        return self.server + path

    def request(
        self, method: str, url: str, body: Any = None, *, content_type: str = "application/json"
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": content_type, **self._headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, exc.read().decode(errors="replace")[:500]) from None
        return json.loads(text) if text else None

    # -- objects ---------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.request("GET", self.url(api_version, kind, namespace, name))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    def list_objects(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        result = self.request("GET", self.url(api_version, kind, namespace))
        return list(result.get("items", []))

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        meta = obj.get("metadata", {})
        created: dict[str, Any] = self.request(
            "POST", self.url(obj["apiVersion"], obj["kind"], meta.get("namespace")), dict(obj)
        )
        return created

    def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Mapping[str, Any],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        url = self.url(api_version, kind, namespace, name, subresource)
        patched: dict[str, Any] = self.request(
            "PATCH", url, dict(patch), content_type="application/merge-patch+json"
        )
        return patched

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> None:
        try:
            self.request("DELETE", self.url(api_version, kind, namespace, name))
        except ApiError as exc:
            if exc.status != 404:
                raise

    def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Create the object, or merge-patch its labels, annotations and content if it exists."""
        meta = obj.get("metadata", {})
        existing = self.get(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])
        if existing is None:
            return self.create(obj)
        patch = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
        return self.patch(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"], patch)

    # -- providers -------------------------------------------------------------------------------

    def provider(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get(constants.API_VERSION, constants.KIND, namespace, name)

    def providers(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.list_objects(constants.API_VERSION, constants.KIND, namespace)

    def patch_provider(
        self, namespace: str, name: str, patch: Mapping[str, Any], *, subresource: str | None = None
    ) -> dict[str, Any]:
        return self.patch(
            constants.API_VERSION, constants.KIND, namespace, name, patch, subresource=subresource
        )

    def delete_provider(self, namespace: str, name: str) -> None:
        self.delete(constants.API_VERSION, constants.KIND, namespace, name)

    def events(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.list_objects("v1", "Event", namespace)
