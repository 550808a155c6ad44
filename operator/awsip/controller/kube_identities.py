"""The API calls on CAPA's ``AWSClusterRoleIdentity`` objects (blocking), and what their failures mean.

:class:`IdentityApi` is all the controller's Cluster API step
(:mod:`awsip.controller.cluster_identities`) needs; :class:`KubeIdentities` implements it with the
operator's API client, tests with a dict. The objects are cluster-scoped
(``/apis/infrastructure.cluster.x-k8s.io/v1beta2/awsclusterroleidentities``); the chart grants
these verbs on them only with ``clusterAPI.roleIdentities.enabled``.

Errors
    - :class:`ClusterAPINotInstalled` -- the API server does not serve the resource (CAPA's CRDs
      are not installed, or not at v1beta2). A 404 is ambiguous (the object or the whole
      resource?), so a read that finds nothing asks discovery which one it is.
    - :class:`kubernetes.client.exceptions.ApiException` for everything else the API server
      answers (403, 409, 422, 5xx); connection errors and timeouts as urllib3 raises them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, Protocol

import kubernetes.client
from kubernetes.client.exceptions import ApiException

from awsip.clusterapi import role_identity as ri
from awsip.controller.kube_client import REQUEST_TIMEOUT, discard

MERGE_PATCH: Final = "application/merge-patch+json"


class ClusterAPINotInstalled(Exception):
    """The API server does not serve awsclusterroleidentities.infrastructure.cluster.x-k8s.io/v1beta2."""


@contextmanager
def _not_installed_on_404() -> Iterator[None]:
    """A 404 on a list or a create can only mean the resource itself: CAPA's CRDs are missing."""
    try:
        yield
    except ApiException as exc:
        if exc.status == 404:
            raise ClusterAPINotInstalled() from None
        raise


class IdentityApi(Protocol):
    """The identity calls of the operator (all blocking)."""

    def read_identity(self, name: str) -> dict[str, Any] | None:
        """The identity called ``name``, or None."""
        ...

    def list_identities(self, owner_uid: str) -> list[dict[str, Any]]:
        """Identities labelled as owned by ``owner_uid`` (the caller checks the ownership itself)."""
        ...

    def create_identity(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def patch_identity(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """A JSON merge patch; a ``metadata.resourceVersion`` in it is a precondition (409)."""
        ...

    def delete_identity(self, name: str, uid: str | None) -> None:
        """Delete ``name`` if its uid is still ``uid``; an identity already gone is no error."""
        ...


class KubeIdentities:
    """:class:`IdentityApi` through the official client (``api_client``: the operator's own)."""

    def __init__(self, api_client: kubernetes.client.ApiClient) -> None:
        self._custom = kubernetes.client.CustomObjectsApi(api_client)

    def _served(self) -> bool:
        """Whether discovery lists the resource (a 404 on the group/version: not installed)."""
        try:
            response: Any = self._custom.get_api_resources(
                ri.GROUP, ri.VERSION, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
            )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        resources = json.loads(response.data).get("resources") or []
        return any(isinstance(r, dict) and r.get("name") == ri.PLURAL for r in resources)

    def read_identity(self, name: str) -> dict[str, Any] | None:
        try:
            response: Any = self._custom.get_cluster_custom_object(
                ri.GROUP,
                ri.VERSION,
                ri.PLURAL,
                name,
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            if not self._served():
                raise ClusterAPINotInstalled() from None
            return None
        found = json.loads(response.data)
        return found if isinstance(found, dict) else None

    def list_identities(self, owner_uid: str) -> list[dict[str, Any]]:
        with _not_installed_on_404():
            response: Any = self._custom.list_cluster_custom_object(
                ri.GROUP,
                ri.VERSION,
                ri.PLURAL,
                label_selector=f"{ri.OWNER_UID}={owner_uid}",
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
        items = json.loads(response.data).get("items") or []
        return [item for item in items if isinstance(item, dict)]

    def create_identity(self, body: dict[str, Any]) -> dict[str, Any]:
        with _not_installed_on_404():
            response: Any = self._custom.create_cluster_custom_object(
                ri.GROUP,
                ri.VERSION,
                ri.PLURAL,
                body,
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
        created = json.loads(response.data)
        return created if isinstance(created, dict) else {}

    def patch_identity(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        response: Any = self._custom.patch_cluster_custom_object(
            ri.GROUP,
            ri.VERSION,
            ri.PLURAL,
            name,
            patch,
            _content_type=MERGE_PATCH,
            _request_timeout=REQUEST_TIMEOUT,
            _preload_content=False,
        )
        patched = json.loads(response.data)
        return patched if isinstance(patched, dict) else {}

    def delete_identity(self, name: str, uid: str | None) -> None:
        options = kubernetes.client.V1DeleteOptions(
            preconditions=kubernetes.client.V1Preconditions(uid=uid) if uid else None
        )
        try:
            response: Any = self._custom.delete_cluster_custom_object(
                ri.GROUP,
                ri.VERSION,
                ri.PLURAL,
                name,
                body=options,
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
            discard(response)
        except ApiException as exc:
            # 404: gone already; 409: the uid precondition failed -- another object of that name
            # now, which is not ours to delete. Either way, nothing of ours is left.
            if exc.status not in (404, 409):
                raise
