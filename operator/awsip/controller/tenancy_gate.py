"""Tenancy in the operator: the rules ConfigMap (watched), namespaces' labels, one decision per provider.

``awsip run --tenancy-configmap NAMESPACE/NAME`` names a ConfigMap whose key ``rules.yaml`` holds
the cluster administrator's tenancy rules (:mod:`awsip.tenancy`; the chart renders it from
``tenancy.rules``). :class:`TenancyGate` keeps them current and answers, for a provider's
namespace and role ARN, whether the provider may be verified at all. The runtime asks before
every verification and makes no AWS call for a refused provider (``Ready=False``,
``NotPermitted``, ``Stalled=True``: :func:`awsip.status.not_permitted_status`).

Watching
    The gate watches that one ConfigMap through the operator's own API client -- a list, then a
    watch, both with the field selector ``metadata.name=NAME`` -- not through a Kopf handler: Kopf
    watches only the namespaces the operator serves (``-n``), which need not include the
    operator's own, and it would list every ConfigMap there, which RBAC does not grant (the chart
    grants get/list/watch on that one ConfigMap, by ``resourceNames``, which authorizes exactly
    such requests). The blocking watch stream runs in a daemon thread and hands its events to the
    event loop; when the server ends it (``timeoutSeconds``), or after an error (with backoff), it
    starts over with a list.

What the rules are, and what happens when they are not usable
    - Not read yet (operator start): decisions wait. No provider is verified before the rules
      are known.
    - Valid: applied at once. A change that can alter decisions bumps :attr:`TenancyGate.version`
      and calls the listeners (the runtime re-evaluates every provider right away).
    - Invalid (bad YAML, unknown fields, no ``rules.yaml`` key ...): the last valid rules this
      process read stay in force, so that a typo does not switch every workspace off; if there
      were none (the operator started with invalid rules, or the ConfigMap was deleted since),
      every provider is refused -- fail closed. Either way the error is logged and posted as a
      Warning event on the ConfigMap.
    - The ConfigMap does not exist, or the operator may not read it (HTTP 401/403): every
      provider is refused, whatever was read before. The operator was told to enforce these
      rules; it does not guess what they should be. ("No rules" is a ConfigMap with ``rules: []``,
      or no ``--tenancy-configmap`` at all.)

Namespace labels
    Only needed when a rule has a ``namespaceSelector``. Read with a get by name (the chart grants
    ``get`` on namespaces for such rules), cached for :data:`LABELS_TTL_SECONDS` and dropped on
    every rules change. A namespace that does not exist or may not be read has *unknown* labels:
    no selector matches it (fail closed; rules that name the namespace still apply). Any other
    failure (API server unavailable) raises :class:`TenancyUnavailable`: the runtime retries
    later and verifies nothing meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol, TypeVar

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from awsip.controller.config import split_namespaced_name
from awsip.controller.kube_client import NotFoundError
from awsip.status import format_time
from awsip.tenancy import TenancyConfigError, TenancyDecision, TenancyRules, parse_tenancy_rules
from awsip.textcap import cap

T = TypeVar("T")

logger = logging.getLogger("awsip.tenancy")

#: The key of the ConfigMap that holds the rules.
RULES_KEY: Final = "rules.yaml"
#: How long a namespace's labels are trusted before they are read again.
LABELS_TTL_SECONDS: Final = 30.0
#: Server-side timeout of one watch request (it is then started over with a list).
WATCH_TIMEOUT_SECONDS: Final = 300
#: Backoff after a failed list or watch: from the base, doubling, up to the cap.
RETRY_BASE_SECONDS: Final = 1.0
RETRY_MAX_SECONDS: Final = 30.0
MAX_CACHED_NAMESPACES: Final = 10_000
#: Kubernetes rejects long Event messages in some versions.
MAX_EVENT_MESSAGE: Final = 1000
EVENT_COMPONENT: Final = "awsip"
REPORTING_CONTROLLER: Final = "awsip.io/operator"


class TenancyUnavailable(Exception):
    """The decision cannot be made now (a namespace's labels could not be read); retry later."""


class WatchLike(Protocol):
    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


class TenancyKube(Protocol):
    """What the gate needs of the API (:class:`awsip.controller.kube_client.KubeClient`); all blocking."""

    def list_configmap(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, str | None]: ...

    def watch_configmap(
        self, namespace: str, name: str, *, resource_version: str | None, timeout_seconds: int
    ) -> WatchLike: ...

    def namespace_labels(self, name: str) -> dict[str, str]: ...

    def create_event(self, namespace: str, event: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class TenancyState:
    """The rules in force. ``rules`` None: every provider is refused, with ``refusal`` as the reason."""

    rules: TenancyRules | None
    refusal: str = ""
    #: What is wrong with the ConfigMap now, for the administrator (None: nothing).
    problem: str | None = None

    @property
    def decisive(self) -> tuple[TenancyRules | None, str]:
        """What decisions depend on."""
        return self.rules, self.refusal


class _Relist(Exception):
    """The watch cannot go on from its resourceVersion (HTTP 410 Gone): list again."""


class TenancyGate:
    """The tenancy rules of one ConfigMap, kept current, and the decisions made with them."""

    def __init__(
        self,
        source: str,
        kube: TenancyKube,
        *,
        executor: concurrent.futures.Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
        labels_ttl: float = LABELS_TTL_SECONDS,
        watch_timeout: int = WATCH_TIMEOUT_SECONDS,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self.namespace, self.name = split_namespaced_name(source)
        self._kube = kube
        self._executor = executor
        self._clock = clock
        self._labels_ttl = labels_ttl
        self._watch_timeout = watch_timeout
        self._retry_base = retry_base
        self._retry_max = retry_max
        #: Bumped whenever decisions may change; 0 until the rules were read once.
        self.version = 0
        self.state: TenancyState | None = None
        self._last_valid: TenancyRules | None = None
        self._loaded = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []
        self._labels: dict[str, tuple[float, dict[str, str] | None]] = {}
        #: Reads under way, shared by every provider of the namespace that asks meanwhile.
        self._reading: dict[str, asyncio.Future[dict[str, str] | None]] = {}
        self._labels_forbidden_logged = False
        self._task: asyncio.Task[None] | None = None
        self._stream: WatchLike | None = None
        self._closed = False
        self._background: set[asyncio.Task[None]] = set()
        self._instance = os.environ.get("POD_NAME") or os.uname().nodename

    @property
    def location(self) -> str:
        return f"ConfigMap {self.namespace}/{self.name}"

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """``listener()`` is called (in the event loop) whenever decisions may have changed."""
        self._listeners.append(listener)

    def summary(self) -> dict[str, Any]:
        """For the liveness probe and the logs."""
        state = self.state
        return {
            "configMap": f"{self.namespace}/{self.name}",
            "loaded": self.loaded,
            "version": self.version,
            "rules": None if state is None or state.rules is None else len(state.rules.rules),
            "refusingAll": state is not None and state.rules is None,
            "problem": None if state is None else state.problem,
        }

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching the ConfigMap (in the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="awsip tenancy rules")

    async def close(self) -> None:
        self._closed = True
        stream = self._stream
        if stream is not None:
            stream.close()
        tasks = [t for t in (self._task, *self._background, *self._reading.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- the rules -------------------------------------------------------------------------------

    def apply(self, configmap: Mapping[str, Any] | None, *, unreadable: str | None = None) -> bool:
        """Take the ConfigMap as it is now (None: it does not exist; ``unreadable``: the operator
        may not read it, and why). True when decisions may have changed."""
        if unreadable is not None or configmap is None:
            self._last_valid = None  # what comes back later starts afresh
        if unreadable is not None:
            state = TenancyState(
                None,
                self._refusal(f"awsip may not read them ({unreadable})"),
                f"cannot read {self.location} ({unreadable}); every provider is refused",
            )
        elif configmap is None:
            state = TenancyState(
                None,
                self._refusal("the ConfigMap does not exist"),
                f"{self.location} does not exist; every provider is refused",
            )
        else:
            rules, error = self._parse(configmap)
            if rules is not None:
                self._last_valid = rules
                state = TenancyState(rules)
            elif self._last_valid is not None:
                state = TenancyState(self._last_valid, problem=f"{error}; the last valid rules stay in force")
            else:
                state = TenancyState(
                    None,
                    self._refusal("they are invalid"),
                    f"{error}; every provider is refused until the rules are fixed",
                )
        previous = self.state
        self.state = state
        self._loaded.set()
        changed = previous is None or previous.decisive != state.decisive
        if changed:
            self.version += 1
            self._labels.clear()
        self._report(previous, state, configmap, changed=changed)
        if changed:
            for listener in list(self._listeners):
                listener()
        return changed

    def _parse(self, configmap: Mapping[str, Any]) -> tuple[TenancyRules | None, str]:
        data = configmap.get("data")
        text = data.get(RULES_KEY) if isinstance(data, Mapping) else None
        if not isinstance(text, str):
            return None, f'{self.location} has no key "{RULES_KEY}"'
        try:
            return parse_tenancy_rules(text), ""
        except TenancyConfigError as error:
            return None, f"{self.location}: {error}"

    def _refusal(self, why: str) -> str:
        return (
            f"awsip's tenancy rules ({self.location}, key {RULES_KEY}) cannot be used: {why}. Until a "
            "cluster administrator fixes them, no namespace may use any AWS account."
        )

    def _report(
        self,
        previous: TenancyState | None,
        state: TenancyState,
        configmap: Mapping[str, Any] | None,
        *,
        changed: bool,
    ) -> None:
        before = previous.problem if previous is not None else None
        if state.problem is not None:
            if state.problem != before:
                logger.error("Tenancy rules: %s.", state.problem)
                if configmap is not None:
                    self._post_event(configmap, "Warning", "InvalidTenancyRules", state.problem)
            return
        if state.rules is None or not (changed or before is not None):
            return
        count = len(state.rules.rules)
        text = (
            f"{count} tenancy rule{'s' if count != 1 else ''} in force"
            if count
            else "no tenancy rules: every namespace may use every AWS account"
        )
        logger.info("Tenancy rules from %s: %s.", self.location, text)
        for warning in state.rules.warnings:
            logger.warning("Tenancy rules: %s.", warning)
        if configmap is not None:
            self._post_event(configmap, "Normal", "TenancyRulesApplied", f"awsip applies them: {text}.")

    # -- decisions -------------------------------------------------------------------------------

    async def decide(self, namespace: str, role_arn: str) -> TenancyDecision:
        """Whether a provider of ``namespace`` may use ``role_arn`` (waits for the first rules).

        Raises :class:`TenancyUnavailable` when the namespace's labels are needed and cannot be
        read now.
        """
        await self._loaded.wait()
        state = self.state
        assert state is not None
        if state.rules is None:
            return TenancyDecision(allowed=False, rule=None, message=state.refusal)
        labels = await self._labels_of(namespace) if state.rules.selects_by_labels else None
        return state.rules.permits(namespace, labels, role_arn)

    async def _labels_of(self, namespace: str) -> dict[str, str] | None:
        now = self._clock()
        cached = self._labels.get(namespace)
        if cached is not None and now - cached[0] < self._labels_ttl:
            return cached[1]
        reading = self._reading.get(namespace)
        if reading is None:
            reading = asyncio.ensure_future(self._read_labels(namespace, now))
            self._reading[namespace] = reading
            reading.add_done_callback(functools.partial(self._read_done, namespace))
        # shield: one asker being cancelled (its provider deleted) does not cancel the others' read.
        return await asyncio.shield(reading)

    def _read_done(self, namespace: str, reading: asyncio.Future[dict[str, str] | None]) -> None:
        self._reading.pop(namespace, None)
        if not reading.cancelled():
            reading.exception()  # retrieved: every asker may have gone meanwhile

    async def _read_labels(self, namespace: str, now: float) -> dict[str, str] | None:
        labels: dict[str, str] | None
        try:
            labels = await self._blocking(self._kube.namespace_labels, namespace)
        except NotFoundError:
            labels = None
        except ApiException as exc:
            if exc.status not in (401, 403):
                raise TenancyUnavailable(
                    f"cannot read the labels of namespace {namespace} now (HTTP {exc.status})"
                ) from None
            labels = None
            if not self._labels_forbidden_logged:
                self._labels_forbidden_logged = True
                logger.error(
                    "awsip may not read namespaces (HTTP %s): namespaceSelector tenancy rules match no "
                    "namespace. Grant it get on namespaces (the chart does when a rule has a selector).",
                    exc.status,
                )
        except Exception as exc:
            raise TenancyUnavailable(
                f"cannot read the labels of namespace {namespace} now ({type(exc).__name__})"
            ) from None
        if len(self._labels) >= MAX_CACHED_NAMESPACES:
            self._labels.clear()
        self._labels[namespace] = (now, labels)
        return labels

    # -- watching --------------------------------------------------------------------------------

    async def _watch(self) -> None:
        failures = 0
        while not self._closed:
            try:
                configmap, version = await self._blocking(
                    self._kube.list_configmap, self.namespace, self.name
                )
                self.apply(configmap)
                failures = 0
                await self._follow(version)
            except asyncio.CancelledError:
                raise
            except _Relist:
                continue
            except Exception as exc:
                if self._stopping():
                    return
                failures += 1
                if isinstance(exc, ApiException) and exc.status in (401, 403):
                    self.apply(None, unreadable=f"HTTP {exc.status}")
                delay = min(self._retry_base * 2 ** min(failures - 1, 20), self._retry_max)
                quiet = isinstance(exc, ReadTimeoutError | ProtocolError) and failures == 1
                logger.log(
                    logging.DEBUG if quiet else logging.WARNING,
                    "Watching the tenancy rules (%s) failed (%s: %s); retrying in %.0fs.",
                    self.location,
                    type(exc).__name__,
                    cap(str(exc), 300),
                    delay,
                )
                await asyncio.sleep(delay)

    async def _follow(self, version: str | None) -> None:
        """Apply the watch's events until the server ends it (returns) or it fails (raises)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def put(kind: str, item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the operator is gone
                loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

        def pump() -> None:
            try:
                stream = self._kube.watch_configmap(
                    self.namespace, self.name, resource_version=version, timeout_seconds=self._watch_timeout
                )
                self._stream = stream
                if self._closed:
                    stream.close()
                    return
                for event in stream:
                    put("event", event)
                put("end", None)
            except BaseException as exc:  # handed to the loop, which decides
                put("error", exc)

        # A daemon thread, not an executor: a stream blocked in a read never delays the exit.
        threading.Thread(target=pump, name="awsip-tenancy-watch", daemon=True).start()
        try:
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                self._on_event(item)
        finally:
            stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()

    def _on_event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object")
        obj = obj if isinstance(obj, Mapping) else {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise _Relist()
            raise RuntimeError(f"the watch failed: {cap(str(obj.get('message') or obj), 300)}")
        metadata = obj.get("metadata")
        if not isinstance(metadata, Mapping) or metadata.get("name") != self.name:
            return  # a BOOKMARK, or another ConfigMap (an API that ignores the field selector)
        if metadata.get("namespace") not in (None, self.namespace):
            return
        if kind in ("ADDED", "MODIFIED"):
            self.apply(obj)
        elif kind == "DELETED":
            self.apply(None)

    # -- helpers ---------------------------------------------------------------------------------

    def _stopping(self) -> bool:
        return self._closed

    async def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    def _post_event(self, configmap: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        """An Event on the ConfigMap, for ``kubectl describe`` (best effort, in the background)."""
        metadata = configmap.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        stamp = format_time(datetime.now(UTC))
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{self.name[:200]}.{secrets.token_hex(8)}", "namespace": self.namespace},
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": self.name,
                "namespace": self.namespace,
                "uid": metadata.get("uid"),
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "reason": reason,
            "message": cap(message, MAX_EVENT_MESSAGE),
            "type": type_,
            "source": {"component": EVENT_COMPONENT},
            "reportingComponent": REPORTING_CONTROLLER,
            "reportingInstance": self._instance,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }

        async def post() -> None:
            try:
                await self._blocking(self._kube.create_event, self.namespace, body)
            except Exception as exc:
                logger.warning("Could not post the event %s on %s: %s", reason, self.location, exc)

        try:
            task = asyncio.get_running_loop().create_task(post())
        except RuntimeError:  # no event loop (a synchronous caller): nothing to post with
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)
