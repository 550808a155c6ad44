"""A parsed trust-policy statement as the checks read it: its label, its principals, its actions.

Statements are :class:`awsip.policy.model.Statement` objects, read by the policy parser in its
tolerant mode (``kind="trust"``): they always carry a Principal or NotPrincipal element.
"""

from __future__ import annotations

from typing import Final

from awsip.policy.model import Principal, PrincipalSet, Statement
from awsip.policy.wildcard import matches
from awsip.textcap import cap

ASSUME_ROLE: Final = "sts:AssumeRole"
#: The actions that hand out the role's credentials.
ASSUME_ACTIONS: Final = (ASSUME_ROLE, "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
#: TrustFinding.statement is at most 256 characters.
MAX_LABEL = 256


def label(statement: Statement) -> str:
    """How findings name a statement: its Sid, or ``#index`` without one."""
    return cap(statement.sid, MAX_LABEL) if statement.sid else f"#{statement.index}"


def _element(statement: Statement) -> PrincipalSet:
    assert statement.principals is not None, "a trust-policy statement has Principal or NotPrincipal"
    return statement.principals


def named_principals(statement: Statement) -> tuple[Principal, ...]:
    """The principals of the statement's ``Principal`` element (none for a NotPrincipal statement)."""
    element = _element(statement)
    return () if element.negated else element.principals


def not_principals(statement: Statement) -> tuple[Principal, ...] | None:
    """The principals of its ``NotPrincipal`` element; None when it has a ``Principal`` instead."""
    element = _element(statement)
    return element.principals if element.negated else None


def covers(statement: Statement, action: str) -> bool:
    """Whether ``statement`` applies to ``action`` (IAM wildcards, case-insensitive)."""
    listed = any(matches(p.text, action, ignore_case=True) for p in statement.actions.patterns)
    return listed != statement.actions.negated


def covers_any_assume(statement: Statement) -> bool:
    """Whether ``statement`` applies to any action that hands out the role's credentials."""
    return any(covers(statement, action) for action in ASSUME_ACTIONS)
