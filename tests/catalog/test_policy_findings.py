"""Findings on policies measured against the catalog: UnknownAction, ResourceTypeMismatch,
UnsupportedConditionKey, and malformed actions as input errors (table tests)."""

from __future__ import annotations

from typing import Any

import pytest

from awsip.catalog import Catalog, default_catalog
from awsip.policy import PolicyParseError, parse_policy
from awsip.policy.findings import (
    PolicyFinding,
    _statement_findings,
    check_action_syntax,
    findings_for,
    policy_findings,
)
from tests.policy.helpers import MANAGED, managed, seed

CLUSTERS = "arn:*:eks:*:*:cluster/*"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def document(*statements: dict[str, Any], name: str = "role-policy.json") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name)


def stmt(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": extra.pop("effect", "Allow"), "Action": action, "Resource": resource, **extra}


def codes(findings: list[PolicyFinding]) -> list[tuple[str, str]]:
    return [(f.code, f.action) for f in findings]


def test_the_seed_lists_two_actions_with_resources_they_cannot_have(catalog: Catalog) -> None:
    found = policy_findings(seed(), catalog)
    assert codes(found) == [
        ("ResourceTypeMismatch", "eks:ListClusters"),
        ("ResourceTypeMismatch", "eks:CreateCluster"),
    ]
    first = found[0]
    assert first.policy == "capa-minimal" and first.statement == "statement #13"
    assert first.resource == "arn:*:eks:*:*:cluster/*, arn:*:eks:*:*:nodegroup/*/*/*"
    assert "authorized against * only" in first.message and "grants nothing" in first.message
    assert set(first.to_json()) == {
        "code",
        "action",
        "resource",
        "policy",
        "statement",
        "message",
        "suggestion",
    }


def test_aws_managed_policies_have_no_false_findings(catalog: Catalog) -> None:
    # AWS's own policies are correct about resources and keys; they only keep actions of services
    # that have since been retired from the reference.
    documents = [managed(path.stem) for path in sorted(MANAGED.glob("*.json"))]
    found = findings_for(documents, catalog)
    assert {f.code for f in found} <= {"UnknownAction"}
    for finding in found:
        prefix = finding.action.partition(":")[0]
        assert catalog.service(prefix) is None, finding
        assert "no service has the prefix" in finding.message


@pytest.mark.parametrize(
    ("action", "message", "suggestion"),
    [
        ("ec2:RunInstancez", "service ec2 defines no such action (did you mean ec2:RunInstances?)", "ec2:RunInstances"),
        ("ecc2:RunInstances", "no service has the prefix 'ecc2' (did you mean ec2:RunInstances?)", "ec2:RunInstances"),
        ("ec2:Desribe*", "the pattern 'ec2:Desribe*' matches no known action", None),
        ("ec2:NothingLikeThis", "service ec2 defines no such action; it grants nothing", None),
        ("deepcomposer:GetModel", "no service has the prefix 'deepcomposer' (a retired service, or a typo)", None),
    ],
)  # fmt: skip
def test_unknown_actions(catalog: Catalog, action: str, message: str, suggestion: str | None) -> None:
    found = policy_findings(document(stmt(["ec2:RunInstances", action], "*", Sid="Typo")), catalog)
    assert len(found) == 1
    assert found[0].code == "UnknownAction" and found[0].action == action
    assert message in found[0].message
    assert found[0].suggestion == suggestion
    assert found[0].statement == 'statement "Typo"'


def test_entries_of_one_unknown_service_make_one_finding(catalog: Catalog) -> None:
    entries = [
        "deepcomposer:GetModel",
        "deepcomposer:List*",
        "deepcomposer:GetComposition",
        "eks:ListClusters",
    ]
    found = policy_findings(document(stmt(entries)), catalog)
    assert codes(found) == [
        ("UnknownAction", "deepcomposer:GetModel, deepcomposer:List*, deepcomposer:GetComposition")
    ]
    assert "grant nothing" in found[0].message


def test_known_entries_make_no_findings(catalog: Catalog) -> None:
    known = [
        "*",
        "eks:*",
        "ek?:Describe*",
        "*:GetCallerIdentity",
        "ec2:RunInstances",
        "EC2:describeinstances",
    ]
    assert policy_findings(document(stmt(known)), catalog) == []


@pytest.mark.parametrize(
    ("action", "resource", "effect", "mismatch"),
    [
        ("eks:ListClusters", CLUSTERS, "Allow", True),
        ("eks:ListClusters", "*", "Allow", False),
        ("eks:DescribeCluster", CLUSTERS, "Allow", False),
        ("eks:DescribeCluster", "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/ng/1", "Allow", True),
        # EKS names hold no ':', so no cluster ARN matches a nodegroup pattern; S3 object keys may,
        # so an object ARN can match a pattern written for access points: no claim there.
        ("eks:DescribeCluster", "arn:*:eks:*:*:nodegroup/*/*/*", "Allow", True),
        ("s3:GetObject", "arn:aws:s3:::bucket/*:accesspoint/*", "Allow", False),
        ("eks:DescribeNodegroup", "arn:*:eks:*:*:nodegroup/*/*/*", "Allow", False),
        ("iam:PassRole", "arn:aws:ec2:*:*:instance/*", "Allow", True),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/admin*", "Deny", False),
        ("ec2:AllocateAddress", "arn:aws:iam::123456789012:role/admin*", "Deny", True),
        (
            "eks:DescribeCluster",
            "arn:aws:eks:*:*:cluster/${aws:username}",
            "Allow",
            False,
        ),  # variables: any value
        ("eks:Describe*", "arn:aws:iam::*:role/*", "Allow", True),  # no action of the pattern acts on roles
        ("eks:List*", CLUSTERS, "Allow", False),  # eks:ListNodegroups acts on clusters
        ("elasticloadbalancing:AddTags", "arn:aws:elasticloadbalancing:*:*:targetgroup/*", "Allow", False),
    ],
)
def test_resource_type_mismatch(
    catalog: Catalog, action: str, resource: str, effect: str, mismatch: bool
) -> None:
    found = policy_findings(document(stmt(action, resource, effect=effect)), catalog)
    assert [f.code for f in found] == (["ResourceTypeMismatch"] if mismatch else [])
    if mismatch:
        verb = "grants nothing" if effect == "Allow" else "denies nothing"
        assert verb in found[0].message


def test_not_resource_and_not_action_make_no_mismatch(catalog: Catalog) -> None:
    not_resource = {"Effect": "Allow", "Action": "eks:ListClusters", "NotResource": CLUSTERS}
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": CLUSTERS}
    assert policy_findings(document(not_resource, not_action), catalog) == []


@pytest.mark.parametrize(
    ("action", "key", "unsupported"),
    [
        ("eks:ListClusters", "aws:ResourceTag/team", "eks:ListClusters"),
        ("eks:DescribeCluster", "aws:ResourceTag/team", None),
        ("eks:DescribeCluster", "eks:kubernetesVersion", "eks:DescribeCluster"),
        ("eks:CreateCluster", "eks:kubernetesVersion", None),
        ("eks:ListClusters", "aws:SourceIp", None),
        ("eks:ListClusters", "aws:RequestedRegion", None),
        ("iam:PassRole", "iam:PassedToService", None),
        (["eks:DescribeCluster", "eks:ListClusters"], "aws:ResourceTag/team", "eks:ListClusters"),
        ("eks:Describe*", "aws:ResourceTag/team", None),  # some actions of the pattern support it
        ("eks:ListClusters", "foo:bar", "eks:ListClusters"),
    ],
)
def test_unsupported_condition_keys(
    catalog: Catalog, action: str | list[str], key: str, unsupported: str | None
) -> None:
    condition = {"StringEquals": {key: "x"}}
    found = policy_findings(document(stmt(action, "*", Condition=condition)), catalog)
    assert codes(found) == ([("UnsupportedConditionKey", unsupported)] if unsupported else [])
    if unsupported:
        assert key in found[0].message


def test_an_undocumented_key_says_so(catalog: Catalog) -> None:
    found = policy_findings(
        document(stmt("eks:ListClusters", "*", Condition={"Null": {"foo:bar": "true"}})), catalog
    )
    assert "(no service documents this key)" in found[0].message


@pytest.mark.parametrize(
    "action",
    ["ec2:", ":RunInstances", "ec2:Run Instances", " ec2:RunInstances", "ec2:Run:Instances", "ec2\t:Run"],
)
def test_malformed_actions_are_input_errors(action: str) -> None:
    with pytest.raises(PolicyParseError) as raised:
        check_action_syntax(document(stmt(["ec2:RunInstances", action], Sid="Bad")))
    assert raised.value.field == "Action"
    assert 'Sid "Bad"' in raised.value.statement
    assert repr(action) in str(raised.value)


def test_well_formed_actions_pass(catalog: Catalog) -> None:
    check_action_syntax(document(stmt(["*", "ec2:*", "*:Get*", "ec2:RunInstancez", "eks:Describe?luster"])))
    check_action_syntax(seed())
    not_action = document({"Effect": "Deny", "NotAction": "iam:", "Resource": "*"})
    with pytest.raises(PolicyParseError, match="NotAction"):
        check_action_syntax(not_action)


def test_copies_of_a_policy_under_other_names_get_the_same_findings_naming_each_copy(
    catalog: Catalog,
) -> None:
    # Findings are remembered per statement content (an organisation's accounts hold copies of one
    # policy): each copy's findings must still name that copy, and a different statement its own.
    statements = [stmt(["ec2:RunInstancez", "eks:ListClusters"], CLUSTERS, Sid="Typo"), stmt("s3:GetObject")]
    first = findings_for([document(*statements, name="account-1/capa")], catalog)
    misses = _statement_findings.cache_info().misses
    second = findings_for([document(*statements, name="account-2/capa")], catalog)
    assert _statement_findings.cache_info().misses == misses  # the copy's statements: no new search
    assert first and {f.policy for f in first} == {"account-1/capa"}
    assert {f.policy for f in second} == {"account-2/capa"}
    assert [(f.code, f.action, f.statement, f.message) for f in first] == [
        (f.code, f.action, f.statement, f.message) for f in second
    ]
    other = findings_for(
        [document(stmt(["ec2:RunInstancez"], "*", Sid="Typo"), name="account-3/capa")], catalog
    )
    assert codes(other) == [("UnknownAction", "ec2:RunInstancez")]
