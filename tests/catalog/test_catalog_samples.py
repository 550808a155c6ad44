"""Readable resources for requests AWS could make (awsip.catalog.arn_samples), and the Simulate
method's sample requests built from them."""

from __future__ import annotations

import pytest

from awsip.catalog import Catalog, default_catalog
from awsip.catalog.arn_samples import resource_sample
from awsip.profiles import load_profile
from awsip.verification.simulation_requests import simulation_requests

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


@pytest.mark.parametrize(
    ("action", "pattern", "expected"),
    [
        ("eks:ListClusters", "*", "*"),
        ("eks:ListClusters", "arn:*:eks:*:*:cluster/*", None),  # names none of its resources
        ("eks:DescribeCluster", "*", "arn:aws:eks:us-east-1:123456789012:cluster/example"),
        ("eks:DescribeCluster", "arn:*:eks:*:*:cluster/*", "arn:aws:eks:us-east-1:123456789012:cluster/example"),
        ("eks:DescribeNodegroup", "arn:*:eks:*:*:cluster/*", None),
        ("eks:DescribeNodegroup", "arn:*:eks:*:*:nodegroup/*/*/*",
         "arn:aws:eks:us-east-1:123456789012:nodegroup/example/example/example"),
        ("iam:PassRole", "arn:*:iam::*:role/*.cluster-api-provider-aws.sigs.k8s.io",
         "arn:aws:iam::123456789012:role/example.cluster-api-provider-aws.sigs.k8s.io"),
        ("iam:GetPolicy", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
         "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
        ("ec2:RunInstances", "*", "arn:aws:ec2:us-east-1::image/example"),  # a required type first
        ("ssm:GetParameter", "arn:aws:ssm:*::parameter/aws/*",
         "arn:aws:ssm:us-east-1::parameter/aws/example"),  # a public parameter: no account
        ("ec2:AllocateAddress", "arn:aws:iam::123456789012:role/admin*", None),
    ],
)  # fmt: skip
def test_resource_samples(catalog: Catalog, action: str, pattern: str, expected: str | None) -> None:
    found = catalog.action(action)
    assert found is not None
    sample = resource_sample(found, pattern)
    assert sample == expected
    if sample is not None:
        assert found.matches_resource(sample)


def test_samples_follow_the_partition_region_and_account(catalog: Catalog) -> None:
    action = catalog.action("eks:DescribeCluster")
    china = next(p for p in catalog.partitions if p.name == "aws-cn")
    assert action is not None
    assert (
        resource_sample(action, "*", partition=china, region="cn-northwest-1", account=ACCOUNT, name="awsip")
        == f"arn:aws-cn:eks:cn-northwest-1:{ACCOUNT}:cluster/awsip"
    )


def test_simulation_requests_are_requests_aws_could_make(catalog: Catalog) -> None:
    samples = simulation_requests(
        load_profile("capa-minimal"), partition="aws", account=ACCOUNT, region="us-east-1", catalog=catalog
    )
    asked: dict[str, list[str | None]] = {}
    for item in samples.requests:
        asked.setdefault(item.request.action, []).append(item.request.resource_arn)
    cluster = f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/awsip"
    nodegroup = f"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/awsip/awsip/awsip"
    # Required on cluster and nodegroup patterns: each action only on its own resource type.
    assert asked["eks:DescribeCluster"] == [cluster]
    assert asked["eks:DescribeNodegroup"] == [nodegroup]
    assert asked["eks:TagResource"][:2] == [cluster, nodegroup]
    # No resource type: on "*" (None); required with cluster ARNs it names none: the formal samples.
    assert asked["eks:DescribeAddonVersions"] == [None]
    assert asked["eks:ListClusters"] == [cluster, nodegroup]
    assert asked["ec2:RunInstances"] == ["arn:aws:ec2:us-east-1::image/awsip"]
    # Load balancers: two pages of the reference under one prefix, so approximated: formal ("*").
    assert asked["elasticloadbalancing:CreateLoadBalancer"] == [None]


def test_without_a_catalog_the_patterns_are_instantiated() -> None:
    samples = simulation_requests(
        load_profile("capa-minimal"), partition="aws", account=ACCOUNT, region="us-east-1"
    )
    described = [
        i.request.resource_arn for i in samples.requests if i.request.action == "eks:DescribeCluster"
    ]
    assert len(described) == 2  # cluster and nodegroup patterns alike


def test_remembered_samples_and_formats_are_those_worked_out_afresh(catalog: Catalog) -> None:
    """ArnFormat.sample remembers its first answers per format, Action.formats its formats, and
    resource_sample may be given a memoized matches_resource: the answers do not change."""
    from functools import lru_cache

    from awsip.catalog.arn_formats import parse_arn_format

    for name in ("ec2:RunInstances", "iam:PassRole", "eks:DescribeNodegroup", "ssm:GetParameter"):
        action = catalog.action(name)
        assert action is not None
        assert action.formats == tuple(r.resource_type.arn for r in action.resource_types)
        assert list(action.formats_required_first) == [
            r.resource_type.arn for r in sorted(action.resource_types, key=lambda r: not r.required)
        ]
        for fmt in action.formats:
            afresh = parse_arn_format(fmt.text, fmt.partitions)
            for partition in catalog.partitions:
                for account in ("123456789012", ACCOUNT):
                    assert fmt.sample(partition, account=account) == afresh.sample(partition, account=account)
                    assert fmt.sample(partition, account=account) == afresh.sample(partition, account=account)
        memoized = lru_cache(maxsize=None)(action.matches_resource)
        for pattern in (
            "*",
            "arn:*:iam::*:role/*",
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ssm:*::parameter/aws/*",
        ):
            for partition in catalog.partitions:
                plain = resource_sample(action, pattern, partition=partition)
                assert resource_sample(action, pattern, partition=partition, matches=memoized) == plain


def test_a_format_keeps_a_bounded_number_of_samples(catalog: Catalog) -> None:
    from awsip.catalog.arn_formats import _SAMPLES_KEPT

    action = catalog.action("iam:PassRole")
    assert action is not None
    fmt = action.formats[0]
    samples = [fmt.sample(account=f"{n:012d}") for n in range(_SAMPLES_KEPT * 2)]
    assert len(set(samples)) == _SAMPLES_KEPT * 2  # every account's own sample...
    assert len(fmt._samples) <= _SAMPLES_KEPT  # ...and only the first ones kept
