"""What the runtime remembers about one provider, and how it keeps that true to the API.

:class:`Provider` is the runtime's memory of one object: the body last observed (with the spec
parsed once per change, :mod:`awsip.controller.provider_spec`), what this process has handled,
its retries, and the state of its loop. Two rules keep the remembered status honest:

- after our own status patch, watch events still under way from before it carry an older status;
  until the watch brings our patch back (or :data:`EXPECTED_VERSION_TIMEOUT` passes), the status
  we wrote is the one we know (:meth:`Provider.took_patch`, :meth:`Provider.update`);
- the watch may also be quicker than the patch's response (events arrive in order): a version the
  watch already delivered is not waited for.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from awsip.clusterapi.role_identity import Owner
from awsip.controller.provider_spec import ParsedSpec, ValidSpec, parse_spec

if TYPE_CHECKING:
    from awsip.controller.cluster_identities import RememberingInputs

#: How long to wait for the watch to deliver our own status patch (then trust the events again).
EXPECTED_VERSION_TIMEOUT: Final = 10.0


def provider_key(body: Mapping[str, Any]) -> str:
    """The uid (or namespace/name, for an API that sets none): a recreated object is another provider."""
    metadata = body.get("metadata") or {}
    return str(metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}")


@dataclass(eq=False)
class Provider:
    """What the runtime remembers about one provider (dropped when it is deleted)."""

    key: str
    namespace: str
    name: str
    #: The object as last observed (its status as we last wrote it, see the module docs).
    body: dict[str, Any]
    #: ``body["spec"]``, parsed when it was observed.
    spec: ParsedSpec
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Fingerprint of a spec that must be verified now (set when the spec changes, see update()).
    requested_spec: str | None = None
    #: The spec this process last started to verify, or reported invalid; a failed attempt
    #: counts, so that its retry waits for the backoff rather than for nothing.
    handled: ParsedSpec | None = None
    failures: int = 0
    retry_at: datetime | None = None
    #: The last tenancy decision (None: none made yet, or no tenancy rules configured).
    permitted: bool | None = None
    verifying: bool = False
    #: The loop is waiting (for its time, or to be woken), and until when by the runtime's clock
    #: (None: until woken).
    parked: bool = False
    parked_until: datetime | None = None
    #: resourceVersion of our last status patch: watch events before it carry an older status.
    expected_version: str | None = None
    expected_until: float = 0.0
    #: resourceVersions of the last watch events, in arrival order.
    seen_versions: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=32))
    task: asyncio.Task[None] | None = None
    #: spec.clusterAPI.roleIdentity: failed Cluster API steps in a row, and when to retry alone.
    identity_failures: int = 0
    identity_retry_at: datetime | None = None
    #: The Secret values the last verification read (the External ID for the identity); memory only.
    remembered_inputs: RememberingInputs | None = field(default=None, repr=False)

    @classmethod
    def first_seen(cls, body: dict[str, Any]) -> Provider:
        metadata = body.get("metadata") or {}
        return cls(
            key=provider_key(body),
            namespace=str(metadata.get("namespace")),
            name=str(metadata.get("name")),
            body=body,
            spec=parse_spec(body.get("spec")),
        )

    @property
    def status(self) -> dict[str, Any] | None:
        status = self.body.get("status")
        return status if isinstance(status, dict) and status else None

    @property
    def generation(self) -> int | None:
        value = self.body.get("metadata", {}).get("generation")
        return value if isinstance(value, int) else None

    @property
    def owner(self) -> Owner:
        return Owner(self.namespace, self.name, str(self.body.get("metadata", {}).get("uid") or ""))

    @property
    def wants_identity(self) -> bool:
        """Whether the spec asks for a CAPA role identity (spec.clusterAPI.roleIdentity)."""
        spec = self.spec
        return (
            isinstance(spec, ValidSpec)
            and spec.spec.cluster_api is not None
            and spec.spec.cluster_api.role_identity is not None
        )

    @property
    def uid(self) -> str | None:
        """The object this loop verifies: every write is bound to it (see Runtime._patch)."""
        value = self.body.get("metadata", {}).get("uid")
        return str(value) if value else None

    @property
    def idle(self) -> bool:
        """Nothing to do until its time comes or something wakes it (what tests wait for)."""
        return self.parked and not self.wake.is_set()

    def update(self, body: dict[str, Any]) -> None:
        """A newer state of the object from the watch (``body`` is ours to keep)."""
        metadata = body.get("metadata") or {}
        if metadata.get("resourceVersion"):
            self.seen_versions.append(str(metadata["resourceVersion"]))
        if self.expected_version is not None:
            if (
                metadata.get("resourceVersion") == self.expected_version
                or time.monotonic() > self.expected_until
            ):
                self.expected_version = None
            else:  # an event from before our last status patch: keep the status we wrote
                body["status"] = self.body.get("status")
        if body.get("spec") != self.body.get("spec"):
            before = self.spec.fingerprint
            self.spec = parse_spec(body.get("spec"))
            if self.spec.fingerprint != before:
                # A changed spec is verified at once: the runtime itself, not a Kopf on.update
                # handler (whose diff-base would cost a write of the object), tells the change.
                self.requested_spec = self.spec.fingerprint
        self.body = body

    def took_patch(self, status: Mapping[str, Any], stored: Mapping[str, Any]) -> None:
        """Our status patch was stored (``stored``: the object as the API returned it)."""
        version = (stored.get("metadata") or {}).get("resourceVersion")
        version = str(version) if version else None
        if version is not None and version in self.seen_versions:
            self.expected_version = None
            if self.seen_versions[-1] == version:
                self.body["status"] = copy.deepcopy(dict(status))
        else:
            self.body["status"] = copy.deepcopy(dict(status))
            self.expected_version = version
            self.expected_until = time.monotonic() + EXPECTED_VERSION_TIMEOUT
