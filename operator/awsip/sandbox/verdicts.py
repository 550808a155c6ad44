"""Reading a provider's verdict from its status: what the sandbox and the e2e tests wait for.

Plain dictionaries, no emulator: ``awsip sandbox`` checks its options with these before it
imports anything heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def condition(provider: Mapping[str, Any] | None, type_: str) -> dict[str, Any]:
    """A condition of a provider object (an empty dict if absent)."""
    for item in ((provider or {}).get("status") or {}).get("conditions") or []:
        if isinstance(item, dict) and item.get("type") == type_:
            return item
    return {}


def verdict(provider: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(status, reason) of Ready."""
    ready = condition(provider, "Ready")
    return ready.get("status"), ready.get("reason")


def is_settled(provider: Mapping[str, Any]) -> bool:
    """Ready is True or False and no verification of this spec is under way."""
    reconciling = condition(provider, "Reconciling")
    return verdict(provider)[0] in ("True", "False") and reconciling.get("status") != "True"
