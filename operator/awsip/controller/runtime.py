"""The operator's in-memory runtime: one verification loop per provider, and the worker pools.

Kopf's handlers (:mod:`awsip.controller.handlers`) only tell the runtime what they saw
(:meth:`Runtime.observe`, :meth:`Runtime.forget`). Observing parses the spec -- once per change of
the spec -- into a :class:`~awsip.controller.provider_spec.ValidSpec` or an
:class:`~awsip.controller.provider_spec.InvalidSpec` (:mod:`awsip.controller.provider_spec`);
nothing after that reads the raw spec again. Each provider's loop (:meth:`Runtime.serve`) then
takes turns (:meth:`Runtime._turn`), and each turn does each of these once, in this order:

1. decide: with ``--tenancy-configmap``, ask the tenancy rules (:mod:`awsip.controller.tenancy_gate`)
   whether the provider's namespace may use its role; a refused provider gets
   ``Stalled``/``NotPermitted``, no AWS call, and waits (a change of the rules wakes every provider,
   so that it applies at once). Then when the provider is due (:func:`awsip.controller.scheduling.next_due`);
2. wait, if it is not due yet, until it is, or until a new event of the object wakes it (a spec
   change, an edited status);
3. verify: an invalid spec is reported as ``Stalled``/``InvalidSpec`` and then waits for a new
   spec; for a valid one the blocking :func:`verify` runs in the AWS worker pool (``--workers``
   threads). When a new generation starts, a verification that is not done within
   ``reconciling_delay_seconds`` (2 s) first gets the ``Reconciling`` status -- counted from when it
   starts running, or, when the status shows the verdict of an older spec, from when it is due, so
   that a stale verdict is not on display for long; a quicker one goes straight to its verdict;
4. publish: the new status is built (:mod:`awsip.status`) and what changed is patched -- when the
   verdict did not change that is only ``lastVerifiedTime`` (the heartbeat that keeps the schedule
   across restarts) -- and an Event is posted when ``Ready`` changed compared with the status
   stored in the object (:mod:`awsip.controller.events`). A new provider verified within the delay
   costs one status patch and one Event.

A spec change is seen here, not through Kopf's ``on.update``: :meth:`Provider.update` compares the
parsed spec's fingerprint with the one it had, and a changed one is verified at once; across a
restart ``metadata.generation`` against ``status.observedGeneration`` says it. So Kopf keeps no
progress or diff-base annotations (see :mod:`awsip.controller.settings`).

A transient result (AWS unreachable, throttled) is retried with a per-provider exponential backoff
(:mod:`awsip.controller.backoff`); the status builder never turns it into ``Ready=False``.

The loop runs in a Kopf daemon (:meth:`Runtime.serve`, one per provider). Kopf stops a daemon when
its provider is deleted, when the operator exits, and -- what matters with ``--peering`` -- when
the operator is paused in favour of a peer: a paused replica sees no more events, so a loop of
its own would go on verifying stale specs and overwrite the active replica's statuses. The price
is Kopf's finalizer (``awsip.io/finalizer``) on every provider: a provider deleted while no
operator runs stays ``Terminating`` until one runs again (or the finalizer is removed by hand).
Kopf removes it once the daemon has stopped, and the runtime drops everything it knew about the
provider. The schedule needs no persistence of its own: it derives from the status
(``lastVerifiedTime``, ``observedGeneration``) and a deterministic per-uid phase.

Every write about a provider goes through :meth:`Runtime._publish` (status, then Event) and every
AWS verification through :meth:`Runtime._verification`: the one place each for what binds writes to
an object, or shares the AWS pool out fairly. Any exception in one provider's turn is logged and
retried with backoff; it never reaches the other providers or Kopf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import kopf

from awsip.api import constants
from awsip.api.condition_reasons import ConditionType, Reason, find_condition
from awsip.clusterapi.role_identity import Owner
from awsip.controller import scheduling
from awsip.controller.backend import Backend
from awsip.controller.backoff import retry_delay
from awsip.controller.cluster_identities import ClusterIdentities, RememberingInputs
from awsip.controller.config import OperatorConfig
from awsip.controller.events import EventPoster, involved_object, ready_event
from awsip.controller.fair_share import FairShare
from awsip.controller.kube_client import (
    KubeClient,
    KubernetesCallError,
    KubernetesInputs,
    NotFoundError,
    PatchRefusedError,
)
from awsip.controller.kube_identities import IdentityApi
from awsip.controller.object_watch import RETRY_BASE_SECONDS
from awsip.controller.provider_spec import InvalidSpec, ValidSpec
from awsip.controller.provider_state import Provider, provider_key
from awsip.controller.tenancy_gate import TenancyGate, TenancyUnavailable
from awsip.controller.workers import WorkerPool
from awsip.observability import metrics
from awsip.observability.logs import provider_context, provider_logger
from awsip.status import (
    build_status,
    invalid_spec_status,
    not_permitted_status,
    reconciling_status,
    status_changed,
    uid_bound_patch,
)
from awsip.status.transitions import parse_time
from awsip.verification import ProviderInputs, VerificationResult

logger = logging.getLogger("awsip.controller")

#: Longest uninterrupted sleep; the due time is recomputed after it (clock jumps, safety net).
MAX_SLEEP_SECONDS: Final = 600.0
#: How often a provider refused by the tenancy rules is asked about again (its namespace's labels
#: may have changed); a change of the rules or of the spec asks at once.
TENANCY_RECHECK_SECONDS: Final = 60.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Runtime:
    def __init__(
        self,
        *,
        config: OperatorConfig,
        backend: Backend,
        kube: KubeClient,
        clock: Callable[[], datetime] = utcnow,
        identity_api: IdentityApi | None = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.kube = kube
        self.clock = clock
        self.providers: dict[str, Provider] = {}
        #: The same providers by (namespace, name): an object replaced under its name is found
        #: without a scan of every provider (once per new object: quadratic for a mass creation).
        self._by_name: dict[tuple[str, str], dict[str, Provider]] = {}
        self._aws_pool = WorkerPool(config.workers, "awsip-aws")
        self.shares = FairShare(config.workers, config.namespace_share)
        self._kube_pool = WorkerPool(config.kube_workers, "awsip-kube")
        self.events = EventPoster(kube, self._kube_pool, logger=logger, clock=clock)
        if config.cluster_api_identities and identity_api is None:
            raise ValueError("cluster_api_identities needs an identity_api")
        #: The Cluster API step (spec.clusterAPI.roleIdentity); off without --cluster-api-identities.
        self.identities = ClusterIdentities(
            identity_api if config.cluster_api_identities else None, self._kube_pool
        )
        self._closed = False
        self.tenancy: TenancyGate | None = None
        if config.tenancy_configmap is not None:
            self.tenancy = TenancyGate(
                config.tenancy_configmap,
                kube,
                pool=self._kube_pool,
                events=self.events,
                retry_base=min(config.retry_base_seconds, RETRY_BASE_SECONDS),
            )
            self.tenancy.subscribe(self.tenancy_changed)

    def start(self) -> None:
        """Start what runs besides the providers' tasks (the tenancy rules' watch)."""
        if self.tenancy is not None:
            self.tenancy.start()

    def tenancy_changed(self) -> None:
        """The tenancy rules changed: every provider asks them again, now."""
        for provider in self.providers.values():
            provider.wake.set()

    # -- what Kopf tells us ----------------------------------------------------------------------

    def observe(self, body: Mapping[str, Any], *, requested: bool = False) -> None:
        """The latest state of a provider; ``requested``: its spec must be verified now."""
        if self._closed:
            return
        # The top level is ours (the runtime replaces ``status`` in it); the parts below are shared
        # with Kopf's copy of the object and never changed, by Kopf or by awsip (status building
        # is pure: the status fuzz tests check that the status before is left as it was). A
        # deep copy of every watch event cost more than 2% of the operator's CPU at scale.
        raw = dict(body)
        metadata = raw.get("metadata") or {}
        if metadata.get("deletionTimestamp"):
            self.forget(raw)
            return
        provider = self.providers.get(provider_key(raw))
        if provider is None:
            if self._replaced(raw):
                return  # a late event of an object that a newer one by its name replaced
            provider = Provider.first_seen(raw)
            self._follow(provider)
        else:
            provider.update(raw)  # a changed spec is verified at once (see Provider.update)
        if requested:
            provider.requested_spec = provider.spec.fingerprint
        # The gauges follow the stored status from the first sight on: after a restart they are
        # whole at once, not as providers come due (an alert would resolve on every rollout).
        metrics.show_provider(provider.namespace, provider.name, provider.status)
        provider.wake.set()

    async def serve(self, body: Mapping[str, Any], stopped: kopf.DaemonStopped | None = None) -> None:
        """The verification loop of one provider (Kopf's daemon): until ``stopped`` (after the
        verification under way, if any) or cancelled."""
        self.observe(body)
        provider = self.providers.get(provider_key(body))
        if provider is None:  # being deleted, or the runtime is closed
            return
        provider.task = asyncio.current_task()
        relay = asyncio.ensure_future(_relay(stopped, provider.wake)) if stopped is not None else None
        try:
            await self._run(provider, stopped)
        finally:
            if relay is not None:
                relay.cancel()
            provider.task = None
            # Stopped for a deletion, a pause or the exit: a resumed daemon starts from the status.
            if self.providers.get(provider.key) is provider:
                self._unfollow(provider.key)

    def forget(self, body: Mapping[str, Any], *, why: str = "the provider is deleted") -> None:
        """The provider is gone (or going): stop its loop and drop everything about it."""
        provider = self._unfollow(provider_key(body))
        if provider is None:
            return
        provider.wake.set()  # its loop ends (after a verification under way), see _run()
        if (provider.namespace, provider.name) not in self._by_name:
            # (a new object by the same name has gauges of its own)
            metrics.forget_provider(provider.namespace, provider.name)
        provider_logger(logger, provider.namespace, provider.name).debug("Forgotten: %s.", why)

    def _replaced(self, body: Mapping[str, Any]) -> bool:
        """Whether ``body`` (an object not followed yet) is older than one followed under its name.

        Names are unique at any moment: a newer object by the same name means that the older one
        is gone, even if no watch said so (a DELETED event missed across a relist, a restore from
        backup, a finalizer removed by hand). Whichever of the two is older is forgotten (or not
        followed at all): its loop ends and writes nothing more. Events of different objects may
        be handled out of order, so the creation times decide, not the order of arrival; when they
        cannot tell (the same second), both are followed and the uid that every status patch
        tests (see :meth:`_patch`) ends the older one's loop at its next write.
        """
        metadata = body.get("metadata") or {}
        name = (str(metadata.get("namespace")), str(metadata.get("name")))
        created = parse_time(metadata.get("creationTimestamp"))
        if created is None:
            return False
        for other in list(self._by_name.get(name, {}).values()):
            other_created = parse_time((other.body.get("metadata") or {}).get("creationTimestamp"))
            if other_created is None or other_created == created:
                continue
            if other_created > created:
                return True
            self.forget(other.body, why=f"replaced by a new object with uid {metadata.get('uid')}")
        return False

    def _follow(self, provider: Provider) -> None:
        self.providers[provider.key] = provider
        self._by_name.setdefault((provider.namespace, provider.name), {})[provider.key] = provider

    def _unfollow(self, key: str) -> Provider | None:
        provider = self.providers.pop(key, None)
        if provider is not None:
            name = (provider.namespace, provider.name)
            same = self._by_name.get(name, {})
            same.pop(key, None)
            if not same:
                self._by_name.pop(name, None)
        return provider

    def summary(self) -> dict[str, int]:
        """For the liveness probe."""
        return {
            "providers": len(self.providers),
            "verifying": sum(1 for p in self.providers.values() if p.verifying),
            "retrying": sum(1 for p in self.providers.values() if p.retry_at is not None),
        }

    async def close(self) -> None:
        self._closed = True
        tasks = [p.task for p in self.providers.values() if p.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.tenancy is not None:
            await self.tenancy.close()
        await self.events.close()
        self.providers.clear()
        self._by_name.clear()
        self._aws_pool.shutdown()
        self._kube_pool.shutdown()
        self.kube.close()
        self.backend.close()

    # -- the per-provider loop -------------------------------------------------------------------

    def due(self, provider: Provider, now: datetime) -> datetime | None:
        """When to verify next; None: not until something changes (an invalid spec, reported)."""
        spec, handled = provider.spec, provider.handled
        handled_fingerprint = handled.fingerprint if handled is not None else None
        reported_invalid = isinstance(handled, InvalidSpec)
        if reported_invalid and spec.fingerprint == handled_fingerprint:
            return None
        requested = provider.requested_spec is not None and provider.requested_spec != handled_fingerprint
        return scheduling.next_due(
            status=provider.status,
            generation=provider.generation,
            interval=spec.interval_seconds,
            key=provider.key,
            now=now,
            requested=requested or (reported_invalid and spec.fingerprint != handled_fingerprint),
            retry_at=provider.retry_at,
        )

    async def _run(self, provider: Provider, stopped: kopf.DaemonStopped | None = None) -> None:
        # Until Kopf stops the daemon, or the provider is forgotten (deleted, or gone from the watch).
        while not stopped and self.providers.get(provider.key) is provider:
            provider.wake.clear()
            try:
                wait = await self._turn(provider)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(provider, exc)
                continue  # the next turn waits for the backoff (retry_at)
            if wait is None or wait > 0:
                await self._park(provider, wait)

    async def _turn(self, provider: Provider) -> float | None:
        """Decide, then verify and publish -- or say how long to wait (seconds; None: until woken)."""
        spec = provider.spec
        if isinstance(spec, ValidSpec) and self.tenancy is not None:
            hold = await self._tenancy_hold(provider, spec)
            if hold is not None:
                return hold
        now = self.clock()
        due = self.due(provider, now)
        if due is not None and due <= now:
            if isinstance(spec, InvalidSpec):
                await self._report_invalid(provider, spec)
            else:
                await self._verify(provider, spec)
            return 0.0
        identity_due = provider.identity_retry_at if isinstance(spec, ValidSpec) else None
        if identity_due is not None and identity_due <= now and isinstance(spec, ValidSpec):
            await self._retry_cluster_identity(provider, spec)
            return 0.0
        waits = [moment for moment in (due, identity_due) if moment is not None]
        return (min(waits) - now).total_seconds() if waits else None

    async def _park(self, provider: Provider, seconds: float | None) -> None:
        """Wait ``seconds`` (None: until woken), at most :data:`MAX_SLEEP_SECONDS`, or until woken."""
        delay = MAX_SLEEP_SECONDS if seconds is None else min(seconds, MAX_SLEEP_SECONDS)
        provider.parked_until = None if seconds is None else self.clock() + timedelta(seconds=seconds)
        provider.parked = True
        try:
            await _wait(provider.wake, delay)
        finally:
            provider.parked = False

    def _failed(self, provider: Provider, exc: Exception) -> None:
        """An unexpected error in a turn: logged, counted, and retried after the backoff."""
        provider.failures += 1
        delay = self._retry_delay(provider)
        provider.retry_at = self.clock() + timedelta(seconds=delay)
        log = provider_logger(logger, provider.namespace, provider.name)
        if isinstance(exc, KubernetesCallError):  # says what it was: a status patch, a read ...
            log.error("The %s; retrying in %.0fs.", exc, delay)
        else:
            log.error(
                "Verification failed unexpectedly (%s: %s); retrying in %.0fs.",
                type(exc).__name__,
                exc,
                delay,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
        metrics.record_verification("error", type(exc).__name__, 0.0)

    def _retry_delay(self, provider: Provider, failures: int | None = None) -> float:
        cap = min(self.config.retry_max_seconds, provider.spec.interval_seconds)
        return retry_delay(
            provider.failures if failures is None else failures,
            base=self.config.retry_base_seconds,
            cap=max(cap, self.config.retry_base_seconds),
            spread_key=provider.key,
        )

    async def _tenancy_hold(self, provider: Provider, spec: ValidSpec) -> float | None:
        """None when the tenancy rules permit the provider; else how long to hold it back. A refused
        provider's status becomes ``NotPermitted``; nothing is asked of AWS."""
        assert self.tenancy is not None
        log = provider_logger(logger, provider.namespace, provider.name)
        try:
            decision = await self.tenancy.decide(provider.namespace, spec.role_arn)
        except TenancyUnavailable as exc:
            log.warning(
                "Cannot apply the tenancy rules now (%s); asking again in %.0fs.",
                exc,
                self.config.retry_base_seconds,
            )
            return self.config.retry_base_seconds
        if decision.allowed:
            if provider.permitted is False:
                log.info("Permitted by the tenancy rules now: %s.", decision.message)
            provider.permitted = True
            return None
        if provider.permitted is not False:
            log.warning("Not permitted by the tenancy rules, not verifying: %s", decision.message)
            metrics.record_verification("not_ready", Reason.NOT_PERMITTED, 0.0)
        provider.permitted = False
        provider.failures, provider.retry_at = 0, None
        previous = provider.status
        new = not_permitted_status(
            previous, generation=provider.generation, now=self.clock(), message=decision.message
        )
        new = await self._cluster_identity(provider, spec, new)
        await self._publish(provider, previous, new, event_base=previous)
        return TENANCY_RECHECK_SECONDS

    async def _report_invalid(self, provider: Provider, spec: InvalidSpec) -> None:
        """An invalid spec: ``Stalled``/``InvalidSpec``, no verification, until the spec changes."""
        provider.handled = spec
        provider.failures, provider.retry_at = 0, None
        previous = provider.status
        new = invalid_spec_status(
            previous, generation=provider.generation, now=self.clock(), message=spec.problem
        )
        new = await self._cluster_identity(provider, None, new)
        await self._publish(provider, previous, new, event_base=previous)
        provider_logger(logger, provider.namespace, provider.name).warning(
            "The spec is invalid, not verifying it: %s", spec.problem
        )
        metrics.record_verification("not_ready", Reason.INVALID_SPEC, 0.0)

    async def _verify(self, provider: Provider, spec: ValidSpec) -> None:
        """One verification of one provider, from spec to patched status and Event."""
        handled = provider.handled
        requested = provider.requested_spec is not None and provider.requested_spec != (
            handled.fingerprint if handled is not None else None
        )
        provider.handled = spec
        generation = provider.generation
        previous = provider.status
        event_base = previous
        starting = (
            requested
            or previous is None
            or (generation is not None and previous.get("observedGeneration") != generation)
        )
        started = time.monotonic()
        running: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        verification = asyncio.ensure_future(self._verification(provider, spec, running))
        if starting:
            reconciling = reconciling_status(
                previous, generation, self.clock(), f"Verifying role {spec.role_arn}."
            )
            stale = find_condition(previous, ConditionType.READY) is not None
            if status_changed(previous, reconciling) and await self._slow(verification, running, stale=stale):
                if not await self._patch(provider, previous, reconciling):
                    verification.add_done_callback(_ignore_result)  # its provider is gone
                    return
                previous = reconciling

        result = await verification
        duration = time.monotonic() - started

        now = self.clock()
        new = build_status(result, previous, generation=generation, now=now)
        new = await self._cluster_identity(provider, spec, new)
        if result.transient:
            provider.failures += 1
            delay = self._retry_delay(provider)
            provider.retry_at = now + timedelta(seconds=delay)
        else:
            provider.failures, provider.retry_at = 0, None
        ready = find_condition(new, ConditionType.READY) or {}
        reason = str(ready.get("reason") or "Unknown")
        outcome: metrics.VerificationOutcome = (
            "transient" if result.transient else "ready" if ready.get("status") == "True" else "not_ready"
        )
        # Counted before it is published: whoever sees the new status also sees it counted.
        metrics.record_verification(outcome, reason, duration)
        await self._publish(provider, previous, new, event_base=event_base)
        log = provider_logger(logger, provider.namespace, provider.name)
        if result.transient:
            # What could not be reached, and why (a Secret read, AWS ...): the check's own message.
            log.warning(
                "Verification could not decide (%s): %s Next attempt in %.0fs.",
                reason,
                ready.get("message") or "",
                delay,
            )
        else:
            log.debug("Verified in %.1fs: Ready=%s (%s).", duration, ready.get("status"), reason)

    async def _slow(
        self, verification: asyncio.Future[VerificationResult], running: asyncio.Future[None], *, stale: bool
    ) -> bool:
        """Whether ``verification`` is still under way ``reconciling_delay_seconds`` after it started
        running in the pool -- or, when the status shows a verdict (``stale``: of an older spec),
        after now, its waiting for a worker included.

        One future decided by callbacks (the verification's end, a timer started when it runs):
        this runs for every new provider, and waiting with ``asyncio.wait`` on a task made to
        wait for the start cost over 3% of the operator's CPU in a mass creation."""
        if verification.done():
            return False
        loop = asyncio.get_running_loop()
        decided: asyncio.Future[bool] = loop.create_future()
        timer: asyncio.TimerHandle | None = None

        def decide(slow: bool) -> None:
            if not decided.done():
                decided.set_result(slow)

        def start_clock(_: object = None) -> None:
            nonlocal timer
            if timer is None and not decided.done():
                timer = loop.call_later(self.config.reconciling_delay_seconds, decide, True)

        def finished(_: object) -> None:
            decide(False)

        verification.add_done_callback(finished)
        if stale:
            start_clock()
        else:
            running.add_done_callback(start_clock)
        try:
            return await decided
        finally:
            if timer is not None:
                timer.cancel()
            verification.remove_done_callback(finished)
            running.remove_done_callback(start_clock)

    async def _verification(
        self, provider: Provider, spec: ValidSpec, running: asyncio.Future[None] | None = None
    ) -> VerificationResult:
        """The blocking :func:`verify` in the AWS pool, once its namespace's turn has come (see
        :mod:`awsip.controller.fair_share`); its log lines carry the provider. ``running`` is done
        when a worker takes it up."""
        loop = asyncio.get_running_loop()

        def verify(inputs: ProviderInputs) -> VerificationResult:
            if running is not None:
                loop.call_soon_threadsafe(_set_done, running)
            return self.backend.verify(provider.namespace, provider.name, spec.spec, inputs)

        async with self.shares.slot(provider.namespace):
            provider.verifying = True
            try:
                inputs: ProviderInputs = KubernetesInputs(self.kube, provider.namespace)
                if provider.wants_identity:  # the identity gets the External ID this verification used
                    inputs = provider.remembered_inputs = RememberingInputs(inputs)
                with provider_context(provider.namespace, provider.name):
                    return await self._aws_pool.run(verify, inputs)
            finally:
                provider.verifying = False

    # -- Cluster API (spec.clusterAPI.roleIdentity) -----------------------------------------------

    async def _cluster_identity(
        self, provider: Provider, spec: ValidSpec | None, status: dict[str, Any]
    ) -> dict[str, Any]:
        """``status`` with its ``ClusterIdentityReady`` after the Cluster API step (nothing for a
        provider that never asked for an identity); a failed step is retried alone, with backoff."""
        result = await self.identities.step(
            owner=provider.owner,
            spec=spec.spec if spec is not None else None,
            status=status,
            generation=provider.generation,
            now=self.clock(),
            inputs=KubernetesInputs(self.kube, provider.namespace),
            remembered=provider.remembered_inputs,
            may_write=lambda: self.providers.get(provider.key) is provider,
        )
        if result.failed:
            provider.identity_failures += 1
            delay = self._retry_delay(provider, provider.identity_failures)
            provider.identity_retry_at = self.clock() + timedelta(seconds=delay)
        else:
            provider.identity_failures, provider.identity_retry_at = 0, None
        return result.status

    async def _retry_cluster_identity(self, provider: Provider, spec: ValidSpec) -> None:
        """The Cluster API step alone, on the verdict in the status (no AWS call)."""
        previous = provider.status
        new = await self._cluster_identity(provider, spec, dict(previous or {}))
        await self._publish(provider, previous, new, event_base=previous)

    async def release(self, body: Mapping[str, Any]) -> None:
        """The provider is being deleted: forget it, then delete the identities it owns (only if
        it ever asked for one). Raises :class:`~awsip.controller.cluster_identities.IdentityStepError`
        when that fails, for Kopf to retry while its finalizer holds the provider."""
        self.forget(body)
        metadata = body.get("metadata") or {}
        spec = body.get("spec") if isinstance(body.get("spec"), Mapping) else {}
        status = body.get("status") if isinstance(body.get("status"), Mapping) else {}
        asked = isinstance(spec, Mapping) and bool(spec.get("clusterAPI"))
        if not asked and find_condition(status, ConditionType.CLUSTER_IDENTITY_READY) is None:
            return
        owner = Owner(
            str(metadata.get("namespace")), str(metadata.get("name")), str(metadata.get("uid") or "")
        )
        await self.identities.release(owner)

    # -- writing to the API ----------------------------------------------------------------------

    async def _publish(
        self,
        provider: Provider,
        previous: Mapping[str, Any] | None,
        new: dict[str, Any],
        *,
        event_base: Mapping[str, Any] | None,
    ) -> None:
        """Patch the status, then post the Event if Ready changed (compared with ``event_base``).

        The gauges are set first: whoever sees the new status also sees them (a provider that
        turns out to be gone is forgotten, gauges included). A loop whose provider was forgotten
        meanwhile (deleted, or replaced by a new object of the same name) writes nothing."""
        if not self._current(provider):
            return
        metrics.show_provider(provider.namespace, provider.name, new)
        if not await self._patch(provider, previous, new):
            return
        event = ready_event(event_base, new)
        if event is not None:
            involved = involved_object(constants.API_VERSION, constants.KIND, provider.body)
            log = provider_logger(logger, provider.namespace, provider.name)
            await self.events.post(involved, event, log=log)

    def _current(self, provider: Provider) -> bool:
        """Whether ``provider`` is still the object the runtime follows under its uid."""
        return self.providers.get(provider.key) is provider

    async def _patch(
        self, provider: Provider, previous: Mapping[str, Any] | None, new: dict[str, Any]
    ) -> bool:
        """Write ``new`` over ``previous``, onto the object with the provider's uid only; False if
        that object is gone (its loop then ends: it is forgotten).

        Only what differs is sent: when the verdict did not change, the conditions are identical
        and the patch is the ``lastVerifiedTime`` heartbeat alone. The patch is a JSON patch whose
        first operation tests the uid (:func:`awsip.status.uid_bound_patch`): a verdict reached for
        one object never lands on another created under the same name -- after a deletion this
        process did not see, a restore from backup, or a finalizer removed by hand.
        """
        if not self._current(provider):
            return False
        operations = uid_bound_patch(previous, new, uid=provider.uid)
        if not operations:
            return True
        try:
            stored = await self._send_status_patch(provider, operations)
        except PatchRefusedError as refused:
            stored_now = await self._refused(provider, refused)
            if stored_now is None:
                return False
            # The same object: the patch was made for a status that is no longer stored (edited by
            # someone else): once more, from the status as it is now; a second refusal is the
            # status itself (the CRD's schema), and is raised.
            live = stored_now.get("status")
            operations = uid_bound_patch(live if isinstance(live, dict) else None, new, uid=provider.uid)
            if not operations:
                return True
            stored = await self._send_status_patch(provider, operations)
        if stored is None:
            return False
        provider.took_patch(new, stored)  # the status we wrote is the one we know (see provider_state)
        return True

    async def _send_status_patch(
        self, provider: Provider, operations: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The object as stored after the patch; None when it is gone (forgotten: its loop ends).
        A refusal (:class:`PatchRefusedError`) is the caller's to judge."""
        try:
            stored: dict[str, Any] = await self._kube_pool.run(
                self.kube.patch_status, provider.namespace, provider.name, operations
            )
        except NotFoundError:
            self.forget(provider.body)
            return None
        return stored

    async def _refused(self, provider: Provider, refused: PatchRefusedError) -> dict[str, Any] | None:
        """A refused status patch: the provider as stored now if it is still this loop's object;
        None, and the loop ends, if the name now belongs to another object (or to none)."""
        log = provider_logger(logger, provider.namespace, provider.name)
        try:
            stored = await self._kube_pool.run(self.kube.read_provider, provider.namespace, provider.name)
        except NotFoundError:
            self.forget(provider.body)
            return None
        uid = (stored.get("metadata") or {}).get("uid")
        if provider.uid is not None and uid != provider.uid:
            log.warning(
                "Not writing the status: the provider was replaced by a new object (uid %s, was %s); "
                "this verification loop ends.",
                uid,
                provider.uid,
            )
            self.forget(provider.body, why="replaced by a new object")
            return None
        log.info("The %s; writing it again over the status as stored now.", refused)
        return stored


def _ignore_result(future: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of a future nobody awaits any more (no "never retrieved" warning)."""
    if not future.cancelled():
        future.exception()


async def _relay(stopped: kopf.DaemonStopped, wake: asyncio.Event) -> None:
    """Wake the loop when Kopf asks its daemon to stop."""
    await stopped.wait()
    wake.set()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Until ``event`` is set or ``timeout`` passes. (Not ``asyncio.wait_for``: before Python 3.12
    it can swallow a cancellation that coincides with the event, and the task would never stop.)"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(timeout, 0.0)):
            await event.wait()


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
