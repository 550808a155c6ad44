"""A Kubernetes API emulator on loopback: kmock's ``KubernetesEmulator`` served over real HTTP.

kmock keeps objects in memory and serves list/watch/get/create/merge-patch/delete. It is a test
double, not an API server, so this module fills the gaps that matter to the operator, to kubectl
and to the tests -- in the harness, never in the product:

* A JSON patch whose ``test`` fails (Kopf adds and removes its finalizer with one, guarded by
  the resourceVersion) is answered 500 rather than 422, and Kopf would retry it forever; it is
  answered 422 here.
* Objects get no ``uid``, ``resourceVersion`` or ``creationTimestamp``. Kopf keys its per-object
  memory by ``uid`` (every object would share one memory and one set of daemons without it) and
  uses ``resourceVersion`` to wait for its own patches to arrive; kubectl's AGE needs the
  timestamp. :class:`SandboxKubernetesEmulator` adds them on creation and bumps the version on
  every write.
* ``metadata.generateName`` is not honoured (a second unnamed object would conflict with the
  first one), so a name is generated.
* ``metadata.generation`` is not set. Custom resources get ``1`` on creation here, bumped on every
  change outside ``metadata`` and ``status`` through the main resource (never through the
  ``status`` subresource), as the API server does, so that the operator writes
  ``status.observedGeneration`` and kstatus readers (``kubectl wait``, Argo CD, Flux) can tell a
  verdict for the current spec from a stale one. (The operator copes without it, too: the unit
  tests of the controller cover that.)
* ``fieldSelector`` and ``labelSelector`` are ignored: every list and watch returns every object,
  so ``kubectl wait awsip/NAME`` reported another provider's condition and ``kubectl describe``
  listed other objects' events. Lists and watches are filtered here
  (:mod:`awsip.sandbox.request_selectors`), and a field the API server does not index is refused with 400.
* A request about one object (get, patch, delete) checks every stored object of every kind, so
  its cost grows with everything stored (a thousand Events slow every later patch); objects are
  indexed by name here (:mod:`awsip.sandbox.object_index`), as a real API server's store is keyed.
* Resources are only discoverable when declared: :func:`declare_resources` declares the core
  kinds the operator and kubectl touch (namespaces, events, secrets, configmaps) and the CRD.

The emulator runs in its own thread with its own event loop, so that synchronous callers (tests,
``awsip sandbox``, kubectl subprocesses) and the operator's event loop are independent of it.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import itertools
import json
import re
import secrets
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import aiohttp.web
import jsonpatch
import kmock
import yaml

from awsip.api import constants
from awsip.sandbox import table
from awsip.sandbox.background import BackgroundServer
from awsip.sandbox.client import SandboxClient
from awsip.sandbox.object_index import NameIndexedStore
from awsip.sandbox.request_selectors import Selector, SelectorError, selector_for

T = TypeVar("T")

CRD_RESOURCE = f"{constants.GROUP}/{constants.VERSION}/{constants.PLURAL}"
_ALL_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


class SandboxKubernetesEmulator(kmock.KubernetesEmulator):
    """kmock's emulator plus what a real API server would do (see the module docstring)."""

    _versions = itertools.count(1)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        # kmock scans every stored object for a request about one object; index them by name.
        # (kmock's ObjectsArray is a frozen attrs class: its inner dict is replaced before any use.)
        object.__setattr__(self._objects, "_objects", NameIndexedStore(self._objects._objects))
        self.namespaces: dict[str, dict[str, Any]] = {}
        self._namespace_watchers: dict[asyncio.Queue[dict[str, Any]], Selector] = {}

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        # kmock parses /api/v1/namespaces[/NAME] as "a namespace prefix without a resource" and
        # fails on it, so Namespace objects cannot be created or read through it. A tiny store
        # serves them here instead (get, list, watch, create, patch, delete); Kopf watches
        # namespaces when it serves specific ones.
        match = _NAMESPACE_PATH.fullmatch(raw_request.path)
        if match is not None:
            return await self._serve_namespace(raw_request, match.group("name"))
        response: aiohttp.web.StreamResponse = await super().__call__(raw_request)
        return response

    async def _serve_namespace(
        self, raw_request: aiohttp.web.BaseRequest, name: str | None
    ) -> aiohttp.web.StreamResponse:
        method = raw_request.method.upper()
        if name is None and method == "GET":
            try:
                selector = selector_for(raw_request.query, "namespaces")
            except SelectorError as exc:
                return _status(400, "BadRequest", str(exc))
            if raw_request.query.get("watch") in ("true", "1"):
                return await self._watch_namespaces(raw_request, selector)
            items = [ns for ns in self.namespaces.values() if selector.matches(ns)]
            return _json({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": items})
        if name is None and method == "POST":
            try:
                body = await raw_request.json()
            except ValueError:  # e.g. protobuf from `kubectl create namespace`; use `kubectl apply`
                return _status(415, "UnsupportedMediaType", "only JSON bodies are supported here")
            _complete_new_object(body, next(self._versions))
            new_name = body["metadata"]["name"]
            if new_name in self.namespaces:
                return _status(409, "AlreadyExists", f'namespaces "{new_name}" already exists')
            body.setdefault("apiVersion", "v1")
            body.setdefault("kind", "Namespace")
            body["status"] = {"phase": "Active"}
            self.namespaces[new_name] = body
            self._notify("ADDED", body)
            return _json(body, status=201)
        if name is None or name not in self.namespaces:
            return _status(404, "NotFound", f'namespaces "{name}" not found')
        if method == "GET":
            return _json(self.namespaces[name])
        if method == "DELETE":
            gone = self.namespaces.pop(name)
            self._notify("DELETED", gone)
            return _json(gone)
        if method == "PATCH":
            changes = await raw_request.json()
            merged = _merge(self.namespaces[name], changes)
            merged["metadata"]["resourceVersion"] = str(next(self._versions))
            self.namespaces[name] = merged
            self._notify("MODIFIED", merged)
            return _json(merged)
        return _status(405, "MethodNotAllowed", f"{method} is not supported on namespaces here")

    def _notify(self, kind: str, obj: dict[str, Any]) -> None:
        for queue, selector in self._namespace_watchers.items():
            if selector.matches(obj):
                queue.put_nowait({"type": kind, "object": copy.deepcopy(obj)})

    async def _watch_namespaces(
        self, raw_request: aiohttp.web.BaseRequest, selector: Selector
    ) -> aiohttp.web.StreamResponse:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for obj in self.namespaces.values():
            if selector.matches(obj):
                queue.put_nowait({"type": "ADDED", "object": copy.deepcopy(obj)})
        self._namespace_watchers[queue] = selector
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(raw_request)
        timeout = float(raw_request.query.get("timeoutSeconds") or 3600)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await queue.get()
                    await response.write(json.dumps(event).encode() + b"\n")
        except (TimeoutError, ConnectionResetError):
            pass
        finally:
            self._namespace_watchers.pop(queue, None)
        return response

    def _KubernetesEmulator__get_objs(self, request: Any, strict: bool) -> list[Any]:
        # kmock's own lookup (name-mangled: its methods call this one), but over the objects with
        # the requested name only (see awsip.sandbox.object_index); kmock's check decides, as before.
        store = self._objects._objects
        if request.name is None or not isinstance(store, NameIndexedStore):
            found: list[Any] = super()._KubernetesEmulator__get_objs(request, strict)  # type: ignore[misc]
            return found
        check = self._KubernetesEmulator__check  # type: ignore[attr-defined]
        return [store[key] for key in store.named(request.name) if check(request, *key, strict=strict)]

    async def _handle(self, request: Any) -> Any:
        data = request.data
        if request.resource is not None and request.action == kmock.action.UPDATE:
            self._bump_generation(request)
        if request.resource is not None and isinstance(data, dict):
            if request.action == kmock.action.CREATE:
                _complete_new_object(data, next(self._versions))
                if request.resource == CRD_RESOURCE:
                    data["metadata"]["generation"] = 1
            elif request.action == kmock.action.UPDATE:
                metadata = data.get("metadata")
                if not isinstance(metadata, dict):
                    metadata = data["metadata"] = {}
                # The client's resourceVersion (optimistic locking) is not checked, only replaced.
                metadata["resourceVersion"] = str(next(self._versions))
            if request.resource == "v1/secrets" and isinstance(data.get("stringData"), dict):
                # The API server moves stringData into data (base64); kmock stores what it gets.
                encoded = {
                    k: base64.b64encode(str(v).encode()).decode() for k, v in data["stringData"].items()
                }
                data.setdefault("data", {}).update(encoded)
                del data["stringData"]
        elif (
            request.resource is not None and isinstance(data, list) and request.action == kmock.action.UPDATE
        ):
            # A JSON patch (Kopf's finalizers): it bumps the version too.
            data.append(
                {"op": "add", "path": "/metadata/resourceVersion", "value": str(next(self._versions))}
            )
        try:
            return await super()._handle(request)
        except jsonpatch.JsonPatchException as exc:
            # kmock answers 500; the API server answers 422 to a failed "test" (optimistic
            # locking) or a bad path, and Kopf relies on that to retry on its next cycle.
            raise kmock.KubernetesError(
                status=422, reason="Invalid", message=f"the patch was not applied: {exc}"
            ) from None

    def _bump_generation(self, request: Any) -> None:
        """Add ``metadata.generation + 1`` to a write of the main resource that changes more than
        metadata and status (the API server's rule for custom resources).

        The outcome is worked out on the stored object before kmock applies the write (under its
        lock, a moment later): two writes racing to change the spec could both get the same new
        generation, which no test or user of the sandbox does.
        """
        if request.resource != CRD_RESOURCE or request.subresource is not None or request.name is None:
            return
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return  # kmock answers 404
        current = copy.deepcopy(dict(self.objects[key].raw))
        data = request.data
        try:
            after = jsonpatch.apply_patch(current, data) if isinstance(data, list) else _merge(current, data)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            return  # kmock refuses the patch (422, below)
        if _spec_part(after) == _spec_part(current):
            return
        generation = int((current.get("metadata") or {}).get("generation") or 0) + 1
        if isinstance(data, list):
            data.append({"op": "add", "path": "/metadata/generation", "value": generation})
        elif isinstance(data, dict):
            metadata = data.get("metadata")
            if not isinstance(metadata, dict):
                metadata = data["metadata"] = {}
            metadata["generation"] = generation

    async def _serve_list(self, request: Any) -> Any:
        # kmock's lists carry no apiVersion/kind; kubectl refuses them without.
        selector = _selector(request)
        payload = cast(dict[str, Any], await super()._serve_list(request))
        payload["items"] = [item for item in payload["items"] if selector.matches(item)]
        resource = request.resource
        kind = self.resources[resource].kind if resource in self.resources else None
        group_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        payload["apiVersion"] = group_version
        payload["kind"] = f"{kind}List" if kind else "List"
        if _wants_table(request) and resource == CRD_RESOURCE:
            return _provider_table(payload["items"])
        return payload

    async def _serve_watch(self, request: Any) -> AsyncIterator[Any]:
        # Filtered by the request's selectors, and ended after ``timeoutSeconds`` as by the API
        # server (kmock streams until the client goes away).
        selector = _selector(request)
        timeout = float(request.params.get("timeoutSeconds") or 0)
        deadline = asyncio.get_running_loop().time() + timeout if timeout > 0 else None
        events = cast(AsyncGenerator[Any, None], super()._serve_watch(request))
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        event = await anext(events)
                except (StopAsyncIteration, TimeoutError):
                    return
                if isinstance(event, dict) and not selector.matches(event.get("object")):
                    continue
                yield event
        finally:
            await events.aclose()

    async def _serve_fetch(self, request: Any) -> Any:
        payload = await super()._serve_fetch(request)
        if _wants_table(request) and request.resource == CRD_RESOURCE:
            return _provider_table([cast(dict[str, Any], payload)])
        return payload

    async def _serve_version(self, request: Any) -> Any:
        # kmock answers /api/v1 with groupVersion "/v1" (kubectl then maps no core kinds) and lists
        # subresources with the short names of their parent (kubectl then finds "awsip" ambiguous).
        payload = cast(dict[str, Any], await super()._serve_version(request))
        if request.resource is not None and request.resource.group == "":
            payload["groupVersion"] = request.resource.version
        for entry in payload.get("resources", []):
            if "/" in entry["name"]:
                entry.update(singularName="", shortNames=[], categories=[], verbs=["get", "patch", "update"])
        return payload


def _selector(request: Any) -> Selector:
    """The request's field and label selectors; a malformed one is the API server's 400."""
    try:
        return selector_for(request.params, request.resource.plural)
    except SelectorError as exc:
        raise kmock.KubernetesError(status=400, reason="BadRequest", message=str(exc)) from None


def _spec_part(obj: Any) -> Any:
    """What a change of bumps ``metadata.generation``: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")} if isinstance(obj, dict) else obj


def _wants_table(request: Any) -> bool:
    return "as=Table" in str(request.headers.get("Accept", ""))


def _provider_table(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table with the CRD's printer columns, as the API server serves
    ``kubectl get`` (kmock serves plain lists, and kubectl would then show NAME and AGE only)."""
    now = datetime.datetime.now(datetime.UTC)
    printer = table.columns(wide=True)
    definitions = [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}]
    definitions += [
        {
            "name": c["name"],
            "type": c["type"],
            "format": "",
            "description": "",
            "priority": c.get("priority", 0),
        }
        for c in printer
    ]
    rows = [
        {
            "cells": [item["metadata"]["name"]] + [table.cell(item, c, now) for c in printer],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": item["metadata"],
            },
        }
        for item in items
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": ""},
        "columnDefinitions": definitions,
        "rows": rows,
    }


