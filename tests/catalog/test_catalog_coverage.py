"""Coverage about the requests AWS can make: the issue's examples, the fallback to the formal check,
and sts:GetCallerIdentity (table tests against the real AWS-managed policies and the seed)."""

from __future__ import annotations

from typing import Any

import pytest

from awsip.catalog import Catalog, default_catalog
from awsip.policy import check_coverage, parse_policy, simulate
from awsip.policy.engine import PolicyEngine
from awsip.policy.model import Request
from awsip.profiles import load_profile
from tests.policy.helpers import managed, seed

CLUSTERS = "arn:*:eks:*:*:cluster/*"
NODEGROUPS = "arn:*:eks:*:*:nodegroup/*/*/*"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def document(*statements: dict[str, Any], name: str = "role-policy") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name)


def least_privilege_eks(catalog: Catalog) -> Any:
    """capa-minimal with its EKS statement split as AWS recommends: each action on its own resource
    type (cluster actions on cluster ARNs, nodegroup actions on nodegroup ARNs, tags on both), and
    the actions authorized against * on *."""
    policy = load_profile("capa-minimal")
    eks = next(s for s in policy["Statement"] if s.get("Resource") == [CLUSTERS, NODEGROUPS])
    policy["Statement"].remove(eks)
    on_star, on_clusters, on_nodegroups = [], [], []
    for name in eks["Action"]:
        action = catalog.action(name)
        assert action is not None
        types = {r.resource_type.name for r in action.resource_types}
        if action.star:
            on_star.append(name)
        if "cluster" in types:
            on_clusters.append(name)
        if "nodegroup" in types:
            on_nodegroups.append(name)
    policy["Statement"] += [
        {"Effect": "Allow", "Action": on_star, "Resource": "*"},
        {"Effect": "Allow", "Action": on_clusters, "Resource": CLUSTERS},
        {"Effect": "Allow", "Action": on_nodegroups, "Resource": NODEGROUPS},
    ]
    return parse_policy(policy, name="least-privilege")


def test_a_least_privilege_eks_role_is_covered(catalog: Catalog) -> None:
    attached = least_privilege_eks(catalog)
    report = check_coverage(seed(), [attached])
    assert report.covered, [(r.action, r.reason, str(r.witness)) for r in report.missing + report.unknown]
    # The formal check alone reports the role as missing EKS actions, with requests AWS never
    # makes (eks:DescribeCluster on a nodegroup ARN): the false MissingPermissions.
    formal = PolicyEngine(catalog=None).check_coverage(seed(), [attached])
    assert formal.missing_actions >= 10
    assert all(r.action.startswith("eks:") for r in formal.missing)
    described = next(r for r in formal.missing if r.action == "eks:DescribeCluster")
    assert described.witness is not None and ":nodegroup/" in described.witness.resource


GUARD = document(
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "NotAction": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/admin*"},
    name="guard",
)


def test_a_deny_on_role_arns_misses_only_actions_on_roles(catalog: Catalog) -> None:
    report = check_coverage(seed(), [GUARD])
    on_roles = [r for r in report.missing if r.requests == "catalog"]
    assert {r.action for r in on_roles} == {"iam:GetRole", "iam:ListAttachedRolePolicies"}
    for result in on_roles:
        action = catalog.action(result.action)
        assert action is not None and "role" in {t.resource_type.name for t in action.resource_types}
        assert (
            result.witness is not None and result.witness.resource == "arn:aws:iam::123456789012:role/admin"
        )
    # The seed's two actions listed with resources none of their types can name: the formal check,
    # and the result says so.
    formal = [r for r in report.missing if r.requests == "formal"]
    assert {r.action for r in formal} == {"eks:ListClusters", "eks:CreateCluster"}
    assert all("name none of" in r.note for r in formal)
    # The formal check alone: nearly everything, with witnesses like ec2:AllocateAddress on a role ARN.
    assert PolicyEngine(catalog=None).check_coverage(seed(), [GUARD]).missing_actions == 105


def test_witnesses_are_requests_aws_could_make(catalog: Catalog) -> None:
    for attached in ([GUARD], [managed("ReadOnlyAccess")], [managed("AmazonEC2FullAccess")], []):
        report = check_coverage(seed(), attached)
        for result in report.missing:
            assert result.witness is not None
            if result.requests == "catalog":
                action = catalog.action(result.witness.action)
                assert action is not None and action.matches_resource(result.witness.resource), result
                assert "arn::" not in result.witness.resource


