"""Combining the Local and Simulate verdicts per required action, and the PermissionsVerified check (pure).

Per required action (IAM action names are case-insensitive):

- missing (``NotCovered``) when Local finds a (statement, action) not granted, or Simulate is
  denied a sample request without missing context: Simulate also sees SCPs, so either method
  finding a gap is a gap;
- granted (``Covered``) when every Local result for it is Covered, or every simulated request
  for it is allowed (Simulate decides what the local engine could not);
- undecided (``Unknown``) otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import (
    MAX_MESSAGE_LENGTH,
    MAX_MISSING_LISTED,
    MAX_POLICY_FINDINGS,
    MAX_REASON_LENGTH,
    MissingPermission,
    PermissionFinding,
    PermissionsMethod,
    PermissionsStatus,
)
from awsip.aws.policy_simulator import SimulationResult
from awsip.policy import ActionResult
from awsip.policy.findings import PolicyFinding
from awsip.policy.report import Status
from awsip.textcap import cap
from awsip.verification import messages
from awsip.verification.outcome import Check
from awsip.verification.simulation_requests import RequiredRequest


class Verdict(NamedTuple):
    """One required (action, resource) as one method judged it.

    A named tuple, not a frozen dataclass: a verification makes one per required statement and
    action (over a hundred for capa-minimal), and a frozen dataclass costs several times more to
    make."""

    action: str
    resource: str
    status: Status
    reason: str


def local_verdicts(results: Iterable[ActionResult]) -> list[Verdict]:
    """Verdicts from the policy engine's ``CoverageReport.results``."""
    return [Verdict(r.action, r.resource, r.status, r.reason) for r in results]


def simulated_verdicts(
    required: Sequence[RequiredRequest], results: Sequence[SimulationResult]
) -> list[Verdict]:
    by_request = {result.request: result for result in results}
    verdicts = []
    for item in required:
        result = by_request.get(item.request)
        resource = item.request.resource_arn or "*"
        if result is None:
            verdicts.append(Verdict(item.request.action, item.resource_pattern, "Unknown", "not simulated"))
        elif result.allowed:
            verdicts.append(Verdict(item.request.action, item.resource_pattern, "Covered", "allowed"))
        elif result.missing_context:
            keys = ", ".join(result.missing_context)
            verdicts.append(
                Verdict(
                    item.request.action,
                    item.resource_pattern,
                    "Unknown",
                    f"SimulatePrincipalPolicy on {resource} needs context keys {keys}",
                )
            )
        else:
            why = f"SimulatePrincipalPolicy: {result.decision} on {resource}"
            if result.allowed_by_organizations is False:
                why += " (denied by an organization SCP)"
            if result.allowed_by_boundary is False:
                why += " (not allowed by the permissions boundary)"
            verdicts.append(Verdict(item.request.action, item.resource_pattern, "NotCovered", why))
    return verdicts


class _Tally:
    """What one required action's verdicts add up to, seen in one pass (see :func:`combine`)."""

    __slots__ = ("first", "local_covered", "missing", "simulate_covered", "unknown")

    def __init__(self, first: Verdict) -> None:
        self.first = first  # the first verdict, Local's if any
        self.missing: Verdict | None = None  # the first NotCovered, Local's before Simulate's
        self.unknown: Verdict | None = None  # the first Unknown, Local's before Simulate's
        # Every verdict of the method Covered (None: the method said nothing of the action).
        self.local_covered: bool | None = None
        self.simulate_covered: bool | None = None


def combine(local: Sequence[Verdict] | None, simulated: Sequence[Verdict] | None) -> list[Verdict]:
    """One verdict per distinct required action, in the order the required policy lists them.

    Runs for every verification (a thousand providers, a thousand times): one pass over the
    verdicts, no list built per action.
    """
    tallies: dict[str, _Tally] = {}
    for from_local, verdicts in ((True, local or ()), (False, simulated or ())):
        for verdict in verdicts:
            key = verdict.action.lower()
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally(verdict)
            covered = verdict.status == "Covered"
            if from_local:
                tally.local_covered = covered and tally.local_covered is not False
            else:
                tally.simulate_covered = covered and tally.simulate_covered is not False
            if verdict.status == "NotCovered":
                if tally.missing is None:
                    tally.missing = verdict
            elif not covered and tally.unknown is None:
                tally.unknown = verdict
    combined = []
    for tally in tallies.values():
        if tally.missing is not None:
            combined.append(tally.missing)
        elif tally.local_covered or tally.simulate_covered:
            first = tally.first
            combined.append(
                first
                if first.status == "Covered"
                else Verdict(first.action, first.resource, "Covered", first.reason)
            )
        else:
            assert tally.unknown is not None  # neither missing nor covered: some verdict is Unknown
            combined.append(tally.unknown)
    return combined


def permissions_check(
    verdicts: Sequence[Verdict],
    *,
    method: PermissionsMethod,
    profile: str | None,
    config_map: str | None,
    findings: Sequence[PolicyFinding] = (),
) -> tuple[Check, PermissionsStatus]:
    """The PermissionsVerified check and ``status.permissions``. ``findings`` (about the role's own
    policies) are listed, bounded, and never change the check."""
    missing = [v for v in verdicts if v.status == "NotCovered"]
    unknown = [v for v in verdicts if v.status == "Unknown"]
    listed = missing[:MAX_MISSING_LISTED]
    details = PermissionsStatus(
        method=method,
        requiredActions=len(verdicts),
        missingActions=len(missing),
        unknownActions=len(unknown),
        missing=[
            MissingPermission(
                action=cap(v.action, 256),
                resource=cap(v.resource, 2048),
                reason=cap(v.reason, MAX_REASON_LENGTH),
            )
            for v in listed
        ],
        truncated=len(missing) > len(listed),
        findings=[
            PermissionFinding(
                code=f.code,
                action=cap(f.action, 1024),
                resource=cap(f.resource, 2048),
                policy=cap(f.policy, 2048),
                statement=cap(f.statement, 256),
                message=cap(f.message, MAX_MESSAGE_LENGTH),
            )
            for f in findings[:MAX_POLICY_FINDINGS]
        ],
        findingCount=len(findings),
    )
    if missing:
        check = Check(
            "False",
            Reason.MISSING_PERMISSIONS,
            messages.missing_permissions(
                missing=[v.action for v in missing],
                required_actions=len(verdicts),
                profile=profile,
                config_map=config_map,
            ),
        )
    elif unknown:
        check = Check(
            "Unknown",
            Reason.UNDECIDED_PERMISSIONS,
            messages.undecided_permissions(
                undecided=[v.action for v in unknown], required_actions=len(verdicts)
            ),
        )
    else:
        check = Check(
            "True",
            Reason.ALL_PERMISSIONS_GRANTED,
            messages.all_granted(required_actions=len(verdicts), method=method),
        )
    return check, details
