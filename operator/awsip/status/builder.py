"""The status of a provider from its last verification (pure; kstatus compatible).

Conditions
----------
``RoleAssumed``, ``PermissionsVerified``, ``TrustPolicySecure`` are the verification's checks.
A check that was not reached because an earlier step failed transiently is kept as it was.

``Ready`` is True (``Verified``) only when the role was assumed, every required permission is
granted and the trust policy is secure: ``TrustPolicySecure`` must be True, so any Critical or
High trust finding (a wildcard principal, an External ID the trust policy does not enforce, ...)
keeps a provider from being Ready. Otherwise Ready is

- False with the reason and message of the first check that is False (in the order above), else
  of the first check that is Unknown without being transient (e.g. ``CannotReadPolicies``);
- Unknown with the transient check's reason (``AWSUnavailable``) while a retry is under way.

``Stalled`` is True (with Ready's reason) when Ready is False and no retry is under way: only a
person can fix it (AccessDenied, MissingPermissions, an insecure trust policy, a missing Secret or
ConfigMap, a bad policy). ``Reconciling`` is True (``Retrying``) while a transient failure is being
retried, and False (``VerificationComplete``) after a final verdict.

The operator's own credentials
------------------------------
Expired or rejected operator credentials (``OperatorCredentialsUnavailable``) are transient first:
a token rotation race lasts seconds, and says nothing about any provider. ``RoleAssumed`` and Ready
are Unknown, the retry is under way, and what the last verification found (account, permissions,
trust policy) is kept. Only when the credentials failed on the previous attempt too (an earlier
one: a status built again from the same attempt, with the same ``lastVerifiedTime``, is not a
second sighting, so that building a status is stable) and ``RoleAssumed`` has been Unknown for
:data:`LASTING_FAULT_GRACE` (its ``lastTransitionTime``) does the status call it what it then is,
a fault of the operator's setup that a person must fix: Ready False, Stalled True, the details
still kept. The controller keeps retrying with backoff either way
(the verification result stays transient). A bug in awsip that fails every verification of a
provider (``InternalError``) is treated the same way (:data:`LASTING_FAULTS`).

Times and generations
---------------------
``lastTransitionTime`` changes only when a condition's status changes; a condition whose content
did not change is returned exactly as before. ``observedGeneration`` (top level and on every
condition set by this verification) is the generation verified, and is left out when the
generation is unknown (None). ``lastVerifiedTime`` is the verification's time, on every
verification (a heartbeat).

A new generation
----------------
:func:`reconciling_status` is what the controller patches when it starts verifying a new
generation: ``Reconciling`` True (``Verifying``, observedGeneration = the new generation) and
``Stalled`` False; Ready and the checks keep their values and their older observedGeneration,
which says they are about the previous generation (kstatus: Reconciling True is InProgress). The
top-level observedGeneration moves only when the verdict for the new generation is in.

Size
----
The whole status stays below :data:`awsip.status.size.MAX_STATUS_BYTES` of JSON, however long the
messages and lists that AWS answers lead to (:func:`awsip.status.size.fit_status`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from awsip.api.condition_reasons import ConditionType, Reason
from awsip.api.v1alpha1 import AWSInfrastructureProviderStatus
from awsip.status.salvage import salvage
from awsip.status.size import fit_status
from awsip.status.transitions import conditions_by_type, format_time, make_condition, parse_time
from awsip.verification.outcome import Check, VerificationResult

_OWN_TYPES = ConditionType.ALL

#: How long a failure that says nothing about the provider is shown as a retry (Unknown) before it is
#: shown as a fault (False, Stalled): longer than any credential rotation, short enough for an alert
#: to matter.
LASTING_FAULT_GRACE: Final = timedelta(minutes=10)

#: The transient failures of the operator itself that become a fault when they last, and what the
#: fault asks of a person: expired or rejected operator credentials, and a bug in awsip that
#: fails every verification of a provider (``InternalError``; without this, ``kubectl wait`` and
#: Argo CD would show such a provider as in progress for ever).
LASTING_FAULTS: Final = {
    Reason.OPERATOR_CREDENTIALS_UNAVAILABLE: "a person must fix the operator's credentials.",
    Reason.INTERNAL_ERROR: "please report it with the operator's log; the retries go on.",
}


def _failure_lasts(
    result: VerificationResult, before: Mapping[str, Any], now: datetime, *, rebuilt: bool
) -> bool:
    """Whether the operator's own failure (:data:`LASTING_FAULTS`) has lasted
    :data:`LASTING_FAULT_GRACE`: seen on the previous attempt too, with ``RoleAssumed`` Unknown for
    that long (a fault once shown stays one until a verification works)."""
    check = result.role_assumed
    if not (check.transient and check.reason in LASTING_FAULTS):
        return False
    previous = before.get(ConditionType.ROLE_ASSUMED) or {}
    if previous.get("reason") != check.reason:
        return False
    if previous.get("status") == "False":
        return True  # already shown as a fault: it stays one until the failure ends
    if rebuilt:
        return False  # the same attempt built again (same lastVerifiedTime): not seen twice
    since = parse_time(previous.get("lastTransitionTime"))
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return since is not None and moment - since >= LASTING_FAULT_GRACE


def _lasting_failure(check: Check) -> Check:
    minutes = int(LASTING_FAULT_GRACE.total_seconds() // 60)
    return Check(
        "False",
        check.reason,
        f"{check.message} (For more than {minutes} minutes: {LASTING_FAULTS[check.reason]})",
    )


def _ready(result: VerificationResult) -> Check:
    checks = result.checks
    failed = next((c for c in checks if c.status == "False"), None)
    if failed is not None:
        return Check("False", failed.reason, failed.message)
    retrying = next((c for c in checks if c.transient), None)
    if retrying is not None:
        return Check("Unknown", retrying.reason, retrying.message, transient=True)
    undecided = next((c for c in checks if c.status == "Unknown"), None)
    if undecided is not None:
        return Check("False", undecided.reason, undecided.message)
    if result.verified:
        assert result.permissions is not None
        return Check(
            "True",
            Reason.VERIFIED,
            f"{result.role_assumed.message} {result.permissions.message} The trust policy is secure.",
        )
    # Only reachable when a check was skipped without a transient failure (not produced by verify).
    return Check("Unknown", Reason.NOT_VERIFIED, "Not every check ran.")


def build_status(
    result: VerificationResult, previous: Mapping[str, Any] | None, *, generation: int | None, now: datetime
) -> dict[str, Any]:
    """The full new status (JSON-ready) after ``result``; ``previous`` is the status before (or None).

    Only the parts of ``previous`` that are valid are carried (:func:`awsip.status.salvage.salvage`):
    a stored status that does not validate is rebuilt, never failed on."""
    previous = salvage(previous)
    before = conditions_by_type(previous)
    stamp = format_time(now)

    def condition(type_: str, check: Check) -> dict[str, Any]:
        return make_condition(
            type_,
            check.status,
            check.reason,
            check.message,
            previous=before.get(type_),
            generation=generation,
            now=stamp,
        )

    carried_conditions: set[str] = set()  # taken over from the previous status (see fit_status)
    carried_keys: set[str] = set()

    def kept_or_pending(type_: str, check: Check | None) -> dict[str, Any]:
        if check is not None:
            return condition(type_, check)
        if type_ in before:
            carried_conditions.add(type_)
            return copy.deepcopy(before[type_])
        return condition(type_, Check("Unknown", Reason.NOT_VERIFIED, "Not verified yet."))

    # Kept while the verdict cannot be reached, escalated or not (see the module docs).
    keep_session = result.role_assumed.transient
    rebuilt = previous.get("lastVerifiedTime") == stamp
    if _failure_lasts(result, before, now, rebuilt=rebuilt):
        result = replace(result, role_assumed=_lasting_failure(result.role_assumed))
    ready = _ready(result)
    transient = result.transient
    if transient:
        stalled = Check("False", Reason.RETRYING, "A transient failure is being retried.")
        first = next(c for c in result.checks if c.transient)
        reconciling = Check("True", Reason.RETRYING, f"Retrying: {first.message}")
    else:
        if ready.status == "True":
            stalled = Check("False", Reason.VERIFIED, "The provider is verified.")
        else:
            stalled = Check("True", ready.reason, ready.message)
        reconciling = Check("False", Reason.VERIFICATION_COMPLETE, "The verification is complete.")

    conditions = [
        condition(ConditionType.READY, ready),
        condition(ConditionType.ROLE_ASSUMED, result.role_assumed),
        kept_or_pending(ConditionType.PERMISSIONS_VERIFIED, result.permissions),
        kept_or_pending(ConditionType.TRUST_POLICY_SECURE, result.trust),
        condition(ConditionType.RECONCILING, reconciling),
        condition(ConditionType.STALLED, stalled),
    ]
    conditions += [copy.deepcopy(c) for t, c in before.items() if t not in _OWN_TYPES]
    carried_conditions.update(t for t in before if t not in _OWN_TYPES)

    status: dict[str, Any] = {}
    if generation is not None:
        status["observedGeneration"] = generation
    status["conditions"] = conditions

    if result.role_assumed.ok:
        if result.account_id is not None:
            status["accountID"] = result.account_id
        if result.assumed_role_arn is not None:
            status["assumedRoleARN"] = result.assumed_role_arn
    elif keep_session:
        for key in ("accountID", "assumedRoleARN"):
            if key in previous:
                status[key] = previous[key]
                carried_keys.add(key)
    status["lastVerifiedTime"] = stamp

    if result.permissions is None or result.permissions.transient:
        if "permissions" in previous:
            status["permissions"] = copy.deepcopy(previous["permissions"])
            carried_keys.add("permissions")
    elif result.permissions_status is not None:
        status["permissions"] = result.permissions_status.to_k8s()

    if result.trust is None or result.trust.transient:
        if "trustPolicy" in previous:
            status["trustPolicy"] = copy.deepcopy(previous["trustPolicy"])
            carried_keys.add("trustPolicy")
    elif result.trust_status is not None:
        status["trustPolicy"] = result.trust_status.to_k8s()

    status = fit_status(status, carried_conditions=carried_conditions, carried_keys=carried_keys)
    AWSInfrastructureProviderStatus.model_validate(status)
    return status


def reconciling_status(
    previous: Mapping[str, Any] | None, generation: int | None, now: datetime, message: str
) -> dict[str, Any]:
    """The status to patch when verification of a new generation starts (see the module docs)."""
    status = copy.deepcopy(salvage(previous))
    before = conditions_by_type(status)
    stamp = format_time(now)
    updates = {
        ConditionType.RECONCILING: ("True", Reason.VERIFYING, message),
        ConditionType.STALLED: ("False", Reason.VERIFYING, message),
    }
    if ConditionType.READY not in before:
        updates[ConditionType.READY] = ("Unknown", Reason.VERIFYING, message)
    for type_, (value, reason, text) in updates.items():
        before[type_] = make_condition(
            type_, value, reason, text, previous=before.get(type_), generation=generation, now=stamp
        )
    order = [t for t in ConditionType.ALL if t in before] + [t for t in before if t not in ConditionType.ALL]
    status["conditions"] = [before[t] for t in order]
    AWSInfrastructureProviderStatus.model_validate(status)
    return status
