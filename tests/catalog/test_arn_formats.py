"""ARN formats: which strings a format stands for (the slots' languages), and readable samples."""

from __future__ import annotations

import pytest

from awsip.catalog import Slot, SlotKind, parse_arn_format
from awsip.catalog.partitions import FALLBACK_PARTITIONS, parse_partitions

PARTITIONS = tuple(p.name for p in FALLBACK_PARTITIONS)
CLUSTER = "arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}"
NODEGROUP = "arn:${Partition}:eks:${Region}:${Account}:nodegroup/${ClusterName}/${NodegroupName}/${UUID}"
ROLE = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
POLICY = "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}"
PARAMETER = "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}"
DMS_CERT = "arn:${Partition}:dms:${Region}:${Account}:cert:*"
HEALTH_EVENT = "arn:${Partition}:health:*::event/${Service}/${EventTypeCode}/*"
OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"


def test_tokens_and_slot_kinds() -> None:
    fmt = parse_arn_format(CLUSTER, PARTITIONS)
    assert fmt.tokens == (
        "arn:",
        Slot(SlotKind.PARTITION, "Partition"),
        ":eks:",
        Slot(SlotKind.SEGMENT, "Region"),
        ":",
        Slot(SlotKind.ACCOUNT, "Account"),
        ":cluster/",
        Slot(SlotKind.NAME, "ClusterName"),
    )
    assert str(fmt) == CLUSTER


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (DMS_CERT, [SlotKind.PARTITION, SlotKind.SEGMENT, SlotKind.ACCOUNT, SlotKind.ANY]),
        (HEALTH_EVENT, [SlotKind.PARTITION, SlotKind.ANY_SEGMENT, SlotKind.NAME, SlotKind.NAME, SlotKind.ANY]),
        ("arn:${Partition}:ec2:${Region}:${VpcOwnerAccount}:vpc/${VpcId}", [
            SlotKind.PARTITION, SlotKind.SEGMENT, SlotKind.ACCOUNT, SlotKind.NAME,
        ]),
        # An account placeholder inside the resource part may be empty: any text.
        ("arn:${Partition}:x:${Region}:${Account}:thing/${Account}/${Name}", [
            SlotKind.PARTITION, SlotKind.SEGMENT, SlotKind.ACCOUNT, SlotKind.ANY, SlotKind.NAME,
        ]),
    ],
)  # fmt: skip
def test_slot_kinds_follow_the_component(text: str, kinds: list[SlotKind]) -> None:
    assert [s.kind for s in parse_arn_format(text, PARTITIONS).slots] == kinds


@pytest.mark.parametrize(
    ("text", "arn", "expected"),
    [
        (CLUSTER, "arn:aws:eks:eu-west-1:123456789012:cluster/prod", True),
        (CLUSTER, "arn:aws-cn:eks:cn-north-1:123456789012:cluster/prod", True),
        (CLUSTER, "arn:aws-iso-b:eks:us-isob-east-1:123456789012:cluster/prod", True),
        # the witness: empty partition, empty names
        (CLUSTER, "arn::eks:iam::cluster/:role/", False),
        (CLUSTER, "arn:aws:eks:eu-west-1:123456789012:cluster/", False),  # empty name
        (CLUSTER, "arn:aws:eks::123456789012:cluster/prod", False),  # empty region
        (CLUSTER, "arn:aws-mars:eks:eu-west-1:123456789012:cluster/prod", False),  # no such partition
        (CLUSTER, "arn:aws:eks:eu:west-1:123456789012:cluster/prod", False),  # ':' in the region
        (CLUSTER, "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/ng/1", False),
        (CLUSTER, "*", False),
        (NODEGROUP, "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/ng/8ec3c0a4", True),
        (NODEGROUP, "arn:aws:eks:eu-west-1:123456789012:cluster/prod", False),
        (ROLE, "arn:aws:iam::123456789012:role/admin", True),
        (ROLE, "arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", True),
        (ROLE, "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-1", False),
        # AWS-managed policies live in the account "aws"; public SSM parameters have no account
        (POLICY, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", True),
        (PARAMETER, "arn:aws:ssm:us-east-1::parameter/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended", True),
        (OBJECT, "arn:aws:s3:::bucket/path/with:colon", True),  # names may hold '/' and ':'
        (OBJECT, "arn:aws:s3:::bucket/", False),
        (DMS_CERT, "arn:aws:dms:us-east-1:123456789012:cert:", True),  # '*' may be empty
        (DMS_CERT, "arn:aws:dms:us-east-1:123456789012:cert:ABC:DEF", True),
        (HEALTH_EVENT, "arn:aws:health:us-east-1::event/EC2/AWS_EC2_MAINTENANCE/x", True),
        (HEALTH_EVENT, "arn:aws:health:::event/EC2/AWS_EC2_MAINTENANCE/x", True),  # '*' region
    ],
)  # fmt: skip
def test_which_arns_a_format_stands_for(text: str, arn: str, expected: bool) -> None:
    assert parse_arn_format(text, PARTITIONS).matches(arn) is expected


def test_samples_are_readable_arns_of_the_format() -> None:
    fmt = parse_arn_format(CLUSTER, PARTITIONS)
    assert fmt.sample() == "arn:aws:eks:us-east-1:123456789012:cluster/example"
    china = next(p for p in FALLBACK_PARTITIONS if p.name == "aws-cn")
    assert fmt.sample(china) == "arn:aws-cn:eks:cn-north-1:123456789012:cluster/example"
    for text in (CLUSTER, NODEGROUP, ROLE, POLICY, PARAMETER, DMS_CERT, HEALTH_EVENT, OBJECT):
        parsed = parse_arn_format(text, PARTITIONS)
        for partition in FALLBACK_PARTITIONS:
            assert parsed.matches(parsed.sample(partition)), (text, partition.name)


def test_partitions_from_botocore_layout() -> None:
    data = {
        "partitions": [
            {"id": "aws-cn", "regions": {"cn-northwest-1": {}, "cn-north-1": {}}},
            {"id": "aws", "regions": {"eu-west-1": {}, "us-east-1": {}, "aws-global": {}}},
            {"id": ""},
            "junk",
        ]
    }
    parsed = parse_partitions(data)
    assert [p.name for p in parsed] == ["aws", "aws-cn"]
    assert parsed[0].regions == ("us-east-1", "eu-west-1")  # the usual default first; no "aws-global"
    assert parsed[1].regions[0] == "cn-north-1"
    assert parse_partitions({"partitions": "no"}) == ()
    assert parse_partitions([]) == ()
