"""Small builders for policy documents in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from awsip.policy import PolicyDocument, parse_policy
from awsip.profiles import load_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
MANAGED = FIXTURES / "aws-managed"


def managed(name: str) -> PolicyDocument:
    """An AWS-managed policy from the fixtures, named by its ARN."""
    return parse_policy((MANAGED / f"{name}.json").read_text(), name=f"arn:aws:iam::aws:policy/{name}")


def fixture(name: str) -> PolicyDocument:
    return parse_policy((FIXTURES / name).read_text(), name=name)


def seed() -> PolicyDocument:
    return parse_policy(load_profile("capa-minimal"), name="capa-minimal")


def statement(
    effect: str = "Allow",
    action: str | list[str] | None = "*",
    resource: str | list[str] | None = "*",
    *,
    not_action: str | list[str] | None = None,
    not_resource: str | list[str] | None = None,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    if sid is not None:
        out["Sid"] = sid
    if not_action is not None:
        out["NotAction"] = not_action
    elif action is not None:
        out["Action"] = action
    if not_resource is not None:
        out["NotResource"] = not_resource
    elif resource is not None:
        out["Resource"] = resource
    if condition is not None:
        out["Condition"] = condition
    return out


def allow(action: str | list[str] = "*", resource: str | list[str] = "*", **kw: Any) -> dict[str, Any]:
    return statement("Allow", action, resource, **kw)


def deny(action: str | list[str] = "*", resource: str | list[str] = "*", **kw: Any) -> dict[str, Any]:
    return statement("Deny", action, resource, **kw)


def doc(
    *statements: dict[str, Any], name: str = "test-policy", version: str = "2012-10-17"
) -> PolicyDocument:
    return parse_policy({"Version": version, "Statement": list(statements)}, name=name)
