"""Condition clauses of a trust statement, and what they mean for awsip.

A statement's ``Condition`` is a conjunction: every (operator, key) clause must hold. Operators and
keys are case-insensitive here. What matters for trust:

- ``sts:ExternalId``: does the statement reject a call without the External ID (the key is
  absent), and does it accept only exact values?
- ``aws:PrincipalAccount`` / ``aws:PrincipalArn`` / ``aws:PrincipalOrgID`` /
  ``aws:PrincipalOrgPaths``: does it narrow a wildcard principal to known accounts?

IAM's rule for absent keys: a clause is false when its key is missing from the request, except
for negated operators (``StringNotEquals``...), which are true, ``...IfExists`` operators, which
are true, ``ForAllValues:`` qualifiers, which are true, and ``Null``, which tests presence.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from awsip.trust.principals import ACCOUNT_ID
from awsip.trust.wildcards import has_wildcard

EXTERNAL_ID_KEY = "sts:externalid"
PRINCIPAL_SCOPE_KEYS = frozenset(
    {"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths"}
)
_QUALIFIERS = ("forallvalues:", "foranyvalue:")
_EQUALS = frozenset({"stringequals", "stringequalsignorecase"})
_NOT_EQUALS = frozenset({"stringnotequals", "stringnotequalsignorecase"})
_SCOPING = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})


def parse_operator(operator: str) -> tuple[str, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ``("foranyvalue", "stringlike", True)``."""
    name = operator.lower()
    qualifier = ""
    for prefix in _QUALIFIERS:
        if name.startswith(prefix):
            qualifier, name = prefix[:-1], name[len(prefix) :]
            break
    if_exists = name.endswith("ifexists") and name != "ifexists"
    if if_exists:
        name = name[: -len("ifexists")]
    return qualifier, name, if_exists


@dataclass(frozen=True)
class Clause:
    """One (operator, key, values) triple of a Condition."""

    operator: str
    qualifier: str  # "", "forallvalues" or "foranyvalue"
    base: str  # lower-case operator without qualifier and IfExists: "stringequals"
    if_exists: bool
    key: str
    values: tuple[str, ...]

    @property
    def key_lower(self) -> str:
        return self.key.lower()

    @property
    def passes_when_absent(self) -> bool:
        """Whether the clause holds for a request that does not carry the key at all."""
        if self.base == "null":
            return any(value.lower() == "true" for value in self.values)
        if self.qualifier == "forallvalues" or self.if_exists:
            return True
        if self.qualifier == "foranyvalue":
            return False
        return "not" in self.base


class ExternalIdCheck(enum.Enum):
    EXACT = "exact"  # the key must be present and equal one of the listed values
    PRESENCE_ONLY = "presence only"  # a call without it fails, but other values may pass
    OPTIONAL = "optional"  # a call without the External ID passes the condition
    ABSENT = "absent"  # the statement does not look at sts:ExternalId


@dataclass(frozen=True)
class ExternalIdVerdict:
    check: ExternalIdCheck
    operators: tuple[str, ...] = ()  # the operators applied to sts:ExternalId, as written

    @property
    def requires_presence(self) -> bool:
        return self.check in (ExternalIdCheck.EXACT, ExternalIdCheck.PRESENCE_ONLY)


def _exact_values(values: Iterable[str], *, like: bool) -> bool:
    values = tuple(values)
    if not values:
        return False
    return all("${" not in value and not (like and has_wildcard(value)) for value in values)


def clause_is_exact(clause: Clause) -> bool:
    """Whether an ``sts:ExternalId`` clause requires the key and accepts only listed values."""
    if clause.qualifier or clause.if_exists:
        return False
    if clause.base in _EQUALS:
        return _exact_values(clause.values, like=False)
    if clause.base == "stringlike":
        return _exact_values(clause.values, like=True)
    return False


def external_id_verdict(clauses: Iterable[Clause]) -> ExternalIdVerdict:
    """How the clauses of one Allow statement treat ``sts:ExternalId``."""
    relevant = [clause for clause in clauses if clause.key_lower == EXTERNAL_ID_KEY]
    operators = tuple(dict.fromkeys(clause.operator for clause in relevant))
    if not relevant:
        return ExternalIdVerdict(ExternalIdCheck.ABSENT)
    if any(clause_is_exact(clause) for clause in relevant):
        return ExternalIdVerdict(ExternalIdCheck.EXACT, operators)
    if any(not clause.passes_when_absent for clause in relevant):
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
        if clause.key_lower != EXTERNAL_ID_KEY or clause.qualifier:
            return False
        if clause.base in _NOT_EQUALS and _exact_values(clause.values, like=False):
            continue
        if clause.base == "stringnotlike" and _exact_values(clause.values, like=True):
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
        key = clause.key_lower
        if key not in PRINCIPAL_SCOPE_KEYS or clause.if_exists or clause.base not in _SCOPING:
            continue
        if clause.qualifier == "forallvalues":
            continue
        if clause.values and all(_scopes(key, value) for value in clause.values):
            scoping.append(clause)
    return scoping


def _scopes(key: str, value: str) -> bool:
    if "${" in value:
        return False
    if key == "aws:principalaccount":
        return ACCOUNT_ID.fullmatch(value) is not None
    if key == "aws:principalorgid":
        return value.startswith("o-") and not has_wildcard(value)
    if key == "aws:principalorgpaths":
        # o-abc/r-root/ou-x/* is specific as long as the organization ID comes before a wildcard.
        head = value.split("/", 1)[0]
        return head.startswith("o-") and len(head) > 2 and not has_wildcard(head) and "/" in value
    # aws:principalarn: the account field must be a concrete account.
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and ACCOUNT_ID.fullmatch(parts[4]) is not None
