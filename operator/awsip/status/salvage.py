"""What a stored status may lend the next one: only its parts that are valid (pure).

The status builders carry parts of the status as stored -- other controllers' conditions, a check
not reached this time, the last verdict's details while a retry is under way -- and validate what
they build (:class:`~awsip.api.v1alpha1.AWSInfrastructureProviderStatus`). A stored status that
does not validate (edited by hand, written by an older awsip, or by anything where the CRD's schema
is not enforced) must not make every later status fail with it: it would never be repaired, and
the provider would stay as it is. :func:`salvage` keeps the parts that validate, each on its own,
and drops the rest, which the builders then rebuild (a condition of awsip's own comes back as the
verification sets it, or as "not verified yet").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import ValidationError

from awsip.api.condition_reasons import ConditionType
from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus, Condition

#: The CRD's bound on status.conditions.
MAX_CONDITIONS: Final = 16


def salvage(previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``previous`` without the parts that do not validate (a new dict; values are not copied)."""
    if not isinstance(previous, Mapping):
        return {}
    kept: dict[str, Any] = {}
    for key, value in previous.items():
        if key == "conditions":
            kept[key] = _valid_conditions(value)
        elif _valid_member(str(key), value):
            kept[str(key)] = value
    return kept


def _valid_member(key: str, value: Any) -> bool:
    try:
        AWSInfrastructureProviderStatus.model_validate({key: value})
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def _valid_conditions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    valid: dict[str, dict[str, Any]] = {}  # by type: the last of a type wins, as everywhere
    for item in value:
        if not isinstance(item, Mapping):
            continue
        try:
            Condition.model_validate(item)
        except (ValidationError, TypeError, ValueError):
            continue
        valid[str(item["type"])] = dict(item)
    own = [c for t, c in valid.items() if t in ConditionType.ALL]
    others = [c for t, c in valid.items() if t not in ConditionType.ALL]
    return own + others[: max(0, MAX_CONDITIONS - len(own))]
