"""IAM ``SimulatePrincipalPolicy`` behind a small interface.

IAM evaluates the role's identity policies, its permissions boundary and the organization's SCPs
for concrete requests. Requests that share a resource ARN and context are sent together (one
call per group and chunk of actions), pages are followed with ``Marker``, and throttling is
retried with exponential backoff on top of botocore's own retries (a verification makes several
simulate calls; giving up on the third page because of one throttle would waste the first two).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from awsip.aws.errors import THROTTLING_CODES

ContextKeyType = Literal[
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
]


@dataclass(frozen=True)
class ContextEntry:
    key: str
    values: tuple[str, ...]
    type: ContextKeyType = "string"


@dataclass(frozen=True)
class SimulationRequest:
    action: str
    resource_arn: str | None
    """A concrete ARN, or None for ``*`` (actions that take no resource)."""
    context: tuple[ContextEntry, ...] = ()


@dataclass(frozen=True)
class SimulationResult:
    request: SimulationRequest
    decision: str
    """``allowed``, ``explicitDeny`` or ``implicitDeny`` (as IAM spells them)."""
    missing_context: tuple[str, ...] = ()
    allowed_by_organizations: bool | None = None
    allowed_by_boundary: bool | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


class PolicySimulator(Protocol):
    def simulate(
        self, policy_source_arn: str, requests: Sequence[SimulationRequest]
    ) -> list[SimulationResult]:
        """One result per request, in the order of ``requests``. Raises botocore errors."""
        ...


class IamPolicySimulator:
    """:class:`PolicySimulator` over a boto3 IAM client."""

    def __init__(
        self,
        iam: Any,
        *,
        max_actions_per_call: int = 100,
        max_items: int = 1000,
        throttle_retries: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._iam = iam
        self._max_actions = max_actions_per_call
        self._max_items = max_items
        self._throttle_retries = throttle_retries
        self._backoff = backoff_seconds
        self._sleep = sleep

    def simulate(
        self, policy_source_arn: str, requests: Sequence[SimulationRequest]
    ) -> list[SimulationResult]:
        groups: dict[tuple[str | None, tuple[ContextEntry, ...]], list[SimulationRequest]] = {}
        for request in requests:
            groups.setdefault((request.resource_arn, request.context), []).append(request)

        results: dict[SimulationRequest, SimulationResult] = {}
        for (resource_arn, context), group in groups.items():
            by_action: dict[str, SimulationRequest] = {}
            for request in group:
                by_action.setdefault(request.action.lower(), request)
            actions = list(dict.fromkeys(request.action for request in group))
            for start in range(0, len(actions), self._max_actions):
                chunk = actions[start : start + self._max_actions]
                for evaluation in self._evaluate(policy_source_arn, chunk, resource_arn, context):
                    name = str(evaluation.get("EvalActionName", "")).lower()
                    matched = by_action.get(name)
                    if matched is not None:
                        results[matched] = _result(matched, evaluation)
        return [
            results.get(request)
            or SimulationResult(request, "implicitDeny", missing_context=("<no result>",))
            for request in requests
        ]

    def _evaluate(
        self,
        policy_source_arn: str,
        actions: list[str],
        resource_arn: str | None,
        context: tuple[ContextEntry, ...],
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "PolicySourceArn": policy_source_arn,
            "ActionNames": actions,
            "MaxItems": self._max_items,
        }
        if resource_arn is not None:
            params["ResourceArns"] = [resource_arn]
        if context:
            params["ContextEntries"] = [
                {
                    "ContextKeyName": entry.key,
                    "ContextKeyValues": list(entry.values),
                    "ContextKeyType": entry.type,
                }
                for entry in context
            ]
        evaluations: list[dict[str, Any]] = []
        while True:
            page = self._call(params)
            evaluations.extend(page.get("EvaluationResults", []))
            if not page.get("IsTruncated"):
                return evaluations
            params = {**params, "Marker": page["Marker"]}

    def _call(self, params: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response: dict[str, Any] = self._iam.simulate_principal_policy(**params)
                return response
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code not in THROTTLING_CODES or attempt >= self._throttle_retries:
                    raise
                self._sleep(self._backoff * (2**attempt))
                attempt += 1


def _result(request: SimulationRequest, evaluation: dict[str, Any]) -> SimulationResult:
    decision = str(evaluation.get("EvalDecision", "implicitDeny"))
    missing = list(evaluation.get("MissingContextValues", []))
    for specific in evaluation.get("ResourceSpecificResults", []):
        missing.extend(specific.get("MissingContextValues", []))
    organizations = evaluation.get("OrganizationsDecisionDetail", {}).get("AllowedByOrganizations")
    boundary = evaluation.get("PermissionsBoundaryDecisionDetail", {}).get("AllowedByPermissionsBoundary")
    return SimulationResult(
        request=request,
        decision=decision,
        missing_context=tuple(dict.fromkeys(str(key) for key in missing)),
        allowed_by_organizations=organizations if isinstance(organizations, bool) else None,
        allowed_by_boundary=boundary if isinstance(boundary, bool) else None,
    )
