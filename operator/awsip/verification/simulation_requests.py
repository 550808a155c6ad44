"""Concrete requests for SimulatePrincipalPolicy, from the required policy (pure).

SimulatePrincipalPolicy evaluates concrete requests: one action, one resource ARN, the request's
context keys. Each required (action, resource pattern) becomes one request: the pattern is
instantiated with the role's partition and account and a region (``*`` -> ``awsip``), and each
condition of the required statement becomes a context entry whose value satisfies it, so a role
whose policy has the same condition is seen to grant the action.

With the authorization catalog, each request is one AWS could make: an action without resource
types is asked on ``*``, another on an ARN of one of its resource types inside the pattern
(``eks:DescribeCluster`` on a cluster ARN, never on a nodegroup ARN); a pattern that names none of
the action's resource types adds no request, unless no pattern of the statement names one (or the
catalog does not know the action, or only approximates its resource types): then the pattern
itself is instantiated, as without a catalog.

Not simulated (left to the Local check): action patterns (``ec2:Describe*``; IAM simulates
action names only), ``NotAction`` and ``Deny`` statements. Condition operators whose satisfying
value cannot be made up (negations, ``Null: false``, policy variables) are left out of the
context; IAM then reports the key as missing and the request is undecided, not denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from awsip.aws.policy_simulator import ContextEntry, ContextKeyType, SimulationRequest
from awsip.catalog import Catalog, Partition
from awsip.catalog.arn_samples import resource_sample

SAMPLE_NAME = "awsip"


@dataclass(frozen=True)
class RequiredRequest:
    """A simulation request and the required resource pattern it stands for."""

    request: SimulationRequest
    resource_pattern: str


@dataclass(frozen=True)
class Samples:
    requests: list[RequiredRequest]
    not_simulated: list[str]
    """Required actions that cannot be simulated (action patterns, NotAction statements)."""


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _fill_wildcards(text: str) -> str:
    return text.replace("*", SAMPLE_NAME).replace("?", "x")


def sample_arn(pattern: str, *, partition: str, account: str, region: str) -> str | None:
    """A concrete ARN matching ``pattern`` (None for ``*``: the request has no particular resource)."""
    if pattern == "*":
        return None
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return _fill_wildcards(pattern)
    _, arn_partition, service, arn_region, arn_account, resource = parts
    arn_partition = partition if any(c in arn_partition for c in "*?") else arn_partition
    arn_region = region if any(c in arn_region for c in "*?") else arn_region
    arn_account = account if any(c in arn_account for c in "*?") else arn_account
    return f"arn:{arn_partition}:{_fill_wildcards(service)}:{arn_region}:{arn_account}:{_fill_wildcards(resource)}"


_TYPES: dict[str, ContextKeyType] = {
    "String": "string",
    "Arn": "string",
    "Numeric": "numeric",
    "Bool": "boolean",
    "Date": "date",
    "IpAddress": "ip",
    "BinaryEquals": "binary",
}
_NEGATED = ("StringNot", "ArnNot", "NumericNotEquals", "DateNotEquals", "NotIpAddress")


def _context_entry(operator: str, key: str, values: list[str]) -> ContextEntry | None:
    qualifier, _, base = operator.rpartition(":")
    base = base.removesuffix("IfExists")
    if base == "Null" or base.startswith(_NEGATED) or not values:
        return None
    if any("${" in value for value in values):
        return None
    kind = next((t for prefix, t in _TYPES.items() if base.startswith(prefix)), None)
    if kind is None or base.startswith(("NumericLess", "NumericGreater", "DateLess", "DateGreater")):
        # Bounds would need a made-up number or date on the right side of them: leave it out.
        return None
    value = _fill_wildcards(values[0]) if base.endswith("Like") else values[0]
    if qualifier in ("ForAnyValue", "ForAllValues"):
        return ContextEntry(key, (value,), _list_type(kind))
    return ContextEntry(key, (value,), kind)


def _list_type(kind: ContextKeyType) -> ContextKeyType:
    lists: dict[str, ContextKeyType] = {
        "string": "stringList",
        "numeric": "numericList",
        "boolean": "booleanList",
        "date": "dateList",
        "ip": "ipList",
        "binary": "binaryList",
    }
    return lists.get(kind, kind)


def _context(condition: Mapping[str, Any] | None) -> tuple[ContextEntry, ...]:
    entries: dict[str, ContextEntry] = {}
    for operator, block in (condition or {}).items():
        if not isinstance(block, Mapping):
            continue
        for key, raw in block.items():
            entry = _context_entry(str(operator), str(key), _listify(raw))
            if entry is not None:
                entries.setdefault(entry.key.lower(), entry)
    return tuple(entries[k] for k in sorted(entries))


def _statements(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        return [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _catalog_arns(
    catalog: Catalog | None, action: str, patterns: list[str], *, partition: str, account: str, region: str
) -> list[tuple[str, str | None]] | None:
    """(pattern, sample) for the patterns that name a resource of the action, or None when the
    catalog cannot say (unknown action) or no pattern names one (the formal samples apply)."""
    known = catalog.action(action) if catalog is not None else None
    if catalog is None or known is None or known.note:
        return None  # unknown, or its resource types are approximated: the formal samples
    chosen = next((p for p in catalog.partitions if p.name == partition), Partition(partition, (region,)))
    out: list[tuple[str, str | None]] = []
    for pattern in patterns:
        sample = resource_sample(
            known, pattern, partition=chosen, region=region, account=account, name=SAMPLE_NAME
        )
        if sample is not None:
            out.append((pattern, None if sample == "*" else sample))
    return out or None


def simulation_requests(
    required: Mapping[str, Any],
    *,
    partition: str,
    account: str,
    region: str,
    catalog: Catalog | None = None,
) -> Samples:
    requests: dict[SimulationRequest, RequiredRequest] = {}
    not_simulated: list[str] = []
    for statement in _statements(required):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            not_simulated.extend(_listify(statement["NotAction"]))
            continue
        resources = _listify(statement.get("Resource")) or ["*"]
        context = _context(statement.get("Condition"))
        for action in _listify(statement.get("Action")):
            if any(c in action for c in "*?"):
                not_simulated.append(action)
                continue
            arns = _catalog_arns(
                catalog, action, resources, partition=partition, account=account, region=region
            )
            if arns is None:
                arns = [
                    (pattern, sample_arn(pattern, partition=partition, account=account, region=region))
                    for pattern in resources
                ]
            for pattern, arn in arns:
                request = SimulationRequest(action=action, resource_arn=arn, context=context)
                requests.setdefault(request, RequiredRequest(request, pattern))
    return Samples(list(requests.values()), list(dict.fromkeys(not_simulated)))
