"""Which actions a statement's ``Action`` / ``NotAction`` covers (IAM wildcards, case-insensitive)."""

from __future__ import annotations

from typing import Final

from awsip.trust.document import Statement
from awsip.trust.wildcards import wildcard_match

ASSUME_ROLE: Final = "sts:AssumeRole"
#: The actions that hand out the role's credentials.
ASSUME_ACTIONS: Final = (ASSUME_ROLE, "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")


def covers(statement: Statement, action: str) -> bool:
    """Whether ``statement`` applies to ``action``."""
    if statement.actions is not None:
        return any(wildcard_match(pattern, action, ignore_case=True) for pattern in statement.actions)
    assert statement.not_actions is not None
    return not any(wildcard_match(pattern, action, ignore_case=True) for pattern in statement.not_actions)


def covers_any_assume(statement: Statement) -> bool:
    """Whether ``statement`` applies to any action that hands out the role's credentials."""
    return any(covers(statement, action) for action in ASSUME_ACTIONS)
