"""Conditions that keep their history: lastTransitionTime moves only when the status changes (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from awsip.api.v1alpha1 import CONDITION_REASON_PATTERN, MAX_MESSAGE_LENGTH, MAX_REASON_LENGTH, Condition
from awsip.textcap import cap

_REASON = re.compile(CONDITION_REASON_PATTERN)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with second precision, as the API server stores metav1.Time.

    Naive datetimes are taken as UTC. Microseconds are dropped: the API server would drop them
    anyway, and a status compared after a round trip must not differ because of them.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """A time as :func:`format_time` writes it (RFC 3339, ``2024-05-01T10:00:00Z``), or None when
    ``value`` is not one (a status may hold anything where the CRD schema is not enforced)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def safe_reason(reason: str) -> str:
    """``reason`` if it matches the CRD's pattern, else the closest CamelCase string that does."""
    if _REASON.match(reason) and len(reason) <= MAX_REASON_LENGTH:
        return reason
    words = re.findall(r"[A-Za-z0-9]+", reason)
    joined = "".join(word[:1].upper() + word[1:] for word in words).lstrip("0123456789")
    candidate = (joined[:1].upper() + joined[1:])[:MAX_REASON_LENGTH]
    return candidate if candidate and _REASON.match(candidate) else "Unknown"


def conditions_by_type(status: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    conditions = (status or {}).get("conditions") or []
    return {
        str(c["type"]): dict(c)
        for c in conditions
        if isinstance(c, Mapping) and isinstance(c.get("type"), str)
    }


def make_condition(
    type_: str,
    status: str,
    reason: str,
    message: str,
    *,
    previous: Mapping[str, Any] | None,
    generation: int | None,
    now: str,
) -> dict[str, Any]:
    """A condition; ``previous`` (the same type's condition before) lends it its lastTransitionTime.

    When nothing but the time would change, the previous condition is returned unchanged (equal,
    key for key), so an unchanged condition stays byte-identical.
    """
    condition: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": safe_reason(reason),
        "message": cap(message, MAX_MESSAGE_LENGTH),
        "lastTransitionTime": now,
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    if previous is not None and previous.get("status") == status and previous.get("lastTransitionTime"):
        condition["lastTransitionTime"] = previous["lastTransitionTime"]
    Condition.model_validate(condition)  # the CRD's rules: a violation is a bug here, not user input
    if previous is not None and dict(previous) == condition:
        return dict(previous)
    return condition
