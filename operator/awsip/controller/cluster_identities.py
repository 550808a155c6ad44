"""The controller's Cluster API step: keep a provider's CAPA ``AWSClusterRoleIdentity`` in line with its verdict.

The runtime calls :meth:`ClusterIdentities.step` with the status it is about to publish, in the
same turn (so the condition costs no status patch of its own):

- after a verification, with the new verdict (see :mod:`awsip.clusterapi.role_identity` for what
  each verdict writes);
- for a provider the tenancy rules refuse (nothing is created or updated; what exists is kept
  and marked);
- for an invalid spec (nothing is touched; an existing condition says so);
- when a failed step is retried on its own (the backoff below), with the status as it stands.

A provider without ``spec.clusterAPI.roleIdentity`` costs nothing: no API call, no condition. One
that stops asking for an identity has the identities it owns deleted and the condition removed.
On deletion, :meth:`ClusterIdentities.release` deletes what the provider owns (a cluster-scoped
object cannot have a namespaced owner reference, so Kubernetes' garbage collector cannot).

Failures (CAPA's CRDs not installed, access denied, a rejected object, the API server unreachable,
a conflict) never fail the turn and never touch ``Ready``: the condition says what happened and the
runtime retries the step alone with the controller's backoff (:mod:`awsip.controller.backoff`),
without asking AWS again. The External ID written is the one the verification used (recorded in
memory by :class:`RememberingInputs`, never anywhere else); only when the verification did not
read it (a test backend) is it read from its Secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from kubernetes.client.exceptions import ApiException

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.clusterapi import role_identity as ri
from awsip.clusterapi.role_identity import IdentityState, Operation, Owner
from awsip.controller.kube_identities import ClusterAPINotInstalled, IdentityApi
from awsip.controller.workers import WorkerPool
from awsip.redaction import redact, redact_values
from awsip.status.identity_condition import (
    has_cluster_identity,
    with_cluster_identity,
    without_cluster_identity,
)
from awsip.textcap import cap
from awsip.verification import InputNotFoundError, InputUnavailableError, ProviderInputs, ProviderRef
from awsip.verification.inputs import InvalidInputError, resolve_external_id

logger = logging.getLogger("awsip.controller")

RESOURCE: Final = f"{ri.PLURAL}.{ri.GROUP}/{ri.VERSION}"
MAX_API_MESSAGE: Final = 500


class RememberingInputs:
    """``ProviderInputs`` that keep the Secret values a verification read (in memory only), so
    that the identity gets exactly the External ID that was verified."""

    def __init__(self, inputs: ProviderInputs) -> None:
        self._inputs = inputs
        self._secrets: dict[tuple[str, str, str], str] = {}

    def __repr__(self) -> str:  # never the values
        return f"RememberingInputs({len(self._secrets)} values)"

    def secret_value(self, namespace: str, name: str, key: str) -> str:
        value = self._inputs.secret_value(namespace, name, key)
        self._secrets[(namespace, name, key)] = value
        return value

    def configmap_value(self, namespace: str, name: str, key: str) -> str:
        return self._inputs.configmap_value(namespace, name, key)

    def remembered(self, namespace: str, name: str, key: str) -> str | None:
        return self._secrets.get((namespace, name, key))


@dataclass(frozen=True)
class StepResult:
    """The status to publish, and whether the step failed (the runtime then retries it alone)."""

    status: dict[str, Any]
    failed: bool = False


class IdentityStepError(Exception):
    """A failed API call, with the condition that says so (``state`` None: keep the condition)."""

    def __init__(self, state: IdentityState | None, log_message: str) -> None:
        super().__init__(log_message)
        self.state = state


class ClusterIdentities:
    """The Cluster API step of every provider (``api`` None: the feature is off, ``--cluster-api-identities``)."""

    def __init__(self, api: IdentityApi | None, pool: WorkerPool) -> None:
        self.api = api
        self._pool = pool
        #: One step at a time per provider uid: a deletion's release waits for a step under way.
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, owner: Owner) -> asyncio.Lock:
        return self._locks.setdefault(owner.uid, asyncio.Lock())

    async def step(
        self,
        *,
        owner: Owner,
        spec: AWSInfrastructureProviderSpec | None,
        status: Mapping[str, Any] | None,
        generation: int | None,
        now: datetime,
        inputs: ProviderInputs,
        remembered: RememberingInputs | None = None,
        may_write: Callable[[], bool] = lambda: True,
    ) -> StepResult:
        """``status`` with ``ClusterIdentityReady`` brought up to date, after the writes it takes.

        ``spec`` None: the spec is invalid. ``inputs`` reads the Secret when ``remembered`` does
        not hold the External ID. ``may_write`` is asked before every write (False once the
        provider is being deleted: its identities are then the deletion's business)."""
        base = dict(status or {})
        wanted = spec.cluster_api.role_identity if spec is not None and spec.cluster_api else None
        if spec is None:
            if not has_cluster_identity(base):
                return StepResult(base)
            state = IdentityState(
                "False",
                Reason.PROVIDER_NOT_READY,
                "The spec is invalid: awsip leaves the identities it created for this provider as they are "
                "until it is valid again.",
            )
            return StepResult(with_cluster_identity(base, state, generation=generation, now=now))
        if wanted is None:
            if not has_cluster_identity(base):
                return StepResult(base)  # never asked for one: no API call at all
            return await self._opt_out(owner, base, generation, now, may_write)
        if self.api is None:
            state = IdentityState(
                "False",
                Reason.CLUSTER_API_IDENTITIES_DISABLED,
                f"awsip runs without --cluster-api-identities (chart: clusterAPI.roleIdentities.enabled), "
                f"so it does not write {ri.KIND} {wanted.name}. Ask a cluster administrator to enable it.",
            )
            return StepResult(with_cluster_identity(base, state, generation=generation, now=now))

        verdict = ri.provider_verdict(base, generation)
        if verdict.kind == "Pending":
            return StepResult(with_cluster_identity(base, None, generation=generation, now=now))
        if not owner.uid:  # (every stored object has one; without it nothing could be owned)
            return StepResult(with_cluster_identity(base, None, generation=generation, now=now))
        async with self._lock(owner):
            return await self._sync(
                owner, spec, wanted.name, verdict, base, generation, now, inputs, remembered, may_write
            )

    async def _sync(
        self,
        owner: Owner,
        spec: AWSInfrastructureProviderSpec,
        name: str,
        verdict: ri.ProviderVerdict,
        base: dict[str, Any],
        generation: int | None,
        now: datetime,
        inputs: ProviderInputs,
        remembered: RememberingInputs | None,
        may_write: Callable[[], bool],
    ) -> StepResult:
        assert self.api is not None
        external_id: str | None = None
        try:
            desired = None
            if verdict.kind == "Ready":
                # (A read of the Secret, when the verification did not read it, blocks: in the pool.)
                external_id = await self._pool.run(self._external_id, owner, spec, inputs, remembered)
                desired = ri.desired_identity(owner, spec, external_id)
            existing = await self._call(self.api.read_identity, name)
            owned = await self._call(self.api.list_identities, owner.uid)
            plan = ri.plan_identity(
                owner=owner,
                name=name,
                verdict=verdict,
                desired=desired,
                existing=existing,
                owned=owned,
            )
            await self._run(plan.operations, owner, may_write, secret=external_id)
        except IdentityStepError as exc:
            logger.warning("%s: %s", owner, redact_values(str(exc), [external_id]))
            return StepResult(
                with_cluster_identity(base, exc.state, generation=generation, now=now), failed=True
            )
        return StepResult(with_cluster_identity(base, plan.state, generation=generation, now=now))

    async def _opt_out(
        self,
        owner: Owner,
        status: dict[str, Any],
        generation: int | None,
        now: datetime,
        may_write: Callable[[], bool],
    ) -> StepResult:
        """The spec no longer asks for an identity: delete those it owns, then drop the condition."""
        if self.api is None or not owner.uid:
            return StepResult(without_cluster_identity(status))
        try:
            async with self._lock(owner):
                await self._release(owner, may_write)
        except IdentityStepError as exc:
            logger.warning("%s: %s", owner, exc)
            return StepResult(
                with_cluster_identity(status, exc.state, generation=generation, now=now), failed=True
            )
        return StepResult(without_cluster_identity(status))

    async def release(self, owner: Owner) -> None:
        """The provider is deleted: once a step under way for it has ended, delete every identity it
        owns; raises :class:`IdentityStepError` on a failure (the caller retries)."""
        if self.api is None or not owner.uid:
            return
        async with self._lock(owner):
            await self._release(owner, lambda: True)
        self._locks.pop(owner.uid, None)

    async def _release(self, owner: Owner, may_write: Callable[[], bool]) -> None:
        assert self.api is not None
        try:
            owned = await self._call(self.api.list_identities, owner.uid)
        except IdentityStepError as exc:
            if exc.state is not None and exc.state.reason == Reason.CLUSTER_API_NOT_INSTALLED:
                return  # no such resource: nothing of ours can exist
            raise
        await self._run(ri.plan_release(owner, owned), owner, may_write)

    # -- the calls -----------------------------------------------------------------------------

    def _external_id(
        self,
        owner: Owner,
        spec: AWSInfrastructureProviderSpec,
        inputs: ProviderInputs,
        remembered: RememberingInputs | None,
    ) -> str | None:
        ref = spec.external_id_secret_ref
        if ref is not None and remembered is not None:
            value = remembered.remembered(owner.namespace, ref.name, ref.key)
            if value is not None:
                return value
        try:
            return resolve_external_id(ProviderRef(owner.namespace, owner.name), spec, inputs)
        except (InputNotFoundError, InputUnavailableError, InvalidInputError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            raise IdentityStepError(
                IdentityState(
                    "False",
                    Reason.EXTERNAL_ID_SECRET_NOT_FOUND,
                    f"The External ID for {ri.KIND} could not be read: {message}",
                ),
                f"cannot read the External ID for the {ri.KIND}: {message}",
            ) from None

    async def _run(
        self,
        operations: tuple[Operation, ...],
        owner: Owner,
        may_write: Callable[[], bool],
        *,
        secret: str | None = None,
    ) -> None:
        assert self.api is not None
        for op in operations:
            if not may_write():
                raise IdentityStepError(None, f"not writing {ri.KIND} {op.name}: the provider is going away")
            if op.verb == "create":
                assert op.body is not None
                await self._call(self.api.create_identity, op.body, secret=secret)
                logger.info("%s: created %s %s.", owner, ri.KIND, op.name)
            elif op.verb == "patch":
                assert op.body is not None
                await self._call(self.api.patch_identity, op.name, op.body, secret=secret)
                logger.info("%s: updated %s %s (%s).", owner, ri.KIND, op.name, ", ".join(_changed(op.body)))
            else:
                await self._call(self.api.delete_identity, op.name, op.uid)
                logger.info("%s: deleted %s %s.", owner, ri.KIND, op.name)

    async def _call(self, fn: Callable[..., Any], *args: Any, secret: str | None = None) -> Any:
        """``fn(*args)`` in the Kubernetes pool; its failure as an :class:`IdentityStepError`."""
        try:
            return await self._pool.run(fn, *args)
        except ClusterAPINotInstalled:
            raise IdentityStepError(
                IdentityState(
                    "False",
                    Reason.CLUSTER_API_NOT_INSTALLED,
                    f"The API server does not serve {RESOURCE}: install Cluster API Provider AWS (its "
                    f"CRDs). awsip tries again with a growing delay.",
                ),
                f"{RESOURCE} is not served (Cluster API Provider AWS not installed?)",
            ) from None
        except ApiException as exc:
            raise _api_error(exc, secret) from None
        except Exception as exc:  # urllib3's connection errors and timeouts
            raise IdentityStepError(
                IdentityState(
                    "Unknown",
                    Reason.KUBERNETES_UNAVAILABLE,
                    f"The API server could not be asked about {ri.KIND} objects ({type(exc).__name__}); "
                    f"retrying.",
                ),
                f"{ri.KIND} call failed: {type(exc).__name__}",
            ) from None


def _changed(patch: Mapping[str, Any]) -> list[str]:
    """The top-level fields a patch changes (names only: never the External ID's value)."""
    fields = [f"spec.{key}" for key in (patch.get("spec") or {})]
    metadata = patch.get("metadata") or {}
    fields += [f"metadata.{key}" for key in metadata if key != "resourceVersion"]
    return fields or ["nothing"]


def _api_error(exc: ApiException, secret: str | None) -> IdentityStepError:
    status = exc.status or 0
    detail = cap(redact(redact_values(_status_message(exc), [secret])), MAX_API_MESSAGE)
    if status in (401, 403):
        return IdentityStepError(
            IdentityState(
                "False",
                Reason.IDENTITY_ACCESS_DENIED,
                f"awsip may not read or write {RESOURCE} (HTTP {status}); the chart grants it with "
                f"clusterAPI.roleIdentities.enabled. {detail}".rstrip(),
            ),
            f"{ri.KIND}: HTTP {status}",
        )
    if status == 409 or status == 404:
        # A conflict (the object changed since it was read, or appeared meanwhile) or an object
        # gone between the read and the write: the next attempt reads it again.
        return IdentityStepError(None, f"{ri.KIND} changed meanwhile (HTTP {status}); trying again")
    if status in (400, 422):
        return IdentityStepError(
            IdentityState(
                "False",
                Reason.IDENTITY_REJECTED,
                f"The API server rejected the {ri.KIND} awsip wrote (HTTP {status}): {detail}",
            ),
            f"{ri.KIND} rejected: HTTP {status}",
        )
    return IdentityStepError(
        IdentityState(
            "Unknown",
            Reason.KUBERNETES_UNAVAILABLE,
            f"The API server could not handle a {ri.KIND} request now (HTTP {status}); retrying.",
        ),
        f"{ri.KIND}: HTTP {status}",
    )


def _status_message(exc: ApiException) -> str:
    """The ``message`` of the API server's Status (never the whole body, which echoes the object)."""
    try:
        body = exc.body.decode() if isinstance(exc.body, bytes) else str(exc.body or "")
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return ""
    return str(message) if message else ""
