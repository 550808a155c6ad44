"""What a trust statement's condition clauses mean for awsip.

Clauses are :class:`awsip.policy.model.Clause` objects (operators and keys case-insensitive, the
operator canonical); whether one holds when its key is absent is the policy engine's rule
(:func:`awsip.policy.conditions.holds`). What matters for trust:

- ``sts:ExternalId``: does the statement reject a call without the External ID (the key is
  absent), and does it accept only exact values?
- ``aws:PrincipalAccount`` / ``aws:PrincipalArn`` / ``aws:PrincipalOrgID`` /
  ``aws:PrincipalOrgPaths``: does it narrow a wildcard principal to known accounts?
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from awsip.policy.conditions import holds
from awsip.policy.model import Clause, Qualifier
from awsip.policy.wildcard import has_wildcards
from awsip.trust.principals import ACCOUNT_ID

EXTERNAL_ID_KEY = "sts:externalid"
PRINCIPAL_SCOPE_KEYS = frozenset(
    {"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths"}
)
_EQUALS = frozenset({"StringEquals", "StringEqualsIgnoreCase"})
_SCOPING = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


def passes_when_absent(clause: Clause) -> bool:
    """Whether the clause holds for a request that does not carry its key at all."""
    return holds(clause, None, None)


def texts(clause: Clause) -> list[str]:
    """The clause's values as written."""
    return [pattern.text for pattern in clause.values]


class ExternalIdCheck(enum.Enum):
    EXACT = "exact"  # the key must be present and equal one of the listed values
    PRESENCE_ONLY = "presence only"  # a call without it fails, but other values may pass
    OPTIONAL = "optional"  # a call without the External ID passes the condition
    ABSENT = "absent"  # the statement does not look at sts:ExternalId


@dataclass(frozen=True)
class ExternalIdVerdict:
    check: ExternalIdCheck
    operators: tuple[str, ...] = ()  # the operators applied to sts:ExternalId

    @property
    def requires_presence(self) -> bool:
        return self.check in (ExternalIdCheck.EXACT, ExternalIdCheck.PRESENCE_ONLY)


def _exact_values(clause: Clause, *, like: bool) -> bool:
    values = texts(clause)
    if not values:
        return False
    return all("${" not in value and not (like and has_wildcards(value)) for value in values)


def clause_is_exact(clause: Clause) -> bool:
    """Whether an ``sts:ExternalId`` clause requires the key and accepts only listed values."""
    if clause.qualifier is not None or clause.if_exists or clause.negated:
        return False
    if clause.base in _EQUALS:
        return _exact_values(clause, like=False)
    if clause.base == "StringLike":
        return _exact_values(clause, like=True)
    return False


def external_id_verdict(clauses: Iterable[Clause]) -> ExternalIdVerdict:
    """How the clauses of one Allow statement treat ``sts:ExternalId``."""
    relevant = [clause for clause in clauses if clause.key == EXTERNAL_ID_KEY]
    operators = tuple(dict.fromkeys(clause.operator for clause in relevant))
    if not relevant:
        return ExternalIdVerdict(ExternalIdCheck.ABSENT)
    if any(clause_is_exact(clause) for clause in relevant):
        return ExternalIdVerdict(ExternalIdCheck.EXACT, operators)
    if any(not passes_when_absent(clause) for clause in relevant):
        return ExternalIdVerdict(ExternalIdCheck.PRESENCE_ONLY, operators)
    return ExternalIdVerdict(ExternalIdCheck.OPTIONAL, operators)


def deny_enforces_external_id(clauses: tuple[Clause, ...]) -> bool:
    """Whether a Deny statement with these clauses denies every call without the exact External ID.

    That is a Deny whose only condition is ``StringNotEquals`` (or ``...IgnoreCase``, with or
    without ``IfExists``) on ``sts:ExternalId`` with exact values: it holds -- and denies -- when
    the key is absent or has another value.
    """
    if not clauses:
        return False
    for clause in clauses:
        if clause.key != EXTERNAL_ID_KEY or clause.qualifier is not None or not clause.negated:
            return False
        if clause.base in _EQUALS and _exact_values(clause, like=False):
            continue
        if clause.base == "StringLike" and _exact_values(clause, like=True):
            continue
        return False
    return True


def principal_scope(clauses: Iterable[Clause]) -> list[Clause]:
    """The clauses that narrow a wildcard principal to specific accounts, ARNs or organizations.

    Only positive operators without ``IfExists`` count (negated ones and ``IfExists`` pass for
    callers the key says nothing about), and only values that name a specific account or
    organization: ``StringLike aws:PrincipalAccount "*"`` narrows nothing.
    """
    scoping = []
    for clause in clauses:
        key = clause.key
        if (
            key not in PRINCIPAL_SCOPE_KEYS
            or clause.if_exists
            or clause.negated
            or clause.base not in _SCOPING
        ):
            continue
        if clause.qualifier is Qualifier.FOR_ALL_VALUES:
            continue
        values = texts(clause)
        if values and all(_scopes(key, value) for value in values):
            scoping.append(clause)
    return scoping


def _scopes(key: str, value: str) -> bool:
    if "${" in value:
        return False
    if key == "aws:principalaccount":
        return ACCOUNT_ID.fullmatch(value) is not None
    if key == "aws:principalorgid":
        return value.startswith("o-") and not has_wildcards(value)
    if key == "aws:principalorgpaths":
        # o-abc/r-root/ou-x/* is specific as long as the organization ID comes before a wildcard.
        head = value.split("/", 1)[0]
        return head.startswith("o-") and len(head) > 2 and not has_wildcards(head) and "/" in value
    # aws:principalarn: the account field must be a concrete account.
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and ACCOUNT_ID.fullmatch(parts[4]) is not None
