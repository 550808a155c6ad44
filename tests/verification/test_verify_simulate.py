"""The Simulate and Auto methods: moto for STS/IAM reads, a simulator double or Stubber for
SimulatePrincipalPolicy (moto does not implement it)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.aws import IamPolicySimulator
from awsip.aws.policy_simulator import ContextEntry, SimulationRequest, SimulationResult
from awsip.profiles import load_profile
from awsip.sandbox.aws_seed import (
    OPERATOR_POLICY,
    create_managed_policy,
    create_operator_user,
    create_provider_role,
)
from awsip.verification import ProviderRef, VerificationResult, verify
from tests.aws.moto_fixtures import Sandbox
from tests.support.aws_calls import count_calls
from tests.support.moto_accounts import in_account
from tests.verification.fakes import FakeInputs, FakeSimulator

EXTERNAL_ID = "ext-id-7f3a9c1e"
#: The module (the package exports its function ``verify`` under the same name).
verify_module = importlib.import_module("awsip.verification.verify")
REF = ProviderRef("team-a", "prod")


def spec(role_arn: str, method: str, **fields: Any) -> AWSInfrastructureProviderSpec:
    return AWSInfrastructureProviderSpec.model_validate(
        {"roleARN": role_arn, "externalID": EXTERNAL_ID, "verification": {"method": method}, **fields}
    )


def role(sandbox: Sandbox, trusted: str | None = None) -> str:
    return create_provider_role(
        sandbox.iam,
        "capa",
        trusted_principal_arn=trusted or sandbox.operator.arn,
        external_id=EXTERNAL_ID,
        managed_policy_arns=[sandbox.capa_policy_arn],
    )


def allow_all_but(*denied: str, scp: bool = False) -> Callable[[SimulationRequest], SimulationResult]:
    def decide(request: SimulationRequest) -> SimulationResult:
        if request.action in denied:
            return SimulationResult(request, "implicitDeny", allowed_by_organizations=False if scp else None)
        return SimulationResult(request, "allowed")

    return decide


def run(sandbox: Sandbox, role_arn: str, method: str, simulator: Any) -> VerificationResult:
    aws = sandbox.services()
    aws.simulator_factory = lambda _client: simulator
    return verify(REF, spec(role_arn, method), aws=aws, inputs=FakeInputs())


def test_simulate_alone(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    simulator = FakeSimulator(allow_all_but())
    result = run(sandbox, role_arn, "Simulate", simulator)
    assert result.permissions is not None
    assert (result.permissions.status, result.permissions.reason) == ("True", "AllPermissionsGranted")
    assert result.permissions_status is not None and result.permissions_status.method == "Simulate"
    assert result.permissions_status.required_actions == 107
    [(source, requests)] = simulator.calls
    assert source == role_arn
    # Concrete ARNs in the role's account and partition, with the context the conditions need.
    assert (
        SimulationRequest(
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            (ContextEntry("iam:AWSServiceName", ("autoscaling.amazonaws.com",)),),
        )
        in requests
    )
    assert result.verified


def test_simulate_sees_what_an_scp_denies(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    result = run(sandbox, role_arn, "Simulate", FakeSimulator(allow_all_but("ec2:RunInstances", scp=True)))
    assert result.permissions is not None and result.permissions.reason == "MissingPermissions"
    assert result.permissions_status is not None
    [missing] = result.permissions_status.missing
    assert missing.action == "ec2:RunInstances"
    assert "denied by an organization SCP" in missing.reason


def test_auto_combines_local_and_simulate(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    result = run(sandbox, role_arn, "Auto", FakeSimulator(allow_all_but("eks:CreateCluster", scp=True)))
    assert result.permissions_status is not None
    assert result.permissions_status.method == "LocalAndSimulate"
    assert [m.action for m in result.permissions_status.missing] == ["eks:CreateCluster"]


def test_auto_uses_simulate_when_the_policies_cannot_be_read(sandbox: Sandbox) -> None:
    only_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    operator = create_operator_user(sandbox.iam, "minimal-operator", policy=only_assume)
    role_arn = role(sandbox, trusted=operator.arn)
    for name, value in operator.environment(sandbox.endpoint).items():
        sandbox.monkeypatch.setenv(name, value)
    sandbox.auth()
    result = run(sandbox, role_arn, "Auto", FakeSimulator(allow_all_but()))
    assert result.permissions_status is not None and result.permissions_status.method == "Simulate"
    assert result.verified


def test_simulate_denied_to_everyone(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    # The real simulator: the role's session and the sandbox operator may not simulate.
    result = verify(REF, spec(role_arn, "Simulate"), aws=sandbox.services(), inputs=FakeInputs())
    assert result.permissions is not None
    assert (result.permissions.status, result.permissions.reason) == ("Unknown", "CannotSimulate")
    assert not result.transient
    assert (
        "Allow it to the role itself or the operator's identity arn:aws:iam::123456789012:user/awsip-operator"
        in result.permissions.message
    )


class Throttled:
    def simulate(self, policy_source_arn: str, requests: Any) -> list[SimulationResult]:
        raise ClientError(
            {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "SimulatePrincipalPolicy"
        )


def test_simulate_throttled_beyond_retries_is_transient(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    result = run(sandbox, role_arn, "Simulate", Throttled())
    assert result.transient
    assert result.permissions is not None and result.permissions.reason == "AWSUnavailable"


def test_auto_settles_for_local_when_simulate_is_throttled(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    result = run(sandbox, role_arn, "Auto", Throttled())
    assert not result.transient
    assert result.permissions_status is not None and result.permissions_status.method == "Local"
    assert result.notes == ("SimulatePrincipalPolicy skipped: Throttling",)


def test_simulate_end_to_end_through_stubber(sandbox: Sandbox) -> None:
    role_arn = role(sandbox)
    sandbox.auth()
    required = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:DeleteVpc"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "secretsmanager:CreateSecret",
                "Resource": "arn:*:secretsmanager:*:*:secret:aws.cluster.x-k8s.io/*",
            },
        ],
    }
    inputs = FakeInputs(configmaps={("team-a", "policy", "p"): json.dumps(required)})
    own = AWSInfrastructureProviderSpec.model_validate(
        {
            "roleARN": role_arn,
            "externalID": EXTERNAL_ID,
            "region": "eu-west-1",
            "requiredPolicy": {"configMapRef": {"name": "policy", "key": "p"}},
            "verification": {"method": "Simulate"},
        }
    )
    client = boto3.session.Session().client(
        "iam", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="example"
    )
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:aws.cluster.x-k8s.io/awsip"
    # The catalog says both EC2 actions act on a VPC: they are asked on a VPC ARN, not on "*".
    vpc = "arn:aws:ec2:eu-west-1:123456789012:vpc/awsip"
    with Stubber(client) as stubber:
        stubber.add_client_error("simulate_principal_policy", "Throttling", http_status_code=400)
        stubber.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {"EvalActionName": "ec2:CreateVpc", "EvalResourceName": vpc, "EvalDecision": "allowed"},
                    {
                        "EvalActionName": "ec2:DeleteVpc",
                        "EvalResourceName": vpc,
                        "EvalDecision": "explicitDeny",
                    },
                ]
            },
            {
                "PolicySourceArn": role_arn,
                "ActionNames": ["ec2:CreateVpc", "ec2:DeleteVpc"],
                "MaxItems": 1000,
                "ResourceArns": [vpc],
            },
        )
        stubber.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": "secretsmanager:CreateSecret",
                        "EvalResourceName": secret,
                        "EvalDecision": "allowed",
                    }
                ]
            },
            {
                "PolicySourceArn": role_arn,
                "ActionNames": ["secretsmanager:CreateSecret"],
                "MaxItems": 1000,
                "ResourceArns": [secret],
            },
        )
        aws = sandbox.services()
        aws.simulator_factory = lambda _client: IamPolicySimulator(client, sleep=lambda _: None)
        result = verify(REF, own, aws=aws, inputs=inputs)
        stubber.assert_no_pending_responses()
    assert result.permissions_status is not None
    assert result.permissions_status.required_actions == 3
    assert [(m.action, m.reason) for m in result.permissions_status.missing] == [
        ("ec2:DeleteVpc", f"SimulatePrincipalPolicy: explicitDeny on {vpc}")
    ]


def test_auto_asks_a_role_in_another_account_to_simulate_once_while_denied(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The role reads itself (the operator reads IAM in its own account only) but may not simulate.
    reads = {"Version": "2012-10-17", "Statement": [OPERATOR_POLICY["Statement"][1]]}
    iam = in_account(sandbox.server.client("iam"), "222233334444")
    policy = create_managed_policy(iam, "capa-minimal", load_profile("capa-minimal"))
    role_arn = create_provider_role(
        iam, "capa", trusted_principal_arn=sandbox.operator.arn, external_id=EXTERNAL_ID,
        managed_policy_arns=[policy], inline_policies={"read-itself": reads},
    )  # fmt: skip
    sandbox.auth()
    built: list[int] = []
    real = verify_module.simulation_requests
    monkeypatch.setattr(
        verify_module, "simulation_requests", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    aws = sandbox.services()
    calls = count_calls(aws)
    results = [verify(REF, spec(role_arn, "Auto"), aws=aws, inputs=FakeInputs()) for _ in range(3)]
    for result in results:
        assert result.permissions is not None and result.permissions.reason == "AllPermissionsGranted"
    # One denied call, then the memo answers: no call, and no simulation requests built for nothing.
    assert calls.get("iam:SimulatePrincipalPolicy") == 1
    assert built == [1]
