"""The status of a provider that awsip does not verify: its spec is invalid, or the tenancy rules refuse it (pure).

Both are the same shape, :func:`stalled_status`, because both mean the same thing to a reader:
nothing was asked of AWS, and only a person can change that (kstatus: Stalled).

- ``Ready`` False and ``Stalled`` True, with the reason and a message that says what to fix;
- ``Reconciling`` False, same reason: nothing is under way until the spec (or the rules) change.

Whatever an earlier verification found about the role (``RoleAssumed``, ``PermissionsVerified``,
``TrustPolicySecure``, ``accountID``, ``assumedRoleARN``, ``permissions``, ``trustPolicy``) is
dropped: it described another spec, or a role the namespace is no longer entitled to know about.
``lastVerifiedTime`` stays, since nothing was verified; conditions of other controllers are kept.

- :func:`invalid_spec_status` -- ``InvalidSpec``: a spec that pydantic refuses (possible when the
  CRD schema is not enforced); the message names the fields, never their values;
- :func:`not_permitted_status` -- ``NotPermitted``: the tenancy decision's message, written for
  the tenant (what was refused and what to ask a cluster administrator for).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from awsip.api.condition_reasons import ConditionType, Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.status.salvage import salvage
from awsip.status.size import fit_status
from awsip.status.transitions import conditions_by_type, format_time, make_condition

NO_AWS_CALL: Final = "awsip made no AWS call for this provider."


def stalled_status(
    previous: Mapping[str, Any] | None,
    *,
    generation: int | None,
    now: datetime,
    reason: str,
    message: str,
    waiting_for: str,
) -> dict[str, Any]:
    """``Ready=False``/``Stalled=True`` with ``reason`` and ``message``; ``Reconciling=False`` says
    what it is ``waiting_for`` (see the module docs). Only the valid parts of ``previous`` are
    carried (:func:`awsip.status.salvage.salvage`)."""
    previous = salvage(previous)
    before = conditions_by_type(previous)
    stamp = format_time(now)
    wanted = (
        (ConditionType.READY, "False", message),
        (ConditionType.RECONCILING, "False", waiting_for),
        (ConditionType.STALLED, "True", message),
    )
    conditions = [
        make_condition(
            type_, value, reason, text, previous=before.get(type_), generation=generation, now=stamp
        )
        for type_, value, text in wanted
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


def invalid_spec_status(
    previous: Mapping[str, Any] | None, *, generation: int | None, now: datetime, message: str
) -> dict[str, Any]:
    """``InvalidSpec``; ``message`` says which fields are wrong (never their values)."""
    text = f"The spec is invalid and was not verified: {message}. Fix the spec (kubectl explain awsip.spec)."
    return stalled_status(
        previous,
        generation=generation,
        now=now,
        reason=Reason.INVALID_SPEC,
        message=text,
        waiting_for="Waiting for a valid spec.",
    )


def not_permitted_status(
    previous: Mapping[str, Any] | None, *, generation: int | None, now: datetime, message: str
) -> dict[str, Any]:
    """``NotPermitted``; ``message`` is the tenancy decision's message, written for the tenant."""
    return stalled_status(
        previous,
        generation=generation,
        now=now,
        reason=Reason.NOT_PERMITTED,
        message=f"{message.rstrip()} {NO_AWS_CALL}",
        waiting_for="Waiting for a tenancy rule that permits this role.",
    )
