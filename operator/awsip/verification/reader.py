"""IAM reads with the role's own session first and, where that is denied, the operator's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from awsip.aws.errors import ErrorKind, classify_error

T = TypeVar("T")


class NoIdentityError(Exception):
    """Neither the role's session nor the operator's identity can make this read."""


class FallbackReader:
    """Runs a read with the assumed-role session's IAM client, then with the operator's.

    An operation denied to the session once is sent straight to the operator for the rest of the
    verification (the role's policy decides per action, so the next call would be denied too).
    Without a session (the role could not be assumed) every read uses the operator's identity.

    The operator's identity only helps in its own account: IAM reads name roles by name, in the
    caller's account, so for a role in another account ``operator_iam`` must be None (a denied
    read then raises the session's error, and without a session :class:`NoIdentityError`).
    Errors of the last identity tried propagate.
    """

    def __init__(self, session_iam: Any | None, operator_iam: Any | None) -> None:
        self.session_iam = session_iam
        self.operator_iam = operator_iam
        self.denied_to_session: set[str] = set()

    def call(self, operation: str, read: Callable[[Any], T]) -> T:
        if self.session_iam is not None and operation not in self.denied_to_session:
            try:
                return read(self.session_iam)
            except ClientError as error:
                classified = classify_error(error)
                if (
                    classified is None
                    or classified.kind is not ErrorKind.ACCESS_DENIED
                    or self.operator_iam is None
                ):
                    raise
                self.denied_to_session.add(operation)
        if self.operator_iam is None:
            raise NoIdentityError(operation)
        return read(self.operator_iam)
