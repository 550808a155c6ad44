"""simulate(): the decision for one request, with the statements that decided it."""

from __future__ import annotations

from typing import Any

from awsip.policy import Request, simulate

from .helpers import allow, deny, doc, fixture, managed, seed

S3 = "arn:aws:s3:::bucket/key"


def test_no_policy_is_an_implicit_deny() -> None:
    decision = simulate([], Request("s3:GetObject", S3))
    assert decision.decision == "ImplicitDeny" and not decision.allowed
    assert decision.statements == ()


def test_allow_names_the_deciding_statement() -> None:
    policy = doc(allow("s3:PutObject", sid="Put"), allow("s3:GetObject", sid="Get"), name="p1")
    decision = simulate([policy], Request("s3:GetObject", S3))
    assert decision.decision == "Allowed"
    assert [(s.policy, s.sid, s.index) for s in decision.statements] == [("p1", "Get", 1)]
    assert decision.reason == 'allowed by statement "Get" of policy p1'


def test_explicit_deny_wins_over_any_allow() -> None:
    allowing = doc(allow("*", "*"), name="admin")
    denying = doc(deny("s3:*", "arn:aws:s3:::bucket/*", sid="NoBucket"), name="guard")
    decision = simulate([allowing, denying], Request("s3:GetObject", S3))
    assert decision.decision == "ExplicitDeny"
    assert [s.sid for s in decision.statements] == ["NoBucket"]
    assert decision.reason == 'denied by statement "NoBucket" of policy guard'
    assert simulate([allowing, denying], Request("s3:GetObject", "arn:aws:s3:::other/key")).allowed


def test_deny_with_not_action_denies_everything_else() -> None:
    policy = doc(
        allow("*", "*"), deny(None, "*", not_action=["iam:*", "sts:GetCallerIdentity"], sid="OnlyIam")
    )
    assert simulate([policy], Request("iam:GetRole", "*")).allowed
    assert simulate([policy], Request("sts:GetCallerIdentity", "*")).allowed
    assert simulate([policy], Request("s3:GetObject", S3)).decision == "ExplicitDeny"
    assert simulate([policy], Request("STS:getcalleridentity", "*")).allowed  # actions ignore case


def test_not_resource_allow_and_deny() -> None:
    policy = doc(allow("s3:*", None, not_resource="arn:aws:s3:::secret/*"))
    assert simulate([policy], Request("s3:GetObject", S3)).allowed
    assert not simulate([policy], Request("s3:GetObject", "arn:aws:s3:::secret/x")).allowed
    guarded = doc(allow("s3:*", "*"), deny("s3:*", None, not_resource="arn:aws:s3:::public/*"))
    assert simulate([guarded], Request("s3:GetObject", "arn:aws:s3:::public/x")).allowed
    assert simulate([guarded], Request("s3:GetObject", S3)).decision == "ExplicitDeny"


def test_permissions_boundary_intersects_with_identity_policies() -> None:
    identity = doc(allow("s3:*", "*"), allow("ec2:*", "*"), name="identity")
    boundary = doc(allow("s3:*", "*"), allow("iam:*", "*"), name="boundary")
    s3 = simulate([identity], Request("s3:GetObject", S3), boundary=boundary)
    assert s3.allowed and s3.identity_allowed and s3.boundary_allowed
    assert {ref.boundary for ref in s3.statements} == {False, True}
    ec2 = simulate([identity], Request("ec2:RunInstances", "*"), boundary=boundary)
    assert ec2.decision == "ImplicitDeny"
    assert ec2.identity_allowed and ec2.boundary_allowed is False
    assert ec2.reason == "not allowed by the permissions boundary boundary"
    iam = simulate([identity], Request("iam:GetRole", "*"), boundary=boundary)
    assert iam.decision == "ImplicitDeny" and not iam.identity_allowed  # the boundary alone grants nothing
    # Without a boundary the identity policies decide alone.
    assert simulate([identity], Request("ec2:RunInstances", "*")).boundary_allowed is None


def test_a_deny_in_the_boundary_is_an_explicit_deny() -> None:
    identity = doc(allow("*", "*"))
    boundary = doc(allow("*", "*"), deny("eks:*", "*", sid="NoEKS"), name="b")
    decision = simulate([identity], Request("eks:CreateCluster", "*"), boundary=boundary)
    assert decision.decision == "ExplicitDeny"
    assert str(decision.statements[0]) == 'statement "NoEKS" of permissions boundary b'


def test_policy_variables_in_resources() -> None:
    policy = doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    assert simulate(
        [policy], Request("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": "bob"})
    ).allowed
    assert not simulate(
        [policy], Request("s3:GetObject", "arn:aws:s3:::home/eve/x", {"aws:username": "bob"})
    ).allowed
    # Unresolved in an Allow: never matches (not even the literal text).
    assert not simulate([policy], Request("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x")).allowed
    # A multivalued context value cannot be a variable.
    assert not simulate(
        [policy], Request("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": ["bob"]})
    ).allowed
    # The substituted value is literal text: its '*' is not a wildcard.
    assert not simulate(
        [policy], Request("s3:GetObject", "arn:aws:s3:::home/bobby/x", {"aws:username": "bob*"})
    ).allowed


