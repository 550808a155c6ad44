"""check_coverage(): realistic policies, exact pattern inclusion, conditions, denies, boundaries."""

from __future__ import annotations

import json
from typing import Any

from awsip.catalog import default_catalog
from awsip.policy import ActionResult, CoverageReport, PolicyDocument, Request, check_coverage, simulate

from .helpers import allow, deny, doc, fixture, managed, seed

ASG = "arn:*:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*"


def assert_sound(
    report: CoverageReport,
    required: PolicyDocument,
    policies: list[PolicyDocument],
    boundary: PolicyDocument | None = None,
) -> None:
    """Every NotCovered result has a witness inside the required statement that simulate denies."""
    for result in report.missing:
        assert result.witness is not None, result
        assert not simulate(policies, result.witness, boundary=boundary).allowed, result
        assert simulate([required], result.witness).allowed, f"witness outside the required policy: {result}"


def results_for(report: CoverageReport, action: str) -> list[ActionResult]:
    return [r for r in report.results if r.action == action]


# -- the seed policy --------------------------------------------------------------------------------


def test_seed_covers_itself() -> None:
    report = check_coverage(seed(), [seed()])
    assert report.covered
    assert report.required_actions == 107  # 114 entries, some actions in several statements
    assert len(report.results) == 114
    assert report.missing == [] and report.unknown == []


def test_admin_covers_the_seed() -> None:
    report = check_coverage(seed(), [doc(allow("*", "*"))])
    assert report.covered
    report = check_coverage(seed(), [managed("AdministratorAccess")])
    assert report.covered


def test_no_policy_covers_nothing() -> None:
    report = check_coverage(seed(), [])
    assert not report.covered
    assert report.missing_actions == report.required_actions == 107
    assert_sound(report, seed(), [])


def test_managed_policies_with_one_explicit_deny_are_not_covered_naming_the_deny() -> None:
    policies = [managed("AdministratorAccess"), fixture("deny-eks.json")]
    report = check_coverage(seed(), policies)
    assert not report.covered
    eks_actions = {r.action for r in report.missing}
    assert eks_actions and all(a.startswith("eks:") for a in eks_actions)
    seed_eks = {a.lower() for st in seed_document() for a in st["Action"] if a.startswith("eks:")}
    assert report.missing_actions == len(seed_eks) == 23
    for result in report.missing:
        assert result.reason == 'denied by statement "DenyEKS" of policy deny-eks.json'
    assert_sound(report, seed(), policies)


def test_broad_managed_policies_with_a_deny_in_another_policy() -> None:
    policies = [managed("PowerUserAccess"), managed("IAMFullAccess"), fixture("deny-eks.json")]
    report = check_coverage(seed(), policies)
    assert {r.action.split(":")[0] for r in report.missing} == {"eks"}
    assert report.unknown == []
    assert_sound(report, seed(), policies)
    without_deny = check_coverage(seed(), policies[:2])
    assert without_deny.covered


def test_power_user_lacks_the_iam_actions() -> None:
    report = check_coverage(seed(), [managed("PowerUserAccess")])
    assert sorted({r.action for r in report.missing}) == [
        "iam:GetPolicy",
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:PassRole",
    ]
    assert all(r.reason == "no Allow statement of the identity policies matches" for r in report.missing)
    assert_sound(report, seed(), [managed("PowerUserAccess")])


def test_autoscaling_scoped_to_one_account_or_region_is_not_enough() -> None:
    for name in ("autoscaling-one-account.json", "autoscaling-one-region.json"):
        scoped = fixture(name)
        required = doc(allow(["autoscaling:CreateAutoScalingGroup", "autoscaling:DeleteTags"], ASG))
        report = check_coverage(required, [scoped])
        assert not report.covered, name
        assert len(report.missing) == 2
        for result in report.missing:
            assert result.resource == ASG
            assert result.witness is not None
            assert not simulate([scoped], result.witness).allowed
        assert_sound(report, required, [scoped])


def test_seed_with_scoped_autoscaling_misses_exactly_the_scoped_statement() -> None:
    statements = [s for s in seed_document() if s.get("Resource") != [ASG]]
    policies = [doc(*statements, name="seed-without-asg"), fixture("autoscaling-one-region.json")]
    report = check_coverage(seed(), policies)
    assert sorted(r.action for r in report.missing) == sorted(
        [
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:StartInstanceRefresh",
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:DeleteTags",
        ]
    )
    assert_sound(report, seed(), policies)


def seed_document() -> list[dict[str, Any]]:
    from awsip.profiles import load_profile

    statements: list[dict[str, Any]] = load_profile("capa-minimal")["Statement"]
    return statements


