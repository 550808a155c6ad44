"""IAM reads with the role's own session first and, where that is denied, the operator's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol, TypeVar

from botocore.exceptions import ClientError

from awsip.aws.errors import ErrorKind, classify_error

T = TypeVar("T")

#: Operations whose resource is the role itself: an AccessDenied of the operator's identity for one
#: of them holds for the role as a whole. (For iam:GetPolicy and iam:GetPolicyVersion the resource
#: is the policy, and the operator may be allowed to read some policies and not others.)
ROLE_OPERATIONS: Final = frozenset(
    {
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:SimulatePrincipalPolicy",
    }
)


#: An operation whose AccessDenied to the session is remembered even with no operator to fall back
#: on (a role in another account): asked again, it would only be denied again, at the cost of a
#: call in the role's account on every verification; a denied simulation changes no verdict (Auto
#: runs Local only). Denied reads are asked every time: a person fixing the role's policy expects
#: the next verification to see it.
SESSION_DENIAL_REMEMBERED: Final = "iam:SimulatePrincipalPolicy"


class DenialMemo(Protocol):
    """Where AccessDenied answers are remembered across verifications (``AwsServices.denials``)."""

    def get(self, key: tuple[str, str, str]) -> dict[str, Any] | None: ...

    def put(self, key: tuple[str, str, str], value: dict[str, Any]) -> None: ...


class FallbackReader:
    """Runs a read with the assumed-role session's IAM client, then with the operator's.

    An operation denied to the session once is sent straight to the operator for the rest of the
    verification (the role's policy decides per action, so the next call would be denied too).
    There is always a session: the operator's identity reads a role only for a provider that
    assumed it (proved that it may use it), never in place of a failed AssumeRole (the confused
    deputy: see :mod:`awsip.verification.verify`).

    The operator's identity only helps in its own account: IAM reads name roles by name, in the
    caller's account, so for a role in another account ``operator_iam`` must be None (a denied
    read then raises the session's error). Errors of the last identity tried propagate.

    With ``denials`` (and the ``role_arn``), AccessDenied answers outlive the verification: an
    operation denied to the role's session goes straight to the operator in later verifications
    of the same role too, and an operation of :data:`ROLE_OPERATIONS` denied to the operator on
    this role raises that same AccessDenied again without asking AWS, until the memo forgets it;
    so does :data:`SESSION_DENIAL_REMEMBERED` denied to the session of a role in another account.
    """

    def __init__(
        self,
        session_iam: Any,
        operator_iam: Any | None,
        *,
        denials: DenialMemo | None = None,
        role_arn: str = "",
    ) -> None:
        if session_iam is None:
            raise ValueError("IAM reads of a role need the role's session: it was not assumed")
        self.session_iam = session_iam
        self.operator_iam = operator_iam
        self.denied_to_session: set[str] = set()
        self._denials = denials
        self._role_arn = role_arn

    def call(self, operation: str, read: Callable[[Any], T]) -> T:
        if (
            self.operator_iam is not None
            and operation not in self.denied_to_session
            and self._remembered("session", operation) is not None
        ):
            self.denied_to_session.add(operation)
        if operation not in self.denied_to_session:
            alone = self.operator_iam is None and operation == SESSION_DENIAL_REMEMBERED
            if alone:
                response = self._remembered("session", operation)
                if response is not None:
                    raise ClientError(response, operation.split(":", 1)[-1])
            try:
                return read(self.session_iam)
            except ClientError as error:
                classified = classify_error(error)
                if classified is None or classified.kind is not ErrorKind.ACCESS_DENIED:
                    raise
                if self.operator_iam is None:
                    if alone:
                        self._remember("session", operation, error)
                    raise
                self.denied_to_session.add(operation)
                self._remember("session", operation, error)
        assert self.operator_iam is not None  # only operations it may take over are denied_to_session
        if operation in ROLE_OPERATIONS:
            response = self._remembered("operator", operation)
            if response is not None:
                raise ClientError(response, operation.split(":", 1)[-1])
        try:
            return read(self.operator_iam)
        except ClientError as error:
            if operation in ROLE_OPERATIONS:
                classified = classify_error(error)
                if classified is not None and classified.kind is ErrorKind.ACCESS_DENIED:
                    self._remember("operator", operation, error)
            raise

    def _remembered(self, identity: str, operation: str) -> dict[str, Any] | None:
        if self._denials is None or not self._role_arn:
            return None
        return self._denials.get((identity, self._role_arn, operation))

    def _remember(self, identity: str, operation: str, error: ClientError) -> None:
        if self._denials is not None and self._role_arn:
            self._denials.put((identity, self._role_arn, operation), dict(error.response))
