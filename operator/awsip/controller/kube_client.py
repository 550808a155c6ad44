"""Kubernetes access of the operator, through the official (blocking) client.

Kopf watches the providers with its own client; everything else the operator does against the
API goes through one :class:`KubeClient` built from the same credentials:

- status patches (a JSON patch on the ``status`` subresource that tests the object's uid first,
  see :func:`awsip.status.uid_bound_patch`), and reading a provider back to tell why one was refused,
- Events (``v1/events``, one per change of ``Ready``),
- reading the Secret that holds an External ID and the ConfigMap that holds a required policy
  (:class:`KubernetesInputs`, the ``ProviderInputs`` of :func:`awsip.verification.verify`);
- the tenancy rules: listing and watching their one ConfigMap, reading namespaces' labels
  (:mod:`awsip.controller.tenancy_gate`).

The calls block; the runtime runs them in a small thread pool of their own, never in the pool of
the AWS verifications, so that a slow AWS never delays a status patch.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import kopf
import kubernetes.client
import kubernetes.config
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from awsip.api import constants
from awsip.verification import InputNotFoundError, InputUnavailableError
from awsip.verification.inputs import InvalidInputError

JSON_PATCH: Final = "application/json-patch+json"
#: Seconds for one API request (connect, read).
REQUEST_TIMEOUT: Final = (10, 30)


class NotFoundError(LookupError):
    """The object (or the namespace) does not exist."""


class KubernetesCallError(Exception):
    """An API call of the operator failed: what was asked, and what the API server answered.

    Its text is what the logs say ("status patch of team-a/prod refused by the API server: HTTP
    422 Invalid: ..."), so that a failure names the call, never just "failed unexpectedly". The
    API server's message names fields and objects, not the values of Secrets.
    """

    def __init__(self, what: str, status: int | None, detail: str) -> None:
        answer = f"HTTP {status}: {detail}" if status is not None else detail
        super().__init__(f"{what} failed ({answer})")
        self.what = what
        self.status = status
        self.detail = detail


class PatchRefusedError(KubernetesCallError):
    """The API server refused a patch as invalid (422): a failed ``test`` operation (the uid, or a
    member the patch expected) or a status that the CRD's schema refuses."""


def discard(response: Any) -> None:
    """Read an unwanted answer (``_preload_content=False``) to the end and give its connection
    back to the pool: an unread answer holds it, and each such call opened a new connection (a
    TLS handshake, in a cluster) and left the old one to the garbage collector."""
    response.drain_conn()
    response.release_conn()


def _api_detail(exc: ApiException) -> str:
    """The API server's own message of an error (its Status object), else the HTTP reason."""
    try:
        body = json.loads(exc.body) if exc.body else {}
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or exc.reason or "no details")
    return text if len(text) <= 500 else text[:497] + "..."


def load_configuration(kubeconfig: str | None = None) -> kubernetes.client.Configuration:
    """Credentials for the API: ``kubeconfig`` if given; else in-cluster when running in a pod;
    else ``$KUBECONFIG`` (read now, not when the client library was imported) or ~/.kube/config."""
    configuration = kubernetes.client.Configuration()
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, client_configuration=configuration, persist_config=False
        )
    hook: Any = configuration.refresh_api_key_hook  # (typed as always None by the library)
    if hook is not None:
        configuration.refresh_api_key_hook = ThrottledRefresh(hook)  # type: ignore[assignment]
    return configuration


#: How often the client library's credential refresh runs at most (it renews a token 5 minutes
#: before it expires, and re-reads a pod's token file once a minute, so this changes neither).
REFRESH_SECONDS: Final = 30.0