def test_permissions_boundary_without_eks() -> None:
    boundary = fixture("boundary-without-eks.json")
    report = check_coverage(seed(), [doc(allow("*", "*"))], boundary=boundary)
    assert not report.covered
    assert {r.action.split(":")[0] for r in report.missing} == {"eks"}
    for result in report.missing:
        assert result.reason == "not allowed by the permissions boundary boundary-without-eks.json"
    assert_sound(report, seed(), [doc(allow("*", "*"))], boundary)
    # The same boundary with the seed's identity policy: the EKS actions are still missing.
    report = check_coverage(seed(), [seed()], boundary=boundary)
    assert {r.action.split(":")[0] for r in report.missing} == {"eks"}
    # A boundary that allows everything changes nothing.
    assert check_coverage(seed(), [seed()], boundary=doc(allow("*", "*"))).covered


# -- pattern inclusion ------------------------------------------------------------------------------


def test_partition_wildcard_is_not_covered_by_listing_partitions() -> None:
    required = doc(allow("s3:GetObject", "arn:*:s3:::bucket/*"))
    granted = doc(
        allow(
            "s3:GetObject",
            ["arn:aws:s3:::bucket/*", "arn:aws-cn:s3:::bucket/*", "arn:aws-us-gov:s3:::bucket/*"],
        )
    )
    report = check_coverage(required, [granted])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.resource.startswith("arn:") and "bucket/" in witness.resource
    assert_sound(report, required, [granted])


def test_union_of_patterns_across_statements_and_policies_covers() -> None:
    required = doc(allow("s3:GetObject", "arn:*:s3:::a*"))
    granted = [
        doc(allow("s3:GetObject", "arn:*:s3:::ab*"), name="p1"),
        doc(allow("s3:*", ["arn:*:s3:::a", "arn:*:s3:::a?"]), name="p2"),
        doc(allow("s3:Get*", "arn:*:s3:::a??*"), name="p3"),
    ]
    assert check_coverage(required, granted).covered
    report = check_coverage(required, granted[:2])
    assert not report.covered
    assert_sound(report, required, granted[:2])


def test_autoscaling_pattern_is_not_covered_by_a_fixed_partition() -> None:
    required = doc(allow("autoscaling:DeleteTags", "arn:*:autoscaling:*"))
    granted = doc(allow("autoscaling:*", "arn:aws:autoscaling:*"))
    report = check_coverage(required, [granted])
    assert not report.covered
    assert_sound(report, required, [granted])
    assert check_coverage(
        doc(allow("autoscaling:DeleteTags", "arn:aws:autoscaling:*")),
        [doc(allow("autoscaling:*", "arn:*:autoscaling:*"))],
    ).covered


def test_not_resource_in_the_granted_policy() -> None:
    required = doc(allow("s3:GetObject", "arn:aws:s3:::data/*"))
    assert check_coverage(required, [doc(allow("s3:*", None, not_resource="arn:aws:s3:::secret/*"))]).covered
    report = check_coverage(required, [doc(allow("s3:*", None, not_resource="arn:aws:s3:::data/private/*"))])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.resource.startswith("arn:aws:s3:::data/private/")


def test_required_wildcard_actions_are_split_by_the_granted_statements() -> None:
    required = doc(allow("ec2:Describe*", "*"))
    assert check_coverage(required, [doc(allow("ec2:*", "*"))]).covered
    assert check_coverage(required, [managed("ReadOnlyAccess")]).covered
    granted = doc(allow(["ec2:DescribeInstances", "ec2:DescribeVpcs"], "*"))
    report = check_coverage(required, [granted])
    assert not report.covered
    result = report.missing[0]
    assert result.action == "ec2:Describe*"
    assert result.witness is not None and result.witness.action.lower().startswith("ec2:describe")
    assert result.witness.action.lower() not in ("ec2:describeinstances", "ec2:describevpcs")
    assert_sound(report, required, [granted])


def test_required_wildcard_action_with_a_deny_on_part_of_it() -> None:
    required = doc(allow("ec2:Describe*", "*"))
    granted = doc(allow("ec2:*", "*"), deny("ec2:DescribeImages", "*", sid="NoImages"))
    report = check_coverage(required, [granted])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.action.lower() == "ec2:describeimages"
    assert report.missing[0].reason == 'denied by statement "NoImages" of policy test-policy'


def test_required_not_action_and_not_resource() -> None:
    required = doc(allow(None, "*", not_action=["iam:*", "organizations:*", "account:*"]))
    assert check_coverage(required, [managed("PowerUserAccess")]).covered
    assert not check_coverage(required, [managed("AmazonEC2FullAccess")]).covered
    # Everything but iam: PowerUserAccess also leaves out organizations:* and account:*.
    broader = doc(allow(None, "*", not_action="iam:*"))
    report = check_coverage(broader, [managed("PowerUserAccess")])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.action.lower().startswith(("organizations:", "account:"))
    assert_sound(report, broader, [managed("PowerUserAccess")])
    required = doc(allow("s3:GetObject", None, not_resource="arn:aws:s3:::secret/*"))
    assert check_coverage(required, [doc(allow("s3:GetObject", "*"))]).covered
    report = check_coverage(required, [doc(allow("s3:GetObject", "arn:aws:s3:::*"))])
    assert not report.covered
    assert_sound(report, required, [doc(allow("s3:GetObject", "arn:aws:s3:::*"))])


