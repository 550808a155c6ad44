"""The ``ClusterIdentityReady`` condition of a provider with ``spec.clusterAPI.roleIdentity`` (pure).

It is set beside the verification's conditions, never instead of them: ``Ready``, ``Reconciling``
and ``Stalled`` keep their meaning (the AWS verification), so kstatus, ``kubectl wait
--for=condition=Ready``, Argo CD and Flux see the same provider whether or not it asks for an
identity. Who needs the identity waits for ``--for=condition=ClusterIdentityReady``.

- :func:`with_cluster_identity` -- the status with the condition set to an
  :class:`~awsip.clusterapi.role_identity.IdentityState`; ``None`` keeps the condition as it is
  (a transient failure is being retried), or says that a verdict is awaited when there is none;
- :func:`without_cluster_identity` -- the status without it (the provider no longer asks for one).

``lastTransitionTime`` moves only when the condition's status changes, as for every condition
(:func:`awsip.status.transitions.make_condition`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from awsip.api.condition_reasons import ConditionType, Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.clusterapi.role_identity import IdentityState
from awsip.status.transitions import conditions_by_type, format_time, make_condition

_TYPE = ConditionType.CLUSTER_IDENTITY_READY

#: What the condition says before the first verdict (or while none can be had).
AWAITING_VERDICT = IdentityState(
    "Unknown", Reason.PROVIDER_NOT_READY, "Waiting for the provider's verification."
)


def with_cluster_identity(
    status: Mapping[str, Any] | None,
    state: IdentityState | None,
    *,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """A copy of ``status`` with ``ClusterIdentityReady`` set to ``state`` (see the module docs)."""
    result = copy.deepcopy(dict(status or {}))
    before = conditions_by_type(result)
    if state is None:
        if _TYPE in before:
            return result
        state = AWAITING_VERDICT
    condition = make_condition(
        _TYPE,
        state.status,
        state.reason,
        state.message,
        previous=before.get(_TYPE),
        generation=generation,
        now=format_time(now),
    )
    conditions = [c for c in result.get("conditions") or [] if not _is_ours(c)]
    result["conditions"] = [*conditions, condition]
    AWSInfrastructureProviderStatus.model_validate(result)
    return result


def without_cluster_identity(status: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``status`` without ``ClusterIdentityReady``."""
    result = copy.deepcopy(dict(status or {}))
    if "conditions" in result:
        result["conditions"] = [c for c in result.get("conditions") or [] if not _is_ours(c)]
    return result


def has_cluster_identity(status: Mapping[str, Any] | None) -> bool:
    return _TYPE in conditions_by_type(status)


def _is_ours(condition: Any) -> bool:
    return isinstance(condition, Mapping) and condition.get("type") == _TYPE