class ThrottledRefresh:
    """The client library's ``refresh_api_key_hook``, run at most every ``every`` seconds.

    The library runs it before every request, and for a kubeconfig it copies the whole
    configuration again, which re-reads the proxy settings from every environment variable:
    about a fifth of a millisecond of CPU per request, for a token that changes every few minutes
    at most. (The hook replaces itself with a new closure when it runs: the new one is kept.)
    """

    def __init__(
        self,
        hook: Callable[[Any], None],
        every: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hook = hook
        self._every = every
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def __call__(self, configuration: Any) -> None:
        if self._clock() < self._next:
            return
        with self._lock:
            now = self._clock()
            if now < self._next:
                return
            self._next = now + self._every
            self._hook(configuration)
            replaced = configuration.refresh_api_key_hook
            if replaced is not self and replaced is not None:
                self._hook = replaced
                configuration.refresh_api_key_hook = self


def connection_info(configuration: kubernetes.client.Configuration) -> kopf.ConnectionInfo:
    """The same credentials for Kopf's own API client (what ``kopf.login_via_client`` does, but
    for this configuration instead of the client library's process-wide default)."""
    header = configuration.get_api_key_with_prefix("BearerToken") or configuration.get_api_key_with_prefix(
        "authorization"
    )
    parts = header.split(" ", 1) if header else []
    scheme, token = (
        (None, None) if not parts else (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    )
    return kopf.ConnectionInfo(
        server=configuration.host,
        ca_path=configuration.ssl_ca_cert,
        insecure=not configuration.verify_ssl,
        username=configuration.username or None,
        password=configuration.password or None,
        scheme=scheme,
        token=token,
        certificate_path=configuration.cert_file,
        private_key_path=configuration.key_file,
    )


class KubeClient:
    """The few blocking API calls the operator makes besides watching."""

    def __init__(self, configuration: kubernetes.client.Configuration) -> None:
        self._api = kubernetes.client.ApiClient(configuration)
        self._core = kubernetes.client.CoreV1Api(self._api)
        self._custom = kubernetes.client.CustomObjectsApi(self._api)

    @property
    def api_client(self) -> kubernetes.client.ApiClient:
        """The underlying client, shared with :class:`awsip.controller.kube_identities.KubeIdentities`."""
        return self._api

    def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]

    def patch_status(self, namespace: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """JSON-patch the provider's status (``operations``: :func:`awsip.status.uid_bound_patch`);
        returns the object as stored. NotFoundError if gone, PatchRefusedError on 422 (a test that
        failed: another object by that name, or a status the schema refuses), KubernetesCallError
        for any other refusal or failure."""
        what = f"status patch of {constants.KIND} {namespace}/{name}"
        try:
            result = self._custom.patch_namespaced_custom_object_status(
                constants.GROUP,
                constants.VERSION,
                namespace,
                constants.PLURAL,
                name,
                operations,
                _content_type=JSON_PATCH,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except ApiException as exc:
            if exc.status == 404:
                raise NotFoundError(f"{constants.KIND} {namespace}/{name} not found") from None
            if exc.status == 422:
                raise PatchRefusedError(what, exc.status, _api_detail(exc)) from None
            raise KubernetesCallError(what, exc.status, _api_detail(exc)) from None
        return dict(result) if isinstance(result, dict) else {}

    def read_provider(self, namespace: str, name: str) -> dict[str, Any]:
        """The provider as stored now (to learn its uid and status); NotFoundError if there is none."""
        try:
            response: Any = self._custom.get_namespaced_custom_object(
                constants.GROUP,
                constants.VERSION,
                namespace,
                constants.PLURAL,
                name,
                _request_timeout=REQUEST_TIMEOUT,
                _preload_content=False,
            )
        except ApiException as exc:
            if exc.status == 404:
                raise NotFoundError(f"{constants.KIND} {namespace}/{name} not found") from None
            raise KubernetesCallError(
                f"reading {constants.KIND} {namespace}/{name}", exc.status, _api_detail(exc)
            ) from None
        obj = json.loads(response.data)
        return obj if isinstance(obj, dict) else {}

    def create_event(self, namespace: str, event: dict[str, Any]) -> None:
        try:
            body = kubernetes.client.CoreV1Event.from_dict(event)
            if body is None:
                raise ValueError("an empty event")
            response: Any = self._core.create_namespaced_event(
                namespace, body, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
            )
            discard(response)
        except ApiException as exc:
            if exc.status == 404:
                raise NotFoundError(f"namespace {namespace} not found") from None
            raise

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        """The ``data`` of a Secret, base64-encoded as the API serves it."""
        return self._raw_data("Secret", self._core.read_namespaced_secret, namespace, name)

    def configmap_data(self, namespace: str, name: str) -> dict[str, str]:
        return self._raw_data("ConfigMap", self._core.read_namespaced_config_map, namespace, name)

    @staticmethod
    def _raw_data(kind: str, read: Callable[..., Any], namespace: str, name: str) -> dict[str, str]:
        # The raw JSON, not the client's model: no decoding or validation of someone else's object.
        try:
            response = read(name, namespace, _request_timeout=REQUEST_TIMEOUT, _preload_content=False)
        except ApiException as exc:
            if exc.status == 404:
                raise NotFoundError(f"{kind} {namespace}/{name} not found") from None
            raise
        data = json.loads(response.data).get("data") or {}
        return {str(key): str(value) for key, value in data.items()}

    # -- tenancy (awsip.controller.tenancy_gate) ------------------------------------------------------

    def list_configmap(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, str | None]:
        """One ConfigMap (or None) and the list's resourceVersion, to watch from.

        A list with the field selector ``metadata.name=NAME`` rather than a get: RBAC authorizes
        it by ``resourceNames``, like the watch that follows, and it answers "none" without a 404.
        """
        response: Any = self._core.list_namespaced_config_map(
            namespace,
            field_selector=f"metadata.name={name}",
            _request_timeout=REQUEST_TIMEOUT,
            _preload_content=False,
        )
        payload = json.loads(response.data)
        items = [
            item
            for item in payload.get("items") or []
            if isinstance(item, dict) and (item.get("metadata") or {}).get("name") == name
        ]
        version = (payload.get("metadata") or {}).get("resourceVersion")
        return (items[0] if items else None), (str(version) if version else None)

    def watch_configmap(
        self, namespace: str, name: str, *, resource_version: str | None, timeout_seconds: int
    ) -> WatchStream:
        """Watch one ConfigMap (blocking): the events as the API server sends them."""
        response = self._core.list_namespaced_config_map(
            namespace,
            field_selector=f"metadata.name={name}",
            watch=True,
            resource_version=resource_version or None,
            timeout_seconds=timeout_seconds,
            allow_watch_bookmarks=True,
            _request_timeout=(REQUEST_TIMEOUT[0], timeout_seconds + 30),
            _preload_content=False,
        )
        return WatchStream(response)

    def namespace_labels(self, name: str) -> dict[str, str]:
        """The labels of a Namespace; NotFoundError if it does not exist."""
        try:
            response: Any = self._core.read_namespace(
                name, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
            )
        except ApiException as exc:
            if exc.status == 404:
                raise NotFoundError(f"namespace {name} not found") from None
            raise
        labels = (json.loads(response.data).get("metadata") or {}).get("labels") or {}
        return {str(key): str(value) for key, value in labels.items()}


class WatchStream:
    """The events of one watch request, as dicts; :meth:`close` (from any thread) ends it."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for line in iter_resp_lines(self._response):  # type: ignore[no-untyped-call]
            if line.strip():
                event = json.loads(line)
                if isinstance(event, dict):
                    yield event

    def close(self) -> None:
        # shutdown() wakes a read blocked in another thread (urllib3 2.3+); close() then closes the
        # connection. (Never release_conn(): the pool would keep the half-shut connection open,
        # and the API server the watch.)
        shutdown = getattr(self._response, "shutdown", None)
        with contextlib.suppress(Exception):
            if callable(shutdown):
                shutdown()
        with contextlib.suppress(Exception):
            self._response.close()


class KubernetesInputs:
    """Secret and ConfigMap keys of one provider's own namespace (``ProviderInputs``).

    Missing objects or keys, and references to other namespaces, raise
    :class:`~awsip.verification.InputNotFoundError`; an API server that cannot answer now (5xx,
    timeouts, connection errors) raises :class:`~awsip.verification.InputUnavailableError`, which
    the verification reports as transient; a Secret's key that holds binary data raises
    :class:`~awsip.verification.inputs.InvalidInputError` (``InvalidExternalID``: it was found, it
    is just no External ID). A value read from a Secret is stripped of surrounding
    whitespace: External IDs contain none, and ``kubectl create secret --from-file`` keeps a
    trailing newline.
    """

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self._client = client
        self._namespace = namespace

    def _check_namespace(self, namespace: str, kind: str, name: str) -> None:
        if namespace != self._namespace:
            raise InputNotFoundError(
                f"{kind} {namespace}/{name} is in another namespace; a provider may only refer to "
                f"{kind}s of its own namespace ({self._namespace})"
            )

    def _read(
        self, kind: str, namespace: str, name: str, read: Callable[[str, str], dict[str, str]]
    ) -> dict[str, str]:
        try:
            return read(namespace, name)
        except NotFoundError:
            raise InputNotFoundError(f'{kind} "{name}" not found in namespace "{namespace}"') from None
        except ApiException as exc:
            if exc.status == 403:
                raise InputNotFoundError(
                    f'awsip is not allowed to read {kind} "{name}" in namespace "{namespace}" (HTTP 403); '
                    "grant it get on that object"
                ) from None
            if exc.status == 401:
                raise InputNotFoundError(
                    f"awsip is not authorized by the API server to read {kind} {namespace}/{name}"
                ) from None
            raise InputUnavailableError(
                f"cannot read {kind} {namespace}/{name} now (HTTP {exc.status}: {_api_detail(exc)})"
            ) from None
        except Exception as exc:  # urllib3 connection errors, timeouts
            raise InputUnavailableError(
                f"cannot read {kind} {namespace}/{name} now ({type(exc).__name__})"
            ) from None

    def secret_value(self, namespace: str, name: str, key: str) -> str:
        self._check_namespace(namespace, "Secret", name)
        data = self._read("Secret", namespace, name, self._client.secret_data)
        if key not in data:
            raise InputNotFoundError(f'Secret "{name}" in namespace "{namespace}" has no key "{key}"')
        try:
            value = base64.b64decode(data[key], validate=True).decode("utf-8").strip()
        except (binascii.Error, UnicodeDecodeError):
            # Found, but no External ID: its own reason (InvalidExternalID), not "not found".
            raise InvalidInputError(
                f'key "{key}" of Secret "{name}" in namespace "{namespace}" holds binary data, not text: '
                "an External ID is text (kubectl create secret generic NAME --from-literal KEY=VALUE)"
            ) from None
        if not value:
            raise InputNotFoundError(f'key "{key}" of Secret "{name}" in namespace "{namespace}" is empty')
        return value

    def configmap_value(self, namespace: str, name: str, key: str) -> str:
        self._check_namespace(namespace, "ConfigMap", name)
        data = self._read("ConfigMap", namespace, name, self._client.configmap_data)
        if key not in data:
            raise InputNotFoundError(f'ConfigMap "{name}" in namespace "{namespace}" has no key "{key}"')
        return data[key]
