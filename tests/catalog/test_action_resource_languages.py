"""The catalog's ARN formats as automata (awsip.policy.resource_types) agree with the formats' own
matching, and the automaton searches find only ARNs of the format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsip.catalog import Catalog, default_catalog, parse_arn_format
from awsip.catalog.partitions import FALLBACK_PARTITIONS
from awsip.policy.resource_types import action_resources, format_globs
from awsip.policy.wildcard import Language, find_string, glob_text

PARTITIONS = tuple(p.name for p in FALLBACK_PARTITIONS)
FORMATS = [
    "arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}",
    "arn:${Partition}:eks:${Region}:${Account}:nodegroup/${ClusterName}/${NodegroupName}/${UUID}",
    "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
    "arn:${Partition}:dms:${Region}:${Account}:cert:*",
    "arn:${Partition}:health:*::event/${Service}/${EventTypeCode}/*",
    "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
]
# Pieces from which candidate strings are drawn: real components, and the edge cases (empty, ':').
PIECES = ["arn", ":", "aws", "aws-cn", "eks", "iam", "s3", "dms", "health", "eu-west-1", "123456789012",
          "aws", "", "/", "cluster/", "nodegroup/", "role/", "event/", "cert:", "x", "a:b", "*"]  # fmt: skip


@given(st.sampled_from(FORMATS), st.lists(st.sampled_from(PIECES), max_size=14))
def test_globs_match_exactly_the_format(text: str, pieces: list[str]) -> None:
    fmt = parse_arn_format(text, PARTITIONS)
    candidate = "".join(pieces)
    globs = format_globs(fmt)
    assert any(g.matches(candidate) for g in globs) == fmt.matches(candidate)
    assert any(g.automaton_matches(candidate) for g in globs) == fmt.matches(candidate)
    sample = fmt.sample()
    assert any(g.matches(sample) for g in globs)


@pytest.mark.parametrize("text", FORMATS)
@pytest.mark.parametrize(
    "pattern",
    ["*", "arn:aws:*", "arn:*:eks:*:*:cluster/*", "arn:*:iam::*:role/admin*", "arn:aws:s3:::b/*:*", "*/*/*"],
)
def test_searches_find_arns_of_the_format(text: str, pattern: str) -> None:
    fmt = parse_arn_format(text, PARTITIONS)
    found = find_string([Language((glob_text(pattern),)), Language(format_globs(fmt))])
    if found is not None:
        assert fmt.matches(found), found
        assert glob_text(pattern).matches(found)


def test_one_glob_per_partition() -> None:
    fmt = parse_arn_format(FORMATS[0], PARTITIONS)
    assert len(format_globs(fmt)) == len(PARTITIONS)
    assert format_globs(fmt) is format_globs(fmt)  # cached


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("eks:DescribeCluster", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", True),
        ("eks:DescribeCluster", "*", False),
        ("eks:ListClusters", "*", True),
        ("eks:ListClusters", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", False),
        ("ec2:RunInstances", "arn:aws:ec2:eu-west-1::image/ami-1", True),
        ("ec2:RunInstances", "arn:aws:iam::123456789012:role/x", False),
    ],
)
def test_action_resources_agree_with_the_catalog(
    catalog: Catalog, action: str, resource: str, expected: bool
) -> None:
    found = catalog.action(action)
    assert found is not None
    assert action_resources(found).contains(resource) is expected
    assert found.matches_resource(resource) is expected
