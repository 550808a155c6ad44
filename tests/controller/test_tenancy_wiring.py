"""Issue 6's smaller promises, checked where they are wired: trust findings reach the status with
their severity, and nothing shipped probes External IDs (``probeExternalID`` makes extra AssumeRole
calls without the External ID, which a role's owner may not expect)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from awsip import profiles
from awsip.api.condition_reasons import find_condition
from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.sandbox import scenarios
from awsip.status import build_status
from awsip.trust import SEVERITIES, analyze_trust_policy
from awsip.verification import Check, ProviderRef, VerificationResult

ROOT = Path(__file__).resolve().parents[2]
MGMT = "111122223333"
OPERATOR = f"arn:aws:sts::{MGMT}:assumed-role/awsip-operator/session"
ROLE = "arn:aws:iam::123456789012:role/capa"


def status_for(document: dict[str, Any], *, external_id: bool = True) -> dict[str, Any]:
    analysis = analyze_trust_policy(
        document,
        external_id_configured=external_id,
        management_account_id=MGMT,
        operator_principal_arn=OPERATOR,
        role_arn=ROLE,
    )
    result = VerificationResult(
        ref=ProviderRef("team-a", "p"),
        role_arn=ROLE,
        role_assumed=Check("True", "AssumeRoleSucceeded", "assumed"),
        permissions=Check("True", "AllPermissionsGranted", "granted"),
        trust=Check("True" if analysis.secure else "False", analysis.reason, analysis.message),
        trust_status=analysis.to_status(),
    )
    return build_status(result, None, generation=1, now=datetime.now(UTC))


def condition(status: dict[str, Any], type_: str) -> dict[str, Any]:
    found = find_condition(status, type_)
    assert found is not None, f"no {type_} condition in {status.get('conditions')}"
    return dict(found)


def test_a_wildcard_principal_reaches_the_status_as_critical() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ],
    }
    status = status_for(document)
    finding = status["trustPolicy"]["findings"][0]
    assert (finding["severity"], finding["code"], finding["statement"]) == (
        "Critical",
        "WildcardPrincipal",
        "Anyone",
    )
    assert (condition(status, "TrustPolicySecure")["status"], condition(status, "Ready")["reason"]) == (
        "False",
        "WildcardPrincipal",
    )


def test_the_seeds_trust_policy_reaches_the_status_with_every_severity() -> None:
    status = status_for(profiles.trust_policy(MGMT, external_id="x"))
    findings = status["trustPolicy"]["findings"]
    assert findings and all(f["severity"] == SEVERITIES[f["code"]] for f in findings)
    assert {f["code"] for f in findings} >= {"PrincipalBroaderThanManagementAccount", "ServicePrincipal"}
    assert status["trustPolicy"]["externalIDEnforced"] is True
    assert condition(status, "TrustPolicySecure")["status"] == "True"  # Medium and Info do not block


def test_no_example_or_sandbox_scenario_probes_external_ids() -> None:
    providers = [
        doc
        for path in sorted((ROOT / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "AWSInfrastructureProvider"
    ]
    assert len(providers) == 5
    for doc in providers:
        assert "probeExternalID" not in (doc["spec"].get("verification") or {})
        assert (
            AWSInfrastructureProviderSpec.model_validate(doc["spec"]).verification.probe_external_id is False
        )
    assert (
        AWSInfrastructureProviderSpec.model_validate({"roleARN": ROLE}).verification.probe_external_id
        is False
    )
    source = Path(scenarios.__file__).read_text()
    assert "probeExternalID" not in source and "probe_external_id" not in source
