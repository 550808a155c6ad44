"""The status of a provider that the tenancy rules do not permit (pure).

When no tenancy rule lets the provider's namespace use its role, the operator makes no AWS call
for it and writes this status instead of a verification's:

- ``Ready`` False and ``Stalled`` True, reason ``NotPermitted``, with the tenancy decision's message
  (what was refused and what to ask a cluster administrator for);
- ``Reconciling`` False, reason ``NotPermitted``: nothing is under way until the rules or the spec
  change.

Whatever an earlier verification found about the role (``RoleAssumed``, ``PermissionsVerified``,
``TrustPolicySecure``, ``accountID``, ``assumedRoleARN``, ``permissions``, ``trustPolicy``) is
dropped: the namespace is no longer entitled to know what that role may do. ``lastVerifiedTime``
stays, since nothing was verified; conditions of other controllers are kept.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from awsip.api.constants import ConditionType
from awsip.api.types import AWSInfrastructureProviderStatus
from awsip.status.conditions import conditions_by_type, format_time, make_condition
from awsip.status.size import fit_status

NOT_PERMITTED: Final = "NotPermitted"
NO_AWS_CALL: Final = "awsip made no AWS call for this provider."


def not_permitted_status(
    previous: Mapping[str, Any] | None, *, generation: int | None, now: datetime, message: str
) -> dict[str, Any]:
    """``Ready=False``/``Stalled=True`` with reason ``NotPermitted`` (see the module docs).

    ``message`` is the tenancy decision's message, written for the tenant.
    """
    before = conditions_by_type(previous)
    stamp = format_time(now)
    text = f"{message.rstrip()} {NO_AWS_CALL}"
    wanted = (
        (ConditionType.READY, "False", text),
        (ConditionType.RECONCILING, "False", "Waiting for a tenancy rule that permits this role."),
        (ConditionType.STALLED, "True", text),
    )
    conditions = [
        make_condition(
            type_,
            value,
            NOT_PERMITTED,
            msg,
            previous=before.get(type_),
            generation=generation,
            now=stamp,
        )
        for type_, value, msg in wanted
    ]
    conditions += [copy.deepcopy(c) for t, c in before.items() if t not in ConditionType.ALL]
    status: dict[str, Any] = {}
    if generation is not None:
        status["observedGeneration"] = generation
    status["conditions"] = conditions
    if previous and "lastVerifiedTime" in previous:
        status["lastVerifiedTime"] = previous["lastVerifiedTime"]
    status = fit_status(status)
    AWSInfrastructureProviderStatus.model_validate(status)
    return status


def is_not_permitted(status: Mapping[str, Any] | None) -> bool:
    """Whether ``status`` is a tenancy refusal (Ready's reason is ``NotPermitted``)."""
    ready = conditions_by_type(status).get(ConditionType.READY)
    return ready is not None and ready.get("reason") == NOT_PERMITTED
