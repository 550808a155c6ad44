"""IAM reads of a role and its policies, on one boto3 IAM client (whichever identity it carries).

botocore decodes IAM's URL-encoded policy documents into mappings (its ``json_decode_policies``
handler); the functions return them as they come, and the policy engine accepts either form.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PolicySource = Mapping[str, Any] | str


@dataclass(frozen=True)
class RoleInfo:
    arn: str
    name: str
    trust_policy: PolicySource
    boundary_arn: str | None
    max_session_duration: int | None


@dataclass(frozen=True)
class AttachedPolicy:
    arn: str
    name: str


def get_role(iam: Any, role_name: str) -> RoleInfo:
    role = iam.get_role(RoleName=role_name)["Role"]
    boundary = role.get("PermissionsBoundary") or {}
    return RoleInfo(
        arn=str(role["Arn"]),
        name=str(role["RoleName"]),
        trust_policy=role.get("AssumeRolePolicyDocument") or {},
        boundary_arn=boundary.get("PermissionsBoundaryArn"),
        max_session_duration=role.get("MaxSessionDuration"),
    )


def _pages(call: Any, **params: Any) -> Iterator[dict[str, Any]]:
    """Every page of an IAM list call, following ``Marker`` while ``IsTruncated``.

    Not botocore's paginators: ``get_paginator`` makes a new class on every call, and the pages
    deep-copy their parameters; a verification lists twice, for every provider."""
    while True:
        page: dict[str, Any] = call(**params)
        yield page
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return
        params = {**params, "Marker": marker}


def list_attached_role_policies(iam: Any, role_name: str) -> list[AttachedPolicy]:
    policies: list[AttachedPolicy] = []
    for page in _pages(iam.list_attached_role_policies, RoleName=role_name):
        for item in page.get("AttachedPolicies", []):
            policies.append(AttachedPolicy(arn=str(item["PolicyArn"]), name=str(item.get("PolicyName", ""))))
    return policies


def get_policy_default_version(iam: Any, policy_arn: str) -> str:
    return str(iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"])


def get_policy_version_document(iam: Any, policy_arn: str, version_id: str) -> PolicySource:
    document: PolicySource = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version_id)[
        "PolicyVersion"
    ]["Document"]
    return document


def list_role_policy_names(iam: Any, role_name: str) -> list[str]:
    names: list[str] = []
    for page in _pages(iam.list_role_policies, RoleName=role_name):
        names.extend(str(name) for name in page.get("PolicyNames", []))
    return names


def get_role_policy_document(iam: Any, role_name: str, policy_name: str) -> PolicySource:
    document: PolicySource = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    return document
