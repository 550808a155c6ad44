"""IamPolicySimulator against botocore's Stubber (moto does not implement SimulatePrincipalPolicy)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from awsip.aws.policy_simulator import ContextEntry, IamPolicySimulator, SimulationRequest

ROLE = "arn:aws:iam::123456789012:role/capa"


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    return boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="example"
    )


@pytest.fixture
def iam(session: boto3.session.Session) -> Iterator[tuple[Any, Stubber]]:
    client = session.client("iam")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def evaluation(action: str, decision: str = "allowed", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision, **extra}


def test_requests_sharing_resource_and_context_go_in_one_call(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    vpc = SimulationRequest("ec2:CreateVpc", None)
    subnet = SimulationRequest("ec2:CreateSubnet", None)
    linked = SimulationRequest(
        "iam:CreateServiceLinkedRole",
        "arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
        (ContextEntry("iam:AWSServiceName", ("spot.amazonaws.com",)),),
    )
    stubber.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [evaluation("ec2:CreateVpc"), evaluation("ec2:CreateSubnet", "implicitDeny")]},
        {"PolicySourceArn": ROLE, "ActionNames": ["ec2:CreateVpc", "ec2:CreateSubnet"], "MaxItems": 1000},
    )
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                evaluation(
                    "iam:CreateServiceLinkedRole",
                    "implicitDeny",
                    linked.resource_arn or "",
                    OrganizationsDecisionDetail={"AllowedByOrganizations": False},
                )
            ]
        },
        {
            "PolicySourceArn": ROLE,
            "ActionNames": ["iam:CreateServiceLinkedRole"],
            "MaxItems": 1000,
            "ResourceArns": [linked.resource_arn],
            "ContextEntries": [
                {
                    "ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": ["spot.amazonaws.com"],
                    "ContextKeyType": "string",
                }
            ],
        },
    )
    results = IamPolicySimulator(client).simulate(ROLE, [vpc, subnet, linked])
    assert [(r.request, r.decision, r.allowed) for r in results] == [
        (vpc, "allowed", True),
        (subnet, "implicitDeny", False),
        (linked, "implicitDeny", False),
    ]
    assert results[2].allowed_by_organizations is False


def test_pages_are_followed(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    requests = [SimulationRequest(action, None) for action in ("ec2:A", "ec2:B", "ec2:C")]
    base = {"PolicySourceArn": ROLE, "ActionNames": ["ec2:A", "ec2:B", "ec2:C"], "MaxItems": 2}
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [evaluation("ec2:A"), evaluation("ec2:B")],
            "IsTruncated": True,
            "Marker": "page2",
        },
        base,
    )
    stubber.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [evaluation("ec2:C", "explicitDeny")], "IsTruncated": False},
        {**base, "Marker": "page2"},
    )
    results = IamPolicySimulator(client, max_items=2).simulate(ROLE, requests)
    assert [r.decision for r in results] == ["allowed", "allowed", "explicitDeny"]


def test_actions_are_chunked(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    actions = [f"ec2:Action{i}" for i in range(5)]
    for chunk in (actions[:2], actions[2:4], actions[4:]):
        stubber.add_response(
            "simulate_principal_policy",
            {"EvaluationResults": [evaluation(a) for a in chunk]},
            {"PolicySourceArn": ROLE, "ActionNames": chunk, "MaxItems": 1000},
        )
    results = IamPolicySimulator(client, max_actions_per_call=2).simulate(
        ROLE, [SimulationRequest(a, None) for a in actions]
    )
    assert all(r.allowed for r in results)


def test_throttling_is_retried_with_backoff(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    slept: list[float] = []
    stubber.add_client_error("simulate_principal_policy", "Throttling", http_status_code=400)
    stubber.add_client_error("simulate_principal_policy", "Throttling", http_status_code=400)
    stubber.add_response("simulate_principal_policy", {"EvaluationResults": [evaluation("ec2:A")]})
    results = IamPolicySimulator(client, backoff_seconds=0.5, sleep=slept.append).simulate(
        ROLE, [SimulationRequest("ec2:A", None)]
    )
    assert results[0].allowed
    assert slept == [0.5, 1.0]


def test_throttling_gives_up_after_the_retries(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    for _ in range(3):
        stubber.add_client_error("simulate_principal_policy", "Throttling", http_status_code=400)
    simulator = IamPolicySimulator(client, throttle_retries=2, sleep=lambda _: None)
    with pytest.raises(ClientError) as raised:
        simulator.simulate(ROLE, [SimulationRequest("ec2:A", None)])
    assert raised.value.response["Error"]["Code"] == "Throttling"


def test_access_denied_is_not_retried(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", http_status_code=403)
    with pytest.raises(ClientError):
        IamPolicySimulator(client, sleep=lambda _: pytest.fail("slept")).simulate(
            ROLE, [SimulationRequest("ec2:A", None)]
        )


def test_missing_context_values_are_reported(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                evaluation(
                    "kms:CreateGrant",
                    "implicitDeny",
                    ResourceSpecificResults=[
                        {
                            "EvalResourceName": "*",
                            "EvalResourceDecision": "implicitDeny",
                            "MissingContextValues": ["kms:ResourceAliases"],
                        }
                    ],
                    MissingContextValues=["aws:RequestTag/x"],
                )
            ]
        },
    )
    [result] = IamPolicySimulator(client).simulate(ROLE, [SimulationRequest("kms:CreateGrant", None)])
    assert result.missing_context == ("aws:RequestTag/x", "kms:ResourceAliases")
