"""Tenancy in the operator: the rules ConfigMap (watched), namespaces' labels, one decision per provider.

``awsip run --tenancy-configmap NAMESPACE/NAME`` names a ConfigMap whose key ``rules.yaml`` holds
the cluster administrator's tenancy rules (:mod:`awsip.tenancy`; the chart renders it from
``tenancy.rules``). :class:`TenancyGate` keeps them current and answers, for a provider's
namespace and role ARN, whether the provider may be verified at all. The runtime asks before
every verification and makes no AWS call for a refused provider (``Ready=False``,
``NotPermitted``, ``Stalled=True``: :func:`awsip.status.not_permitted_status`).

Watching
    The gate follows that one ConfigMap with :class:`~awsip.controller.object_watch.ObjectWatch`
    (a list, then a watch, both with the field selector ``metadata.name=NAME``, through the
    operator's own API client: the chart grants get/list/watch on that one ConfigMap, by
    ``resourceNames``). Every version of it goes through :meth:`TenancyGate.apply`.

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
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from kubernetes.client.exceptions import ApiException

from awsip.controller.config import split_namespaced_name
from awsip.controller.events import Event, EventPoster, EventType, involved_object
from awsip.controller.kube_client import NotFoundError
from awsip.controller.object_watch import (
    RETRY_BASE_SECONDS,
    RETRY_MAX_SECONDS,
    WATCH_TIMEOUT_SECONDS,
    ObjectWatch,
    WatchLike,
)
from awsip.controller.workers import WorkerPool
from awsip.tenancy import TenancyConfigError, TenancyDecision, TenancyRules, parse_tenancy_rules

logger = logging.getLogger("awsip.tenancy")

#: The key of the ConfigMap that holds the rules.
RULES_KEY: Final = "rules.yaml"
#: How long a namespace's labels are trusted before they are read again.
LABELS_TTL_SECONDS: Final = 30.0
MAX_CACHED_NAMESPACES: Final = 10_000


class TenancyUnavailable(Exception):
    """The decision cannot be made now (a namespace's labels could not be read); retry later."""


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


class TenancyGate:
    """The tenancy rules of one ConfigMap, kept current, and the decisions made with them."""

    def __init__(
        self,
        source: str,
        kube: TenancyKube,
        *,
        pool: WorkerPool | None = None,
        events: EventPoster | None = None,
        clock: Callable[[], float] = time.monotonic,
        labels_ttl: float = LABELS_TTL_SECONDS,
        watch_timeout: int = WATCH_TIMEOUT_SECONDS,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self.namespace, self.name = split_namespaced_name(source)
        self._kube = kube
        #: The pool and poster are the runtime's; a gate on its own (tests) makes and closes its own.
        self._own_pool = pool is None
        self._pool = pool if pool is not None else WorkerPool(2, "awsip-tenancy")
        self._own_events = events is None
        self.events = events if events is not None else EventPoster(kube, self._pool, logger=logger)
        self._clock = clock
        self._labels_ttl = labels_ttl
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
        self._watch = ObjectWatch(
            f"the tenancy rules ({self.location})",
            name=self.name,
            namespace=self.namespace,
            list_one=functools.partial(kube.list_configmap, self.namespace, self.name),
            watch_one=self._watch_one,
            on_change=self.apply,
            on_unreadable=lambda why: self.apply(None, unreadable=why),
            pool=self._pool,
            log=logger,
            watch_timeout=watch_timeout,
            retry_base=retry_base,
            retry_max=retry_max,
        )

    def _watch_one(self, version: str | None, timeout_seconds: int) -> WatchLike:
        return self._kube.watch_configmap(
            self.namespace, self.name, resource_version=version, timeout_seconds=timeout_seconds
        )

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
        self._watch.start()

    async def close(self) -> None:
        await self._watch.close()
        readings = list(self._reading.values())
        for reading in readings:
            reading.cancel()
        await asyncio.gather(*readings, return_exceptions=True)
        if self._own_events:
            await self.events.close()
        if self._own_pool:
            self._pool.shutdown()

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
            labels = await self._pool.run(self._kube.namespace_labels, namespace)
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

    # -- helpers -------------------------------------------------------------------------------

    def _post_event(self, configmap: Mapping[str, Any], type_: EventType, reason: str, message: str) -> None:
        """An Event on the ConfigMap, for ``kubectl describe`` (best effort, in the background)."""
        involved = involved_object("v1", "ConfigMap", configmap) | {
            "name": self.name,
            "namespace": self.namespace,
        }
        self.events.post_soon(involved, Event(type_, reason, message), log=logger)