def test_unresolved_variable_may_match_in_a_deny() -> None:
    policy = doc(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::home/${aws:username}/*", sid="D"))
    # No aws:username: the Deny's variable acts like '*'.
    assert simulate([policy], Request("s3:GetObject", "arn:aws:s3:::home/any/x")).decision == "ExplicitDeny"
    # With a value the Deny applies to that home only.
    ctx = {"aws:username": "bob"}
    assert (
        simulate([policy], Request("s3:GetObject", "arn:aws:s3:::home/bob/x", ctx)).decision == "ExplicitDeny"
    )
    assert simulate([policy], Request("s3:GetObject", "arn:aws:s3:::home/eve/x", ctx)).allowed


def test_not_resource_with_unresolved_variable_never_widens() -> None:
    allowing = doc(allow("s3:*", None, not_resource="arn:aws:s3:::home/${aws:username}/*"))
    assert not simulate([allowing], Request("s3:GetObject", "arn:aws:s3:::other/x")).allowed
    assert simulate(
        [allowing], Request("s3:GetObject", "arn:aws:s3:::other/x", {"aws:username": "b"})
    ).allowed
    denying = doc(allow("s3:*", "*"), deny("s3:*", None, not_resource="arn:aws:s3:::home/${aws:username}/*"))
    # Unresolved in a Deny's NotResource: excludes nothing, so the Deny applies everywhere.
    assert simulate([denying], Request("s3:GetObject", "arn:aws:s3:::home/b/x")).decision == "ExplicitDeny"
    ctx = {"aws:username": "b"}
    assert simulate([denying], Request("s3:GetObject", "arn:aws:s3:::home/b/x", ctx)).allowed


def test_escaped_wildcards_and_version_2008() -> None:
    literal_star = doc(allow("s3:*", "arn:aws:s3:::b/${*}"))
    assert simulate([literal_star], Request("s3:GetObject", "arn:aws:s3:::b/*")).allowed
    assert not simulate([literal_star], Request("s3:GetObject", "arn:aws:s3:::b/x")).allowed
    old = doc(allow("s3:*", "arn:aws:s3:::b/${aws:username}"), version="2008-10-17")
    assert simulate(
        [old], Request("s3:GetObject", "arn:aws:s3:::b/${aws:username}", {"aws:username": "x"})
    ).allowed
    assert not simulate([old], Request("s3:GetObject", "arn:aws:s3:::b/x", {"aws:username": "x"})).allowed


def test_if_exists_on_a_missing_key_in_allow_and_deny() -> None:
    policy = doc(
        allow("ec2:*", "*", condition={"StringEqualsIfExists": {"ec2:Region": "eu-west-1"}}),
        deny("ec2:*", "*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, sid="MFA"),
    )
    assert simulate(
        [policy], Request("ec2:RunInstances", "*", {"aws:MultiFactorAuthPresent": "true"})
    ).allowed
    # Missing key: the Allow's IfExists holds, and so does the Deny's.
    assert simulate([policy], Request("ec2:RunInstances", "*")).decision == "ExplicitDeny"
    ctx = {"aws:MultiFactorAuthPresent": "true", "ec2:Region": "us-east-1"}
    assert simulate([policy], Request("ec2:RunInstances", "*", ctx)).decision == "ImplicitDeny"


def test_seed_policy_on_realistic_requests() -> None:
    policy = seed()
    slr = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    ok = simulate(
        [policy],
        Request("iam:CreateServiceLinkedRole", slr, {"iam:AWSServiceName": "autoscaling.amazonaws.com"}),
    )
    assert ok.allowed and ok.statements[0].index == 2
    wrong = simulate(
        [policy], Request("iam:CreateServiceLinkedRole", slr, {"iam:AWSServiceName": "eks.amazonaws.com"})
    )
    assert wrong.decision == "ImplicitDeny"
    kms = {"kms:ResourceAliases": ["alias/other", "alias/cluster-api-provider-aws-key"]}
    assert simulate([policy], Request("kms:CreateGrant", "arn:aws:kms:eu-west-1:1:key/k", kms)).allowed
    assert not simulate([policy], Request("kms:CreateGrant", "arn:aws:kms:eu-west-1:1:key/k")).allowed


def test_managed_policies_with_an_explicit_deny() -> None:
    policies = [managed("AmazonEC2FullAccess"), managed("PowerUserAccess"), fixture("deny-eks.json")]
    assert simulate(policies, Request("ec2:RunInstances", "*")).allowed
    decision = simulate(policies, Request("eks:CreateCluster", "arn:aws:eks:eu-west-1:1:cluster/c"))
    assert decision.decision == "ExplicitDeny"
    assert str(decision.statements[0]) == 'statement "DenyEKS" of policy deny-eks.json'
    # PowerUserAccess excludes iam:* except a few actions.
    assert simulate(policies, Request("iam:CreateServiceLinkedRole", "*")).allowed
    assert not simulate(policies, Request("iam:PassRole", "*")).allowed


def test_decision_json() -> None:
    decision = simulate(
        [doc(allow("s3:*", sid="S"), name="p")], Request("s3:GetObject", S3, {"k": ["a", "b"]})
    )
    assert decision.to_json() == {
        "decision": "Allowed",
        "allowed": True,
        "request": {"action": "s3:GetObject", "resource": S3, "context": {"k": ["a", "b"]}},
        "reason": 'allowed by statement "S" of policy p',
        "identity_allowed": True,
        "boundary_allowed": None,
        "statements": [{"policy": "p", "index": 0, "sid": "S", "effect": "Allow", "boundary": False}],
    }


def test_context_values_of_other_python_types() -> None:
    policy = doc(
        allow("s3:*", "*", condition={"Bool": {"aws:SecureTransport": "true"}, "NumericLessThan": {"n": "3"}})
    )
    context: dict[str, Any] = {"aws:SecureTransport": True, "n": 2}
    assert simulate([policy], Request("s3:GetObject", "*", context)).allowed
    assert simulate(
        [doc(allow("s3:*", ("arn:aws:s3:::a", "arn:aws:s3:::b")))], Request("s3:GetObject", "arn:aws:s3:::b")
    ).allowed
