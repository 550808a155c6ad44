from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsip.sandbox import table

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)


def provider(name: str, ready: str, reason: str, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "team-a", "creationTimestamp": "2025-05-01T11:55:00Z"},
        "spec": {"roleARN": f"arn:aws:iam::123456789012:role/{name}"},
        "status": {
            "conditions": [
                {"type": "RoleAssumed", "status": "True", "reason": "AssumeRoleSucceeded", "message": "ok"},
                {"type": "Ready", "status": ready, "reason": reason, "message": f"{reason} message"},
            ],
            "accountID": "123456789012",
            **status,
        },
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ('.status.conditions[?(@.type=="Ready")].status', "False"),
        ('.status.conditions[?(@.type=="Ready")].reason', "MissingPermissions"),
        ('.status.conditions[?(@.type=="Stalled")].status', None),
        (".status.accountID", "123456789012"),
        (".status.permissions.missingActions", 3),
        (".status.nothing.here", None),
        (".metadata.name", "p"),
    ],
)
def test_json_path(path: str, expected: Any) -> None:
    obj = provider("p", "False", "MissingPermissions", permissions={"missingActions": 3})
    assert table.json_path(obj, path) == expected


def test_unsupported_json_path() -> None:
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        table.json_path({}, ".items[0]")


@pytest.mark.parametrize(
    ("age", "text"),
    [(timedelta(seconds=5), "5s"), (timedelta(seconds=119), "119s"), (timedelta(minutes=5), "5m"),
     (timedelta(hours=3), "3h"), (timedelta(days=3), "3d"), (timedelta(seconds=-5), "0s")],
)  # fmt: skip
def test_human_age(age: timedelta, text: str) -> None:
    assert table.human_age((NOW - age).strftime("%Y-%m-%dT%H:%M:%SZ"), NOW) == text
    assert table.human_age(None, NOW) == "<unknown>"


def test_provider_table_shows_the_printer_columns() -> None:
    rendered = table.provider_table(
        [
            provider("zeta", "True", "Verified", permissions={"missingActions": 0}),
            provider("alpha", "False", "AccessDenied"),
        ],
        NOW,
    )
    lines = rendered.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "REASON", "ACCOUNT", "ROLE", "MISSING", "AGE"]
    assert lines[1].split() == ["team-a", "alpha", "False", "AccessDenied", "123456789012",
                                "arn:aws:iam::123456789012:role/alpha", "5m"]  # fmt: skip
    assert lines[2].split()[:3] == ["team-a", "zeta", "True"] and lines[2].split()[-2:] == ["0", "5m"]
    assert "MESSAGE" in table.provider_table([], NOW, wide=True)


def test_failure_details() -> None:
    obj = provider(
        "staging",
        "False",
        "MissingPermissions",
        permissions={"missingActions": 2, "truncated": True, "missing": [
            {"action": "ec2:CreateVpc", "resource": "*"}, {"action": "iam:PassRole", "resource": "arn:x"}]},
        trustPolicy={"findings": [{"severity": "High", "code": "ExternalIDNotEnforced", "message": "Require it."}]},
    )  # fmt: skip
    obj["status"]["conditions"].append(
        {
            "type": "TrustPolicySecure",
            "status": "False",
            "reason": "ExternalIDNotEnforced",
            "message": "summary",
        }
    )
    lines = table.failure_details(obj)
    assert lines[0] == "team-a/staging: Ready=False (MissingPermissions)"
    assert "    - ec2:CreateVpc on *" in lines and "    - iam:PassRole on arn:x" in lines
    assert "    - ... (more; the list is truncated)" in lines
    assert "    - High ExternalIDNotEnforced: Require it." in lines
    assert not any("summary" in line for line in lines)  # the findings replace the summary
    assert not any("RoleAssumed" in line for line in lines)  # only what is wrong


def test_no_details_for_ready_providers() -> None:
    assert table.failure_details(provider("p", "True", "Verified")) == []