@pytest.mark.parametrize(
    ("action", "resource", "requests", "note"),
    [
        ("eks:DescribeCluster", CLUSTERS, "catalog", ""),
        ("eks:ListClusters", CLUSTERS, "formal", "name none of eks:ListClusters's resource types"),
        ("eks:ListClusters", "*", "catalog", ""),
        ("ec2:RunInstancez", "*", "formal", "does not know the action ec2:RunInstancez"),
        ("nosuchservice:Thing", "*", "formal", "does not know the service of nosuchservice:Thing"),
        ("eks:Describe*", "*", "formal", "an action pattern is checked over every action name"),
        ("elasticloadbalancing:AddTags", "*", "catalog", "several pages"),
    ],
)
def test_which_requests_a_result_is_about(action: str, resource: str, requests: str, note: str) -> None:
    required = document({"Effect": "Allow", "Action": action, "Resource": resource}, name="required")
    (result,) = check_coverage(required, []).results
    assert result.requests == requests
    assert note in result.note
    assert result.to_json()["requests"] == requests


def test_without_a_catalog_everything_is_formal_and_says_so() -> None:
    report = PolicyEngine(catalog=None).check_coverage(seed(), [GUARD])
    assert {r.requests for r in report.results} == {"formal"}
    assert all("no authorization catalog" in r.note for r in report.results)
    assert report.to_json()["catalog"] is None


def test_the_report_names_its_catalog(catalog: Catalog) -> None:
    assert check_coverage(seed(), [GUARD]).to_json()["catalog"] == catalog.source.to_json()


def test_get_caller_identity_is_allowed_even_under_an_explicit_deny() -> None:
    deny_all = document({"Effect": "Deny", "Action": "*", "Resource": "*"}, name="deny-all")
    decision = simulate([deny_all], Request("sts:GetCallerIdentity", "*"))
    assert decision.allowed and decision.statements == ()
    assert "STS API reference" in decision.reason
    assert not simulate([deny_all], Request("sts:GetSessionToken", "*")).allowed
    assert not simulate([], Request("sts:AssumeRole", "arn:aws:iam::123456789012:role/x")).allowed
    required = document({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}, name="r")
    (result,) = check_coverage(required, [deny_all]).results
    assert result.status == "Covered" and "STS API reference" in result.reason


def conditional(action: str, condition: dict[str, Any], name: str) -> Any:
    return document({"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition}, name=name)


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        # A set operator on a multivalued key: documented, decided.
        ({"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/capa-*"}}, "Covered"),
        # A single-valued operator on a multivalued key (the catalog types it ArrayOfString): AWS
        # requires set operators and does not say what this does: never Covered.
        ({"StringLike": {"kms:ResourceAliases": "alias/capa-*"}}, "Unknown"),
        ({"StringEquals": {"aws:TagKeys": "team"}}, "Unknown"),
        # A single-valued key: decided.
        ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, "Covered"),
        # ArnLike compares six components; a value with fewer has none to compare: not decided.
        ({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, "Unknown"),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:role/*"}}, "Covered"),
    ],
)
def test_disputed_semantics_never_give_covered(condition: dict[str, Any], status: str) -> None:
    required = conditional("kms:CreateGrant", condition, "required")
    (result,) = check_coverage(required, [conditional("kms:CreateGrant", condition, "attached")]).results
    assert result.status == status, result
    if status == "Unknown":
        assert "AWS does not document" in result.reason


def test_a_witness_with_one_value_of_a_multivalued_key_stands() -> None:
    # The attached Allow needs aws:TagKeys = team (single-valued operator); the required statement
    # has no condition: a request without tags is denied whatever the reading.
    required = document({"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}, name="required")
    attached = conditional("ec2:CreateTags", {"StringEquals": {"aws:TagKeys": "team"}}, "attached")
    (result,) = check_coverage(required, [attached]).results
    assert result.status == "NotCovered"
    assert result.witness is not None
    value = result.witness.normalized_context().get("aws:tagkeys")
    assert not isinstance(value, tuple) or len(value) <= 1