_NAMESPACE_PATH = re.compile(r"/api/v1/namespaces(?:/(?P<name>[^/]+))?(?:/status|/finalize)?/?")


def _json(body: Any, *, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.json_response(body, status=status)


def _status(code: int, reason: str, message: str) -> aiohttp.web.Response:
    body = {
        "apiVersion": "v1",
        "kind": "Status",
        "metadata": {},
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    return aiohttp.web.json_response(body, status=code)


def _merge(base: Any, changes: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(changes, dict):
        return changes
    result = dict(base) if isinstance(base, dict) else {}
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _complete_new_object(data: dict[str, Any], version: int) -> None:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = data["metadata"] = {}
    if not metadata.get("name") and metadata.get("generateName"):
        metadata["name"] = f"{metadata['generateName']}{secrets.token_hex(3)}"
    metadata.setdefault("uid", str(uuid.uuid4()))
    metadata.setdefault(
        "creationTimestamp", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    metadata["resourceVersion"] = str(version)


def declare_resources(emulator: kmock.KubernetesEmulator) -> None:
    """Make the kinds that the operator, kubectl and the sandbox use discoverable."""
    core = {
        "v1/namespaces": ("Namespace", "namespace", False, {"ns"}),
        "v1/events": ("Event", "event", True, {"ev"}),
        "v1/secrets": ("Secret", "secret", True, set()),
        "v1/configmaps": ("ConfigMap", "configmap", True, {"cm"}),
    }
    for key, (kind, singular, namespaced, shortnames) in core.items():
        emulator.resources[key] = kmock.ResourceInfo(
            kind=kind, singular=singular, namespaced=namespaced, verbs=_ALL_VERBS, shortnames=shortnames
        )
    emulator.resources[CRD_RESOURCE] = kmock.ResourceInfo(
        kind=constants.KIND,
        singular=constants.SINGULAR,
        namespaced=True,
        verbs=_ALL_VERBS,
        shortnames=set(constants.SHORT_NAMES),
        categories=set(constants.CATEGORIES),
        subresources={"status"},
    )


class KubeEmulator(BackgroundServer):
    """A :class:`SandboxKubernetesEmulator` served on ``127.0.0.1`` from a background thread."""

    def __init__(self, *, port: int = 0, emulator: SandboxKubernetesEmulator | None = None) -> None:
        """``emulator``: a subclass instance (e.g. one that counts requests); declared here."""
        super().__init__("the Kubernetes emulator")
        self._port = port
        self.emulator = emulator if emulator is not None else SandboxKubernetesEmulator()
        declare_resources(self.emulator)
        self.url = ""

    async def serve(self, ready: Callable[[], None], stopping: asyncio.Event) -> None:
        async with self.emulator, kmock.Server(self.emulator, host="127.0.0.1", port=self._port) as server:
            self.url = f"http://127.0.0.1:{server.port}"
            ready()
            await stopping.wait()

    # -- access from other threads ----------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine in the emulator's loop (kmock's state is only safe to touch there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def requests(self) -> list[Any]:
        """A snapshot of every request served so far (kmock's ``Request`` objects), oldest first."""

        async def snapshot() -> list[Any]:
            return list(self.emulator)

        return self.call(snapshot())

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The stored object, or None if it does not exist (or was deleted)."""

        async def fetch() -> dict[str, Any] | None:
            key = (resource, namespace, name)
            if key not in self.emulator.objects:
                return None
            obj = self.emulator.objects[key]
            return None if obj.deleted else dict(obj.raw)

        return self.call(fetch())

    def list(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        async def fetch() -> list[dict[str, Any]]:
            found = []
            for (res, ns, _name), obj in self.emulator.objects.items():
                if res == resource and (namespace is None or ns == namespace) and not obj.deleted:
                    found.append(dict(obj.raw))
            return found

        return self.call(fetch())

    def kubeconfig(self, *, namespace: str = "default") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "awsip-sandbox", "cluster": {"server": self.url}}],
            "users": [{"name": "awsip-sandbox", "user": {"token": "sandbox"}}],
            "contexts": [
                {
                    "name": "awsip-sandbox",
                    "context": {"cluster": "awsip-sandbox", "user": "awsip-sandbox", "namespace": namespace},
                }
            ],
            "current-context": "awsip-sandbox",
        }

    def client(self) -> SandboxClient:
        return SandboxClient(self.url)

    def write_kubeconfig(self, path: Path, *, namespace: str = "default") -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig(namespace=namespace), sort_keys=False))
        path.chmod(0o600)
        return path


def iter_requests(
    requests: list[Any], *, method: str | None = None, subresource: str | None = None
) -> Iterator[Any]:
    for request in requests:
        if method is not None and str(request.method.value).upper() != method.upper():
            continue
        if subresource is not None and request.subresource != subresource:
            continue
        yield request


__all__ = [
    "CRD_RESOURCE",
    "KubeEmulator",
    "SandboxKubernetesEmulator",
    "declare_resources",
    "iter_requests",
]
