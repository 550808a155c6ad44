"""docs/tenancy.md and docs/trust-findings.md stay true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from awsip.tenancy import parse_tenancy_rules
from awsip.trust import SEVERITIES, analyze_trust_policy

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_tenancy_example_rules_decide_as_documented() -> None:
    text = (DOCS / "tenancy.md").read_text()
    rules = parse_tenancy_rules(_blocks(text, "yaml")[0])
    denied = rules.permits("team-b", {"team": "b", "env": "dev"}, "arn:aws:iam::111122223333:role/capa")
    assert not denied.allowed
    assert denied.message.startswith('namespace "team-b" may not use account 111122223333')
    assert rules.permits("team-a-dev", {}, "arn:aws:iam::111122223333:role/x").rule == "team-a"
    assert rules.permits("x", {"team": "b"}, "arn:aws:iam::444455556666:role/capa-1").rule == "team-b"
    assert rules.permits("platform", {}, "arn:aws:iam::999988887777:role/any").rule == "platform"
    assert (
        rules.permits("x", {"team": "b", "env": "prod"}, "arn:aws:iam::444455556666:role/capa-1").rule is None
    )


def test_tenancy_pinned_trust_policy_has_no_findings() -> None:
    text = (DOCS / "tenancy.md").read_text()
    document = json.loads(_blocks(text, "json")[0])
    analysis = analyze_trust_policy(
        document,
        external_id_configured=True,
        management_account_id="111122223333",
        operator_principal_arn="arn:aws:sts::111122223333:assumed-role/awsip-operator/s",
        role_arn="arn:aws:iam::999988887777:role/capa",
    )
    assert analysis.findings == []
    assert analysis.external_id_enforced
    condition = document["Statement"][0]["Condition"]["StringEquals"]
    assert "aws:RequestTag/awsip:namespace" in condition
    assert "sts:TagSession" in document["Statement"][0]["Action"]


def test_trust_findings_doc_lists_every_code_with_its_severity() -> None:
    text = (DOCS / "trust-findings.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Za-z]+)` \| (Critical|High|Medium|Low|Info) \|", text, re.M))
    assert rows == SEVERITIES