def test_required_policy_with_an_unconditional_deny() -> None:
    required = doc(allow("s3:*", "arn:aws:s3:::b/*"), deny("s3:*", "arn:aws:s3:::b/private/*"))
    granted = doc(allow("s3:*", "arn:aws:s3:::b/*"), deny("s3:*", "arn:aws:s3:::b/private/*"))
    assert check_coverage(required, [granted]).covered


# -- conditions -------------------------------------------------------------------------------------


def test_allow_whose_conditions_are_implied_covers() -> None:
    required = doc(
        allow(
            "iam:CreateServiceLinkedRole",
            "arn:*:iam::*:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
            condition={"StringLike": {"iam:AWSServiceName": "spot.amazonaws.com"}},
        )
    )
    assert check_coverage(required, [managed("AmazonEC2FullAccess")]).covered
    stricter = doc(
        allow(
            "iam:CreateServiceLinkedRole",
            "*",
            condition={
                "StringLike": {"iam:AWSServiceName": "spot.amazonaws.com"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
    )
    report = check_coverage(required, [stricter])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.context["iam:AWSServiceName"] == "spot.amazonaws.com"
    assert_sound(report, required, [stricter])
    unrelated = doc(
        allow(
            "iam:CreateServiceLinkedRole",
            "*",
            condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        )
    )
    report = check_coverage(required, [unrelated])
    assert not report.covered
    assert_sound(report, required, [unrelated])


def test_required_kms_condition_against_for_all_values() -> None:
    required = doc(
        allow(
            ["kms:CreateGrant"],
            "*",
            condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/cluster-api-provider-aws-*"}},
        )
    )
    same = doc(
        allow(
            "kms:*", "*", condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/cluster-api-*"}}
        )
    )
    assert check_coverage(required, [same]).covered
    all_values = doc(
        allow(
            "kms:*",
            "*",
            condition={"ForAllValues:StringLike": {"kms:ResourceAliases": "alias/cluster-api-*"}},
        )
    )
    report = check_coverage(required, [all_values])
    assert not report.covered
    assert_sound(report, required, [all_values])


def test_conditional_allows_that_together_cover_are_unknown_not_covered() -> None:
    """Two Allows with complementary conditions cover everything; the engine cannot prove it."""
    required = doc(allow("s3:GetObject", "*"))
    granted = doc(
        allow("s3:GetObject", "*", condition={"StringLike": {"test:k": "a*"}}),
        allow("s3:GetObject", "*", condition={"StringNotLike": {"test:k": "a*"}}),
    )
    report = check_coverage(required, [granted])
    assert not report.covered
    assert [r.status for r in report.results] == ["Unknown"]
    assert report.unknown_actions == 1 and report.missing_actions == 0


def test_conditional_allows_that_leave_a_gap_are_not_covered() -> None:
    required = doc(allow("s3:GetObject", "*"))
    granted = doc(
        allow("s3:GetObject", "*", condition={"Bool": {"aws:SecureTransport": "true"}}),
        allow("s3:GetObject", "*", condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    report = check_coverage(required, [granted])  # the key may be absent: neither applies
    assert not report.covered and report.missing
    assert_sound(report, required, [granted])


def test_deny_with_conditions() -> None:
    required = doc(allow("ec2:RunInstances", "*"))
    region_guard = doc(
        allow("*", "*"),
        deny("*", "*", condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}, sid="OnlyEU"),
        name="scp-like",
    )
    report = check_coverage(required, [region_guard])
    assert not report.covered
    assert report.missing[0].reason == 'denied by statement "OnlyEU" of policy scp-like'
    witness = report.missing[0].witness
    assert witness is not None
    assert_sound(report, required, [region_guard])
    # A Deny whose conditions can never hold together with the required ones does not apply.
    required_eu = doc(
        allow("ec2:RunInstances", "*", condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    )
    assert check_coverage(required_eu, [region_guard]).covered


def test_deny_on_disjoint_resources_does_not_matter() -> None:
    required = doc(allow("s3:*", "arn:aws:s3:::public/*"))
    granted = doc(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::private/*"))
    assert check_coverage(required, [granted]).covered
    overlapping = doc(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::pub*/secret"))
    report = check_coverage(required, [overlapping])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.resource.endswith("/secret")


def test_policy_variables_in_granted_policies() -> None:
    required = doc(allow("s3:GetObject", "arn:aws:s3:::home/*"))
    per_user = doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    report = check_coverage(required, [per_user])
    assert not report.covered
    assert_sound(report, required, [per_user])
    # A Deny with a variable may apply: not covered, with a witness.
    guarded = doc(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::home/${aws:username}/private"))
    report = check_coverage(required, [guarded])
    assert not report.covered
    assert_sound(report, required, [guarded])


def test_required_statement_with_variables_is_unknown() -> None:
    required = doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    report = check_coverage(required, [doc(allow("s3:*", "*"))])
    assert [r.status for r in report.results] == ["Unknown"]
    assert not report.covered


# -- the report --------------------------------------------------------------------------------------


def test_report_json_is_stable() -> None:
    policies = [doc(allow("ec2:*", "*"), name="ec2")]
    required = doc(allow(["ec2:RunInstances", "s3:GetObject"], "*", sid="Need"), name="req")
    report = check_coverage(required, policies)
    data = report.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "format": "awsip.policy.coverage/v1",
        "covered": False,
        "required": "req",
        "policies": ["ec2"],
        "boundary": None,
        "catalog": default_catalog().source.to_json(),
        "required_actions": 2,
        "missing_actions": 1,
        "unknown_actions": 0,
        "missing": [
            {
                "action": "s3:GetObject",
                "resource": "*",
                "statement": 'statement "Need"',
                "status": "NotCovered",
                "reason": "no Allow statement of the identity policies matches",
                "witness": {
                    "action": "s3:GetObject",
                    "resource": data["missing"][0]["witness"]["resource"],
                    "context": {},
                },
                "requests": "catalog",
                "note": None,
            }
        ],
        "unknown": [],
    }
    # The witness is a request AWS could make: an ARN of one of s3:GetObject's resource types.
    get_object = default_catalog().action("s3:GetObject")
    assert get_object is not None and get_object.matches_resource(data["missing"][0]["witness"]["resource"])
    text = report.to_text()
    assert "s3:GetObject" in text and "NotCovered" in text and "e.g. s3:GetObject on" in text


def test_repeated_checks_give_equal_independent_reports() -> None:
    first = check_coverage(seed(), [managed("PowerUserAccess")])
    second = check_coverage(seed(), [managed("PowerUserAccess")])
    assert first.to_json() == second.to_json()
    first.results.clear()
    assert check_coverage(seed(), [managed("PowerUserAccess")]).results == second.results


def test_witness_request_is_a_plain_request() -> None:
    report = check_coverage(doc(allow("s3:GetObject", "*")), [])
    witness = report.missing[0].witness
    assert isinstance(witness, Request)


def test_required_policy_with_a_deny_also_attached_as_granted() -> None:
    required = doc(allow("ec2:Describe*", "*"), deny("ec2:DescribeImages", "*", sid="NoImages"), name="both")
    assert check_coverage(required, [required]).covered
    # The Deny, attached, still removes nothing the required policy grants.
    assert check_coverage(required, [doc(allow("ec2:*", "*")), required]).covered
    report = check_coverage(doc(allow("ec2:Describe*", "*")), [required])
    assert not report.covered and report.missing[0].reason == 'denied by statement "NoImages" of policy both'


def test_concurrent_checks_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from awsip.policy import default_engine

    policies = [managed("PowerUserAccess"), fixture("deny-eks.json")]
    default_engine().clear()
    expected = check_coverage(seed(), policies).to_json()
    default_engine().clear()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: check_coverage(seed(), policies).to_json(), range(8)))
    assert all(result == expected for result in results)


def test_required_star_action_sees_denies_of_every_service() -> None:
    granted = doc(allow("*", "*"), deny("eks:*", "*", sid="NoEKS"))
    report = check_coverage(doc(allow("*", "*")), [granted])
    assert not report.covered
    witness = report.missing[0].witness
    assert witness is not None and witness.action.lower().startswith("eks:")
    assert report.missing[0].reason == 'denied by statement "NoEKS" of policy test-policy'
    boundary = doc(allow("*", "*"), deny("iam:*", "*"), name="b")
    report = check_coverage(doc(allow("*:Get*", "*")), [doc(allow("*", "*"))], boundary=boundary)
    assert not report.covered
    assert_sound(report, doc(allow("*:Get*", "*")), [doc(allow("*", "*"))], boundary)
    required = doc(allow(None, "*", not_action="s3:*"))
    report = check_coverage(required, [managed("ReadOnlyAccess"), managed("AmazonEC2FullAccess")])
    assert not report.covered
    assert_sound(report, required, [managed("ReadOnlyAccess"), managed("AmazonEC2FullAccess")])
