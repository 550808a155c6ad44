"""The Local method: read the role's policies from IAM and evaluate them with the policy engine.

Reads per verification: ListAttachedRolePolicies (paged), GetPolicy per managed policy (to learn
its default version: ListAttachedRolePolicies does not say it) unless another verification asked
within the last few seconds (``versions``, :data:`awsip.aws.services.DEFAULT_VERSION_TTL`),
GetPolicyVersion only when the (ARN, version) is not cached yet, ListRolePolicies (paged) and GetRolePolicy per inline policy,
and GetPolicy/GetPolicyVersion for the permissions boundary (GetRole, done before, names it).

Any read denied to both identities makes the Local result incomplete: a policy not read could
grant or deny anything, so nothing is concluded from the others.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from awsip.aws import iam
from awsip.aws.cache import PolicyDocumentCache, TtlCache
from awsip.aws.errors import ErrorKind, classify_error
from awsip.policy import PolicyDocument, PolicyParseError, parse_policy
from awsip.verification.reader import FallbackReader

T = TypeVar("T")


class ReadsDenied(Exception):
    """Some reads were denied to both identities; ``operations`` names them (``iam:GetPolicyVersion``)."""

    def __init__(self, operations: list[str]) -> None:
        super().__init__(", ".join(operations))
        self.operations = operations


class UnsupportedPolicyError(Exception):
    """A policy stored in IAM that the engine cannot parse."""

    def __init__(self, policy: str, detail: str) -> None:
        super().__init__(f"{policy}: {detail}")
        self.policy = policy
        self.detail = detail


@dataclass(frozen=True)
class RolePolicies:
    policies: list[PolicyDocument]
    boundary: PolicyDocument | None


class _Denials:
    def __init__(self) -> None:
        self.operations: list[str] = []

    def guard(self, operation: str, error: ClientError) -> None:
        """Record an AccessDenied; re-raise anything else."""
        classified = classify_error(error)
        if classified is None or classified.kind is not ErrorKind.ACCESS_DENIED:
            raise error
        if operation not in self.operations:
            self.operations.append(operation)

    def read(self, reader: FallbackReader, operation: str, call: Callable[[Any], T]) -> T | None:
        """``reader.call(operation, call)``, or None when both identities were denied (recorded)."""
        try:
            return reader.call(operation, call)
        except ClientError as error:
            self.guard(operation, error)
            return None


def _parse(document: Any, *, name: str) -> PolicyDocument:
    try:
        return parse_policy(document, name=name)
    except PolicyParseError as error:
        raise UnsupportedPolicyError(name, str(error)) from error


def _managed(
    reader: FallbackReader,
    cache: PolicyDocumentCache[Any],
    policy_arn: str,
    denials: _Denials,
    versions: TtlCache[str, str] | None,
) -> PolicyDocument | None:
    def default_version() -> str:
        return reader.call("iam:GetPolicy", lambda client: iam.get_policy_default_version(client, policy_arn))

    try:
        version = (
            versions.get_or_load(policy_arn, default_version) if versions is not None else default_version()
        )
    except ClientError as error:
        denials.guard("iam:GetPolicy", error)
        return None

    def load() -> PolicyDocument:
        document = reader.call(
            "iam:GetPolicyVersion",
            lambda client: iam.get_policy_version_document(client, policy_arn, version),
        )
        return _parse(document, name=policy_arn)

    try:
        parsed: PolicyDocument = cache.get_or_load((policy_arn, version), load)
    except ClientError as error:
        denials.guard("iam:GetPolicyVersion", error)
        return None
    return parsed


def read_role_policies(
    reader: FallbackReader,
    role: iam.RoleInfo,
    cache: PolicyDocumentCache[Any],
    versions: TtlCache[str, str] | None = None,
) -> RolePolicies:
    """The role's managed and inline policies and its boundary, parsed.

    Raises ReadsDenied, UnsupportedPolicyError, or botocore errors other than AccessDenied.
    """
    denials = _Denials()
    policies: list[PolicyDocument] = []

    attached = denials.read(
        reader,
        "iam:ListAttachedRolePolicies",
        lambda client: iam.list_attached_role_policies(client, role.name),
    )
    for policy in attached or []:
        document = _managed(reader, cache, policy.arn, denials, versions)
        if document is not None:
            policies.append(document)

    inline_names = denials.read(
        reader, "iam:ListRolePolicies", lambda client: iam.list_role_policy_names(client, role.name)
    )
    for policy_name in inline_names or []:
        inline = denials.read(
            reader,
            "iam:GetRolePolicy",
            functools.partial(iam.get_role_policy_document, role_name=role.name, policy_name=policy_name),
        )
        if inline is not None:
            policies.append(_parse(inline, name=f"{role.name}/{policy_name}"))

    boundary = None
    if role.boundary_arn:
        boundary = _managed(reader, cache, role.boundary_arn, denials, versions)

    if denials.operations:
        raise ReadsDenied(denials.operations)
    return RolePolicies(policies, boundary)
