from __future__ import annotations

from awsip.aws.policy_simulator import ContextEntry, SimulationRequest
from awsip.profiles import load_profile
from awsip.verification.simulation_requests import sample_arn, simulation_requests

ACCOUNT = "111122223333"


def sample(pattern: str, partition: str = "aws", region: str = "eu-west-1") -> str | None:
    return sample_arn(pattern, partition=partition, account=ACCOUNT, region=region)


def test_sample_arns_fill_in_partition_account_region_and_wildcards() -> None:
    assert sample("*") is None
    assert (
        sample("arn:*:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*")
        == f"arn:aws:autoscaling:eu-west-1:{ACCOUNT}:autoScalingGroup:awsip:autoScalingGroupName/awsip"
    )
    assert (
        sample("arn:*:iam::*:role/*.cluster-api-provider-aws.sigs.k8s.io", partition="aws-cn")
        == f"arn:aws-cn:iam::{ACCOUNT}:role/awsip.cluster-api-provider-aws.sigs.k8s.io"
    )
    # What the pattern fixes stays: the partition, AWS-managed policies' account "aws".
    assert (
        sample("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
        == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    assert sample("arn:aws:s3:::bucket-?/*") == "arn:aws:s3:::bucket-x/awsip"


def test_capa_minimal_becomes_concrete_requests_with_context() -> None:
    samples = simulation_requests(
        load_profile("capa-minimal"), partition="aws", account=ACCOUNT, region="us-east-1"
    )
    requests = [item.request for item in samples.requests]
    assert samples.not_simulated == []
    assert SimulationRequest("ec2:CreateVpc", None) in requests
    assert (
        SimulationRequest(
            "iam:CreateServiceLinkedRole",
            f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
            (ContextEntry("iam:AWSServiceName", ("spot.amazonaws.com",)),),
        )
        in requests
    )
    assert (
        SimulationRequest(
            "iam:PassRole", None, (ContextEntry("iam:PassedToService", ("eks.amazonaws.com",)),)
        )
        in requests
    )
    kms = next(r for r in requests if r.action == "kms:CreateGrant")
    assert kms.context == (
        ContextEntry("kms:ResourceAliases", ("alias/cluster-api-provider-aws-awsip",), "stringList"),
    )
    eks = [r.resource_arn for r in requests if r.action == "eks:CreateCluster"]
    assert eks == [
        f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/awsip",
        f"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/awsip/awsip/awsip",
    ]
    # eks:TagResource is required twice (on "*" and on cluster ARNs): both are asked.
    assert len([r for r in requests if r.action == "eks:TagResource"]) == 3
    # The required pattern stays attached for reporting.
    pattern = next(i.resource_pattern for i in samples.requests if i.request.action == "ssm:GetParameter")
    assert pattern == "arn:*:ssm:*:*:parameter/aws/service/eks/optimized-ami/*"


def test_what_cannot_be_simulated_is_listed_or_left_out_of_the_context() -> None:
    required = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:RunInstances"], "Resource": "*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestTag/x": "y"},
                    "Null": {"aws:RequestTag/owner": "false"},
                    "StringEquals": {"aws:PrincipalTag/team": "${aws:username}"},
                    "NumericLessThan": {"ec2:VolumeSize": "100"},
                    "BoolIfExists": {"aws:SecureTransport": "true"},
                    "StringLike": {"ec2:ResourceTag/Name": "capa-*"},
                },
            },
        ],
    }
    samples = simulation_requests(required, partition="aws", account=ACCOUNT, region="us-east-1")
    assert samples.not_simulated == ["ec2:Describe*", "iam:*"]
    actions = [item.request.action for item in samples.requests]
    assert actions == ["ec2:RunInstances", "ec2:CreateTags"]
    assert samples.requests[1].request.context == (
        ContextEntry("aws:SecureTransport", ("true",), "boolean"),
        ContextEntry("ec2:ResourceTag/Name", ("capa-awsip",), "string"),
    )
