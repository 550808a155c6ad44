"""When to verify a provider next: pure functions of its status, its interval and the clock.

Each provider's verification loop (a Kopf daemon, see :mod:`awsip.controller.runtime`) sleeps
until the provider is due (:func:`next_due`). Nothing here touches Kubernetes or AWS, so the
schedule is unit-tested with plain datetimes. The interval is the parsed spec's
(:class:`awsip.controller.provider_spec.ValidSpec`); the backoff of retries is
:mod:`awsip.controller.backoff`'s.

Spreading: every provider has a fixed phase within its interval, derived from its uid
(:func:`phase`), and is re-verified at the moment with that phase (counted from the epoch) that is
nearest to ``lastVerifiedTime + interval`` (:func:`slot`). A thousand providers created by one
``kubectl apply`` are verified once right away (bounded by the worker pool and the AWS rate limit);
their next verifications land on their phases, half an interval to one and a half after the first,
spread evenly over the whole interval; from then on each comes due exactly one interval after its
previous slot. After an operator restart nothing changes: the phases depend on nothing but the uid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from awsip.api.condition_reasons import ConditionType, Reason, find_condition
from awsip.status import parse_time


def fraction(key: str) -> float:
    """A stable number in [0, 1) derived from ``key`` (a uid, or namespace/name)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def phase(key: str, interval_seconds: float) -> float:
    """The provider's fixed offset (seconds) within each interval, counted from the epoch."""
    return fraction(key) * interval_seconds


def slot(target: datetime, interval_seconds: float, key: str) -> datetime:
    """The moment nearest to ``target`` that lies at the provider's phase of an interval."""
    offset = phase(key, interval_seconds)
    count = round((target.timestamp() - offset) / interval_seconds)
    return datetime.fromtimestamp(count * interval_seconds + offset, tz=target.tzinfo or UTC)


def is_current(status: Mapping[str, Any] | None, generation: int | None) -> bool:
    """Whether ``status`` holds a finished verdict for this generation of the spec.

    Without ``metadata.generation`` (some emulators do not set it) the generation cannot tell, and
    spec changes are only noticed through the change handlers.
    """
    if not status:
        return False
    if generation is not None and status.get("observedGeneration") != generation:
        return False
    ready = find_condition(status, ConditionType.READY)
    if ready is None or ready.get("status") not in ("True", "False"):
        return False  # never verified, or the last attempt could not decide (transient)
    if ready.get("reason") in (
        Reason.NOT_PERMITTED,
        Reason.OPERATOR_CREDENTIALS_UNAVAILABLE,
        Reason.INTERNAL_ERROR,
    ):
        # Refused by the tenancy rules, or the operator's own credentials or code failed for long
        # (a restart is what fixes them, and must verify at once): not a verdict about the role.
        return False
    reconciling = find_condition(status, ConditionType.RECONCILING)
    return not (reconciling is not None and reconciling.get("status") == "True")


def next_due(
    *,
    status: Mapping[str, Any] | None,
    generation: int | None,
    interval: float,
    key: str,
    now: datetime,
    requested: bool = False,
    retry_at: datetime | None = None,
) -> datetime:
    """When the provider must be verified next.

    - ``requested`` (the spec changed, or the provider was just created): now;
    - a transient failure is being retried: at ``retry_at``;
    - the status is not a finished verdict for this generation (never verified, spec changed while
      the operator was away, the last attempt was transient before a restart, or the tenancy rules
      refused the provider -- the runtime holds refused providers back itself): now;
    - otherwise: the provider's :func:`slot` nearest to ``lastVerifiedTime + interval``.
    """
    if requested:
        return now
    if retry_at is not None:
        return retry_at
    last = parse_time(status.get("lastVerifiedTime")) if status else None
    if last is None or not is_current(status, generation):
        return now
    try:
        return slot(last + timedelta(seconds=interval), interval, key)
    except (OverflowError, ValueError, OSError):
        # Off the calendar: a lastVerifiedTime near year 9999 (a status edited by hand), or an
        # interval the API's bound did not stop. Verify now: the new lastVerifiedTime is sane.
        return now
