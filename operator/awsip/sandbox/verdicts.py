"""Reading a provider's verdict from its status: what the sandbox and the e2e tests wait for.

Plain dictionaries, no emulator: ``awsip sandbox`` checks its options with these before it
imports anything heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsip.api.condition_reasons import ConditionType, find_condition


def condition(provider: Mapping[str, Any] | None, type_: str) -> dict[str, Any]:
    """A condition of a provider object (an empty dict if absent)."""
    found = find_condition((provider or {}).get("status"), type_)
    return dict(found) if found is not None else {}


def verdict(provider: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(status, reason) of Ready."""
    ready = condition(provider, ConditionType.READY)
    return ready.get("status"), ready.get("reason")


def is_settled(provider: Mapping[str, Any]) -> bool:
    """Ready is True or False and no verification of this spec is under way."""
    reconciling = condition(provider, ConditionType.RECONCILING)
    return verdict(provider)[0] in ("True", "False") and reconciling.get("status") != "True"
