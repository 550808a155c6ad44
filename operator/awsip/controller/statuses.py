"""Pure helpers between a verification's status and the API: patches, events, invalid specs.

The status itself is built by :mod:`awsip.status`; this module only decides what to send:

- :func:`merge_patch` -- the JSON merge patch (RFC 7386) turning one status into another; kmock
  and the API server both understand it, and lists (conditions) are replaced whole. The status
  builder returns unchanged conditions byte-identical, so when the verdict did not change the
  patch is ``lastVerifiedTime`` alone (the heartbeat);
- :func:`ready_event` -- the Kubernetes Event to post when ``Ready`` changed, compared with the
  status stored in the object (so an operator restart never repeats one);
- :func:`invalid_spec_status` -- ``Stalled``/``InvalidSpec`` for a spec that pydantic refuses
  (possible when the CRD schema is not enforced), and :func:`describe_validation_error`, which
  never echoes the offending values (an External ID could be one of them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from awsip.api.condition_reasons import ConditionType, find_condition
from awsip.textcap import cap

#: Kubernetes rejects Event messages above 1 KiB in some versions; keep well below.
MAX_EVENT_MESSAGE: Final = 1000


@dataclass(frozen=True)
class ReadyEvent:
    type: str  # Normal or Warning
    reason: str
    message: str


def ready_event(previous: Mapping[str, Any] | None, new: Mapping[str, Any]) -> ReadyEvent | None:
    """The Event for a change of the ``Ready`` condition (status or reason), or None."""
    after = find_condition(new, ConditionType.READY)
    if after is None:
        return None
    before = find_condition(previous, ConditionType.READY)
    if before is not None and (before.get("status"), before.get("reason")) == (
        after.get("status"),
        after.get("reason"),
    ):
        return None
    status = str(after.get("status", "Unknown"))
    reason = str(after.get("reason") or "Unknown")
    message = str(after.get("message") or "")
    text = f"Ready={status} ({reason})" + (f": {message}" if message else "")
    text = cap(text, MAX_EVENT_MESSAGE)
    return ReadyEvent(type="Normal" if status == "True" else "Warning", reason=reason, message=text)


#: pydantic's prefixes for errors raised in validators ("Value error, externalID and ..."): its
#: wording, not the problem's.
_VALIDATOR_PREFIXES = {"value_error": "Value error, ", "assertion_error": "Assertion failed, "}


def describe_validation_error(error: ValidationError, *, limit: int = 5) -> str:
    """``field: problem`` for the first few errors; the offending values are never included.

    A rule across fields (a model validator) has no field of its own: its path is ``spec``."""
    parts = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:limit]:
        location = ".".join(str(part) for part in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix(
            _VALIDATOR_PREFIXES.get(item.get("type", ""), "")
        )
        parts.append(f"{'spec.' + location if location else 'spec'}: {message}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def fingerprint(value: Any) -> str:
    """A digest of a JSON value (a spec): equal specs, equal fingerprints."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
