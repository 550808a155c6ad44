"""A required policy (ConfigMap) larger than IAM accepts is refused, not analysed for minutes (issue 13, item 10)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.status import build_status
from awsip.verification import ProviderRef, verify
from tests.aws.moto_fixtures import Sandbox
from tests.verification.fakes import FakeInputs

EXTERNAL_ID = "ext-id-size-1"


def test_a_required_policy_past_iams_size_is_an_invalid_required_policy(sandbox: Sandbox) -> None:
    role = sandbox.capa_role(EXTERNAL_ID)
    sandbox.auth()
    huge = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": f"ec2:*{i}", "Resource": "*"} for i in range(10_000)],
    }
    spec = AWSInfrastructureProviderSpec.model_validate(
        {
            "roleARN": role,
            "externalID": EXTERNAL_ID,
            "requiredPolicy": {"configMapRef": {"name": "policy", "key": "policy.json"}},
        }
    )
    inputs = FakeInputs(configmaps={("team-a", "policy", "policy.json"): json.dumps(huge)})
    result = verify(ProviderRef("team-a", "prod"), spec, aws=sandbox.services(), inputs=inputs)
    assert not result.transient
    status = build_status(result, None, generation=1, now=datetime.now(UTC))
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidRequiredPolicy")
    assert "10,000 statements: larger than any policy IAM lets a role have" in ready["message"]
