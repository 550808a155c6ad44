"""Table-driven tests: one trust policy per row, the exact set of finding codes it must produce."""

from __future__ import annotations

from typing import Any

import pytest

from awsip import profiles
from awsip.api.v1alpha1 import MAX_MESSAGE_LENGTH, TrustPolicyStatus
from awsip.trust import SEVERITIES, analyze_trust_policy
from awsip.trust.verdict import FindingCollector

MGMT = "111122223333"
OTHER = "444455556666"
ROLE_ACCOUNT = "999988887777"
OPERATOR = f"arn:aws:iam::{MGMT}:role/awsip-operator"
ROLE = f"arn:aws:iam::{ROLE_ACCOUNT}:role/capa-manager"
EXACT = {"StringEquals": {"sts:ExternalId": "tenant-a-secret"}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(
    principal: Any, *, action: Any = "sts:AssumeRole", condition: Any = None, **extra: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def deny(
    principal: Any, *, action: Any = "sts:AssumeRole", condition: Any = None, **extra: Any
) -> dict[str, Any]:
    statement = allow(principal, action=action, condition=condition, **extra)
    statement["Effect"] = "Deny"
    return statement


OPERATOR_WITH_ID = allow({"AWS": OPERATOR}, condition=EXACT)

# (id, document, keyword overrides, expected codes)
CASES: list[tuple[str, Any, dict[str, Any], set[str]]] = [
    # --- a good policy ---------------------------------------------------------------------
    ("operator-role-with-external-id", policy(OPERATOR_WITH_ID), {}, set()),
    # --- wildcards -------------------------------------------------------------------------
    ("principal-star", policy(allow("*", condition=EXACT)), {}, {"WildcardPrincipal"}),
    ("aws-star", policy(allow({"AWS": "*"}, condition=EXACT)), {}, {"WildcardPrincipal"}),
    (
        "aws-list-with-star",
        policy(allow({"AWS": [OPERATOR, "*"]}, condition=EXACT)),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "account-wildcard-root",
        policy(allow({"AWS": "arn:aws:iam::*:root"}, condition=EXACT)),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "account-wildcard-role",
        policy(allow({"AWS": [OPERATOR, "arn:aws:iam::*:role/x"]}, condition=EXACT)),
        {},
        {"WildcardPrincipal"},
    ),
    ("action-sts-star", policy(allow("*", action="sts:*", condition=EXACT)), {}, {"WildcardPrincipal"}),
    ("action-star", policy(allow("*", action="*", condition=EXACT)), {}, {"WildcardPrincipal"}),
    ("action-case", policy(allow("*", action="STS:ASSUMEROLE", condition=EXACT)), {}, {"WildcardPrincipal"}),
    ("action-glob", policy(allow("*", action=["sts:Assume*"], condition=EXACT)), {}, {"WildcardPrincipal"}),
    (
        "notaction-keeps-assume",
        policy({"Effect": "Allow", "Principal": "*", "NotAction": "sts:TagSession", "Condition": EXACT}),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "notaction-excludes-assume",
        policy({"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRole*"}),
        {},
        {"NoAssumeRoleStatement"},
    ),
    ("tag-session-only", policy(allow("*", action="sts:TagSession")), {}, {"NoAssumeRoleStatement"}),
    (
        "wildcard-with-only-external-id-is-still-critical",
        policy(allow({"AWS": "*"}, condition=EXACT)),
        {"external_id_configured": True},
        {"WildcardPrincipal"},
    ),
    # --- wildcards narrowed by a condition -------------------------------------------------
    (
        "scoped-principal-account",
        policy(
            allow(
                "*",
                condition={**EXACT, "StringEquals": {"sts:ExternalId": "x", "aws:PrincipalAccount": MGMT}},
            )
        ),
        {},
        {"ConditionallyScopedWildcardPrincipal"},
    ),
    (
        "scoped-org-id-lower-case",
        policy(allow("*", condition={"stringequals": {"AWS:PRINCIPALORGID": "o-a1b2c3d4e5"}, **EXACT})),
        {},
        {"ConditionallyScopedWildcardPrincipal"},
    ),
    (
        "scoped-principal-arn",
        policy(
            allow("*", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MGMT}:role/*"}, **EXACT})
        ),
        {},
        {"ConditionallyScopedWildcardPrincipal"},
    ),
    (
        "scoped-org-paths",
        policy(
            allow(
                "*",
                condition={
                    "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"},
                    **EXACT,
                },
            )
        ),
        {},
        {"ConditionallyScopedWildcardPrincipal"},
    ),
    (
        "not-scoped-like-star",
        policy(allow("*", condition={"StringLike": {"aws:PrincipalAccount": "*"}, **EXACT})),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "not-scoped-if-exists",
        policy(allow("*", condition={"StringEqualsIfExists": {"aws:PrincipalAccount": MGMT}, **EXACT})),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "not-scoped-negated",
        policy(allow("*", condition={"StringNotEquals": {"aws:PrincipalAccount": OTHER}, **EXACT})),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "not-scoped-source-account",
        policy(allow("*", condition={"StringEquals": {"aws:SourceAccount": MGMT, "sts:ExternalId": "x"}})),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "not-scoped-principal-tag",
        policy(
            allow(
                "*",
                condition={"StringEquals": {"aws:PrincipalTag/awsip:namespace": "a", "sts:ExternalId": "x"}},
            )
        ),
        {},
        {"WildcardPrincipal"},
    ),
    (
        "not-scoped-arn-any-account",
        policy(allow("*", condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/awsip"}, **EXACT})),
        {},
        {"WildcardPrincipal"},
    ),
    # --- External ID: configured on the provider ------------------------------------------
    (
        "ext-missing",
        policy(allow({"AWS": OPERATOR})),
        {"external_id_configured": True},
        {"ExternalIDNotEnforced"},
    ),
    (
        "ext-like-wildcard",
        policy(allow({"AWS": OPERATOR}, condition={"StringLike": {"sts:ExternalId": "tenant-*"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-like-without-wildcard-is-exact",
        policy(allow({"AWS": OPERATOR}, condition={"StringLike": {"sts:ExternalId": "tenant-a"}})),
        {},
        set(),
    ),
    (
        "ext-not-equals",
        policy(allow({"AWS": OPERATOR}, condition={"StringNotEquals": {"sts:ExternalId": "x"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-if-exists",
        policy(allow({"AWS": OPERATOR}, condition={"StringEqualsIfExists": {"sts:ExternalId": "x"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-for-any-value",
        policy(allow({"AWS": OPERATOR}, condition={"ForAnyValue:StringEquals": {"sts:ExternalId": "x"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-for-all-values",
        policy(allow({"AWS": OPERATOR}, condition={"ForAllValues:StringEquals": {"sts:ExternalId": "x"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-null-false",
        policy(allow({"AWS": OPERATOR}, condition={"Null": {"sts:ExternalId": "false"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-policy-variable",
        policy(allow({"AWS": OPERATOR}, condition={"StringEquals": {"sts:ExternalId": "${aws:username}"}})),
        {},
        {"ExternalIDNotExact"},
    ),
    (
        "ext-ignore-case-is-exact",
        policy(allow({"AWS": OPERATOR}, condition={"StringEqualsIgnoreCase": {"sts:ExternalId": "x"}})),
        {},
        set(),
    ),
    (
        "ext-case-insensitive-key-and-operator",
        policy(allow({"AWS": OPERATOR}, condition={"STRINGEQUALS": {"STS:EXTERNALID": "x"}})),
        {},
        set(),
    ),
    (
        "ext-exact-and-loose-together",
        policy(
            allow(
                {"AWS": OPERATOR},
                condition={"StringEquals": {"sts:ExternalId": "x"}, "StringLike": {"sts:ExternalId": "*"}},
            )
        ),
        {},
        set(),
    ),
    (
        "ext-one-of-two-statements",
        policy(OPERATOR_WITH_ID, allow({"AWS": OPERATOR}, Sid="Loophole")),
        {},
        {"ExternalIDNotEnforced"},
    ),
    (
        "ext-enforced-by-deny",
        policy(allow({"AWS": OPERATOR}), deny("*", condition={"StringNotEquals": {"sts:ExternalId": "x"}})),
        {},
        set(),
    ),
    (
        "ext-enforced-by-deny-if-exists",
        policy(
            allow({"AWS": OPERATOR}),
            deny("*", condition={"StringNotEqualsIfExists": {"sts:ExternalId": "x"}}),
        ),
        {},
        set(),
    ),
    (
        "ext-deny-null-only-checks-presence",
        policy(allow({"AWS": OPERATOR}), deny("*", condition={"Null": {"sts:ExternalId": "true"}})),
        {},
        {"ExternalIDNotEnforced"},
    ),
    (
        "ext-other-principal-statement-is-not-ours",
        policy(OPERATOR_WITH_ID, allow({"AWS": f"arn:aws:iam::{OTHER}:role/x"})),
        {},
        {"ForeignAccountPrincipal"},
    ),
    # --- External ID: not configured on the provider --------------------------------------
    (
        "ext-required-not-configured",
        policy(OPERATOR_WITH_ID),
        {"external_id_configured": False},
        {"ExternalIDNotConfigured"},
    ),
    (
        "ext-pattern-required-not-configured",
        policy(allow({"AWS": OPERATOR}, condition={"StringLike": {"sts:ExternalId": "t-*"}})),
        {"external_id_configured": False},
        {"ExternalIDNotConfigured"},
    ),
    (
        "ext-deny-required-not-configured",
        policy(allow({"AWS": OPERATOR}), deny("*", condition={"StringNotEquals": {"sts:ExternalId": "x"}})),
        {"external_id_configured": False},
        {"ExternalIDNotConfigured"},
    ),
    (
        "ext-optional-not-configured",
        policy(allow({"AWS": OPERATOR}, condition={"StringEqualsIfExists": {"sts:ExternalId": "x"}})),
        {"external_id_configured": False},
        set(),
    ),
    (
        "ext-recommended-cross-account",
        policy(allow({"AWS": OPERATOR})),
        {"external_id_configured": False},
        {"ExternalIDRecommended"},
    ),
    (
        "ext-recommended-role-account-unknown",
        policy(allow({"AWS": OPERATOR})),
        {"external_id_configured": False, "role_arn": None},
        {"ExternalIDRecommended"},
    ),
    (
        "ext-not-recommended-same-account",
        policy(allow({"AWS": OPERATOR})),
        {"external_id_configured": False, "role_arn": f"arn:aws:iam::{MGMT}:role/capa"},
        set(),
    ),
    # --- whole accounts and foreign accounts ----------------------------------------------
    (
        "management-root",
        policy(allow({"AWS": f"arn:aws:iam::{MGMT}:root"}, condition=EXACT)),
        {},
        {"PrincipalBroaderThanManagementAccount"},
    ),
    (
        "management-bare-account",
        policy(allow({"AWS": MGMT}, condition=EXACT)),
        {},
        {"PrincipalBroaderThanManagementAccount"},
    ),
    (
        "root-with-nothing-known",
        policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, condition=EXACT)),
        {"management_account_id": None, "operator_principal_arn": None},
        {"PrincipalBroaderThanManagementAccount"},
    ),
    (
        "foreign-role",
        policy(allow({"AWS": [OPERATOR, f"arn:aws:iam::{OTHER}:role/x"]}, condition=EXACT)),
        {},
        {"ForeignAccountPrincipal"},
    ),
    (
        "foreign-root",
        policy(allow({"AWS": [OPERATOR, f"arn:aws:iam::{OTHER}:root"]}, condition=EXACT)),
        {},
        {"ForeignAccountPrincipal"},
    ),
    (
        "foreign-bare-account-only",
        policy(allow({"AWS": OTHER}, condition=EXACT)),
        {},
        {"ForeignAccountPrincipal", "ManagementPrincipalNotTrusted"},
    ),
    # --- NotPrincipal -----------------------------------------------------------------------
    (
        "allow-not-principal",
        policy(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "sts:AssumeRole",
                "Condition": EXACT,
            }
        ),
        {},
        {"NotPrincipalAllow"},
    ),
    (
        "deny-not-principal-exempts-operator",
        policy(
            OPERATOR_WITH_ID,
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": [OPERATOR, f"arn:aws:iam::{MGMT}:root"]},
                "Action": "sts:AssumeRole",
            },
        ),
        {},
        {"DenyNotPrincipal"},
    ),
    (
        "deny-not-principal-hits-operator",
        policy(
            OPERATOR_WITH_ID,
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "sts:AssumeRole",
            },
        ),
        {},
        {"DenyNotPrincipal", "ManagementPrincipalDenied"},
    ),
    # --- Deny ------------------------------------------------------------------------------
    ("deny-operator", policy(OPERATOR_WITH_ID, deny({"AWS": OPERATOR})), {}, {"ManagementPrincipalDenied"}),
    ("deny-everyone", policy(OPERATOR_WITH_ID, deny("*")), {}, {"ManagementPrincipalDenied"}),
    (
        "deny-everyone-operator-unknown",
        policy(OPERATOR_WITH_ID, deny("*")),
        {"management_account_id": None, "operator_principal_arn": None},
        {"ManagementPrincipalDenied"},
    ),
    (
        "deny-conditional",
        policy(OPERATOR_WITH_ID, deny("*", condition={"Bool": {"aws:SecureTransport": "false"}})),
        {},
        set(),
    ),
    ("deny-someone-else", policy(OPERATOR_WITH_ID, deny({"AWS": f"arn:aws:iam::{OTHER}:root"})), {}, set()),
    (
        "deny-other-action",
        policy(OPERATOR_WITH_ID, deny({"AWS": OPERATOR}, action="sts:TagSession")),
        {},
        set(),
    ),
    # --- services, identity providers ------------------------------------------------------
    (
        "seed-trust-policy",
        profiles.trust_policy(MGMT),
        {"external_id_configured": False},
        {"PrincipalBroaderThanManagementAccount", "ExternalIDRecommended", "ServicePrincipal"},
    ),
    (
        "seed-trust-policy-with-external-id",
        profiles.trust_policy(MGMT, external_id="tenant-a-secret"),
        {"external_id_configured": True},
        {"PrincipalBroaderThanManagementAccount", "ServicePrincipal"},
    ),
    (
        "seed-trust-policy-pinned-to-namespace",
        profiles.trust_policy(MGMT, external_id="x", session_tags=True, namespace="team-a"),
        {"external_id_configured": True},
        {"PrincipalBroaderThanManagementAccount", "ServicePrincipal"},
    ),
    (
        "service-only",
        policy(allow({"Service": "ec2.amazonaws.com"})),
        {},
        {"ServicePrincipal", "NoAssumeRoleStatement"},
    ),
    (
        "federated",
        policy(
            OPERATOR_WITH_ID,
            allow(
                {
                    "Federated": f"arn:aws:iam::{ROLE_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
                },
                action="sts:AssumeRoleWithWebIdentity",
            ),
        ),
        {},
        {"FederatedPrincipal"},
    ),
    # --- nothing (for us) to assume --------------------------------------------------------
    ("no-statements", policy(), {}, {"NoAssumeRoleStatement"}),
    ("deny-only", policy(deny({"AWS": f"arn:aws:iam::{OTHER}:root"})), {}, {"NoAssumeRoleStatement"}),
    (
        "someone-else-in-management-account",
        policy(allow({"AWS": f"arn:aws:iam::{MGMT}:role/someone-else"}, condition=EXACT)),
        {},
        {"ManagementPrincipalNotTrusted"},
    ),
    (
        "someone-in-management-account-operator-role-unknown",
        policy(allow({"AWS": f"arn:aws:iam::{MGMT}:role/someone"}, condition=EXACT)),
        {"operator_principal_arn": None},
        set(),
    ),
    (
        "assumed-role-operator-matches-role-with-path",
        policy(allow({"AWS": f"arn:aws:iam::{MGMT}:role/platform/awsip-operator"}, condition=EXACT)),
        {"operator_principal_arn": f"arn:aws:sts::{MGMT}:assumed-role/awsip-operator/botocore-session-1"},
        set(),
    ),
    # --- principals IAM cannot resolve -----------------------------------------------------
    (
        "deleted-principal-unique-id",
        policy(allow({"AWS": ["AROA1234567890EXAMPLE", OPERATOR]}, condition=EXACT)),
        {},
        {"UnresolvedPrincipal"},
    ),
    (
        "canonical-user",
        policy(
            OPERATOR_WITH_ID,
            allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
        ),
        {},
        {"UnresolvedPrincipal"},
    ),
    # --- malformed -------------------------------------------------------------------------
    ("not-json", "{not json", {}, {"MalformedTrustPolicy"}),
    ("json-list", "[1, 2]", {}, {"MalformedTrustPolicy"}),
    ("no-statement-element", {"Version": "2012-10-17"}, {}, {"MalformedTrustPolicy"}),
    (
        "statement-without-effect",
        policy({"Principal": {"AWS": OPERATOR}, "Action": "sts:AssumeRole"}),
        {},
        {"MalformedTrustPolicy", "NoAssumeRoleStatement"},
    ),
    (
        "unknown-element-still-analysed",
        policy(allow("*", condition=EXACT, Surprise=1)),
        {},
        {"MalformedTrustPolicy", "WildcardPrincipal"},
    ),
    (
        "principal-and-not-principal",
        policy({**OPERATOR_WITH_ID, "NotPrincipal": {"AWS": OTHER}}),
        {},
        {"MalformedTrustPolicy", "NoAssumeRoleStatement"},
    ),
    (
        "bad-condition-values",
        policy(allow({"AWS": OPERATOR}, condition={"StringEquals": {"sts:ExternalId": {"nested": "x"}}})),
        {},
        {"MalformedTrustPolicy", "NoAssumeRoleStatement"},
    ),
    (
        "unknown-version",
        {"Version": "2020-01-01", "Statement": [OPERATOR_WITH_ID]},
        {},
        {"MalformedTrustPolicy"},
    ),
]


def _analyse(document: Any, overrides: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {
        "external_id_configured": True,
        "management_account_id": MGMT,
        "operator_principal_arn": OPERATOR,
        "role_arn": ROLE,
    }
    kwargs.update(overrides)
    return analyze_trust_policy(document, **kwargs)


@pytest.mark.parametrize(
    ("document", "overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_finding_codes(document: Any, overrides: dict[str, Any], expected: set[str]) -> None:
    analysis = _analyse(document, overrides)
    assert set(analysis.codes) == expected, [f.message for f in analysis.findings]


@pytest.mark.parametrize(
    ("document", "overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verdict_follows_from_findings(document: Any, overrides: dict[str, Any], expected: set[str]) -> None:
    analysis = _analyse(document, overrides)
    blocking = [code for code in expected if SEVERITIES[code] in ("Critical", "High")]
    assert analysis.secure is not blocking
    if blocking:
        assert analysis.reason == analysis.findings[0].code
        assert analysis.reason in blocking
        assert analysis.findings[0].message in analysis.message
    else:
        assert analysis.reason == "Secure"
    for finding in analysis.findings:
        assert finding.severity == SEVERITIES[finding.code]
    TrustPolicyStatus.model_validate(analysis.to_status().to_k8s())


def test_every_code_is_exercised_by_the_table() -> None:
    exercised = set().union(*(case[3] for case in CASES))
    assert exercised == set(SEVERITIES)


def test_findings_are_ordered_most_severe_first() -> None:
    document = policy(
        allow({"Service": "ec2.amazonaws.com"}),
        allow({"AWS": f"arn:aws:iam::{MGMT}:root"}),
        allow("*"),
    )
    analysis = _analyse(document, {"external_id_configured": False})
    order = ["Critical", "High", "Medium", "Low", "Info"]
    ranks = [order.index(f.severity) for f in analysis.findings]
    assert ranks == sorted(ranks)
    assert analysis.findings[0].code == "WildcardPrincipal"
    assert analysis.reason == "WildcardPrincipal"


def test_statement_is_named_by_sid_or_index() -> None:
    document = policy(allow("*", Sid="Everyone"), allow({"AWS": "*"}))
    analysis = _analyse(document, {})
    wildcard = {f.statement for f in analysis.findings if f.code == "WildcardPrincipal"}
    assert wildcard == {"Everyone", "#1"}


def test_external_id_enforced_flag() -> None:
    assert _analyse(policy(OPERATOR_WITH_ID), {}).external_id_enforced is True
    assert _analyse(policy(allow({"AWS": OPERATOR})), {}).external_id_enforced is False
    loophole = policy(OPERATOR_WITH_ID, allow({"AWS": f"arn:aws:iam::{MGMT}:root"}))
    assert _analyse(loophole, {}).external_id_enforced is False
    denied = policy(
        allow({"AWS": OPERATOR}), deny("*", condition={"StringNotEquals": {"sts:ExternalId": "x"}})
    )
    assert _analyse(denied, {}).external_id_enforced is True
    # Nothing lets the operator in: nothing is enforced either.
    assert _analyse(policy(allow({"AWS": OTHER}, condition=EXACT)), {}).external_id_enforced is False
    # A statement for someone else without the External ID does not spoil ours.
    other = policy(OPERATOR_WITH_ID, allow({"AWS": f"arn:aws:iam::{OTHER}:role/x"}))
    assert _analyse(other, {}).external_id_enforced is True


def test_suggestion_names_the_operator_role() -> None:
    analysis = _analyse(policy(allow({"AWS": f"arn:aws:iam::{MGMT}:root"}, condition=EXACT)), {})
    assert OPERATOR in analysis.findings[0].message
    assumed = _analyse(
        policy(allow("*", condition=EXACT)),
        {"operator_principal_arn": f"arn:aws:sts::{MGMT}:assumed-role/awsip-operator/session"},
    )
    assert OPERATOR in assumed.findings[0].message


def test_seed_policy_service_principal_explains_ec2() -> None:
    analysis = _analyse(profiles.trust_policy(MGMT), {"external_id_configured": False})
    service = next(f for f in analysis.findings if f.code == "ServicePrincipal")
    assert "ec2.amazonaws.com" in service.message
    assert "instance profile" in service.message
    assert analysis.secure


def test_not_configured_explains_that_assume_fails() -> None:
    analysis = _analyse(policy(OPERATOR_WITH_ID), {"external_id_configured": False})
    assert analysis.reason == "ExternalIDNotConfigured"
    assert "denied" in analysis.message
    assert "externalIDSecretRef" in analysis.message


def test_not_exact_message_names_the_operator_and_why() -> None:
    condition = {"StringEqualsIfExists": {"sts:ExternalId": "x"}}
    analysis = _analyse(policy(allow({"AWS": OPERATOR}, condition=condition, Sid="Loose")), {})
    (finding,) = analysis.findings
    assert finding.statement == "Loose"
    assert "StringEqualsIfExists" in finding.message
    assert "absent" in finding.message


def test_no_findings_message() -> None:
    analysis = _analyse(policy(OPERATOR_WITH_ID), {})
    assert analysis.findings == []
    assert "no findings" in analysis.message
    assert "External ID is enforced" in analysis.message


def test_allow_not_principal_that_excludes_the_operator() -> None:
    document = policy(
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}
    )
    analysis = _analyse(document, {})
    assert set(analysis.codes) == {"NotPrincipalAllow", "ManagementPrincipalNotTrusted"}
    not_trusted = next(f for f in analysis.findings if f.code == "ManagementPrincipalNotTrusted")
    assert f'everyone except "arn:aws:iam::{MGMT}:root"' in not_trusted.message


def test_no_assume_role_statement_names_non_iam_principals_only() -> None:
    services = _analyse(policy(allow({"Service": "ec2.amazonaws.com"})), {})
    message = next(f.message for f in services.findings if f.code == "NoAssumeRoleStatement")
    assert '"ec2.amazonaws.com"' in message
    tag_only = _analyse(policy(allow("*", action="sts:TagSession")), {})
    assert "not IAM principals" not in tag_only.findings[0].message


def test_summary_keeps_the_other_codes_when_the_first_message_is_long() -> None:
    collector = FindingCollector()
    collector.add("WildcardPrincipal", "w" * 10_000, statement="S" * 1000, index=0)
    collector.add("ServicePrincipal", "s", statement="#1", index=1)
    analysis = collector.result(external_id_enforced=False)
    assert len(analysis.findings[0].message) == MAX_MESSAGE_LENGTH
    assert len(analysis.findings[0].statement or "") == 256
    assert len(analysis.message) <= MAX_MESSAGE_LENGTH
    assert analysis.message.endswith("Also: ServicePrincipal (Info); see status.trustPolicy.findings.")
    TrustPolicyStatus.model_validate(analysis.to_status().to_k8s())
