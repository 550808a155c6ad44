"""Fuzzing: whatever the document, the analysis returns a status that fits the CRD's limits."""

from __future__ import annotations

import json
import re
import string
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsip.api.v1alpha1 import (
    CONDITION_REASON_PATTERN,
    MAX_MESSAGE_LENGTH,
    MAX_TRUST_FINDINGS,
    Condition,
    TrustPolicyStatus,
)
from awsip.trust import SEVERITIES, TrustAnalysis, analyze_trust_policy

MGMT = "111122223333"
OPERATOR = f"arn:aws:iam::{MGMT}:role/awsip-operator"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(analysis: TrustAnalysis) -> None:
    """The invariants every analysis keeps, whatever it was given."""
    assert isinstance(analysis, TrustAnalysis)
    status = TrustPolicyStatus.model_validate(analysis.to_status().to_k8s())
    assert len(status.findings) <= MAX_TRUST_FINDINGS
    assert analysis.truncated is (analysis.total_findings > MAX_TRUST_FINDINGS)
    assert len(analysis.findings) == min(analysis.total_findings, MAX_TRUST_FINDINGS)
    for finding in analysis.findings:
        assert len(finding.message) <= MAX_MESSAGE_LENGTH
        assert finding.severity == SEVERITIES[finding.code]
        assert finding.statement is None or len(finding.statement) <= 256
    assert len(analysis.message) <= MAX_MESSAGE_LENGTH
    assert re.fullmatch(CONDITION_REASON_PATTERN, analysis.reason)
    blocking = any(f.severity in ("Critical", "High") for f in analysis.findings)
    assert analysis.secure is not blocking
    assert (analysis.reason == "Secure") is analysis.secure
    Condition.model_validate(
        {
            "type": "TrustPolicySecure",
            "status": "True" if analysis.secure else "False",
            "reason": analysis.reason,
            "message": analysis.message,
            "lastTransitionTime": datetime.now(UTC),
        }
    )


def analyse(document: Any, **overrides: Any) -> TrustAnalysis:
    kwargs: dict[str, Any] = {"external_id_configured": True, "management_account_id": MGMT}
    kwargs.update(overrides)
    return analyze_trust_policy(document, **kwargs)


# --- arbitrary JSON-ish values --------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


@FUZZ
@given(document=json_values, configured=st.booleans())
@example(document={"Version": []}, configured=False)
@example(
    document={"Statement": [{"Effect": ["Allow"], "Principal": {"AWS": [[]]}, "Action": [{}]}]},
    configured=True,
)
@example(
    document={"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"": {}}}},
    configured=True,
)
def test_arbitrary_values(document: Any, configured: bool) -> None:
    check(analyse(document, external_id_configured=configured))


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(analyse(text))
    check(analyse(urllib.parse.quote(text)))


# --- policy-shaped documents built from IAM's vocabulary -----------------------------------

accounts = st.sampled_from([MGMT, "444455556666", "999988887777", "*", "12345", ""])
principal_values = st.one_of(
    st.sampled_from(["*", OPERATOR, "AROA1234567890EXAMPLE", "ec2.amazonaws.com", "arn:aws:iam::*:root"]),
    accounts,
    st.builds(lambda a: f"arn:aws:iam::{a}:root", accounts),
    st.builds(lambda a, n: f"arn:aws:iam::{a}:role/{n}", accounts, st.text(max_size=10)),
    st.builds(lambda a, n: f"arn:aws:sts::{a}:assumed-role/{n}/s", accounts, st.text(max_size=10)),
    st.text(max_size=20),
)
one_or_many = lambda values: values | st.lists(values, max_size=4)  # noqa: E731
principals = st.one_of(
    st.just("*"),
    st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "aws", "Other"]),
        one_or_many(principal_values),
        max_size=3,
    ),
    json_values,
)
actions = one_or_many(
    st.sampled_from(
        ["sts:AssumeRole", "sts:*", "*", "sts:TagSession", "STS:assumerole", "sts:Assume*", "s3:*"]
    )
    | st.text(max_size=15)
)
operators = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "StringNotEquals",
        "StringEqualsIfExists",
        "ForAnyValue:StringEquals",
        "ForAllValues:StringLike",
        "Null",
        "ArnLike",
        "stringequals",
        "Bool",
    ]
) | st.text(max_size=25)
keys = st.sampled_from(
    [
        "sts:ExternalId",
        "STS:EXTERNALID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:SourceIp",
    ]
) | st.text(max_size=20)
condition_values = one_or_many(
    st.sampled_from(["abc", "*", "abc*", "${aws:username}", MGMT, "o-a1b2c3", "true", "false"])
    | st.text(max_size=20)
    | st.integers()
    | st.booleans()
)
conditions = (
    st.dictionaries(operators, st.dictionaries(keys, condition_values, max_size=3), max_size=3) | json_values
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    statement["Effect"] = draw(st.sampled_from(["Allow", "Allow", "Deny", "allow", 1]))
    if draw(st.booleans()):
        statement["Principal" if draw(st.integers(0, 4)) else "NotPrincipal"] = draw(principals)
    statement["Action" if draw(st.integers(0, 4)) else "NotAction"] = draw(actions)
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    if draw(st.integers(0, 5)) == 0:
        statement["Sid"] = draw(st.text(max_size=300) | st.integers())
    if draw(st.integers(0, 10)) == 0:
        statement[draw(st.text(max_size=8))] = draw(json_values)
    return statement


documents = st.builds(
    lambda statements, version: {"Version": version, "Statement": statements},
    st.lists(statements(), max_size=6),
    st.sampled_from(["2012-10-17", "2008-10-17", "x"]),
)


@FUZZ
@given(
    document=documents,
    configured=st.booleans(),
    management=st.sampled_from([None, MGMT, "bad"]),
    operator=st.sampled_from([None, OPERATOR, f"arn:aws:sts::{MGMT}:assumed-role/awsip-operator/s", "x"]),
    role=st.sampled_from([None, "arn:aws:iam::999988887777:role/capa", "nonsense"]),
)
def test_policy_shaped_documents(
    document: dict[str, Any], configured: bool, management: str | None, operator: str | None, role: str | None
) -> None:
    analysis = analyze_trust_policy(
        document,
        external_id_configured=configured,
        management_account_id=management,
        operator_principal_arn=operator,
        role_arn=role,
    )
    check(analysis)
    # Every encoding of the same document gives the same analysis.
    text = json.dumps(document)
    for encoded in (text, urllib.parse.quote(text)):
        again = analyze_trust_policy(
            encoded,
            external_id_configured=configured,
            management_account_id=management,
            operator_principal_arn=operator,
            role_arn=role,
        )
        assert again == analysis


@FUZZ
@given(document=documents)
def test_a_wildcard_statement_is_never_secure(document: dict[str, Any]) -> None:
    wildcard = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
    document = {**document, "Statement": [*document["Statement"], wildcard]}
    analysis = analyse(document)
    check(analysis)
    assert not analysis.secure


# --- sizes ----------------------------------------------------------------------------------


def test_thousands_of_statements() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    analysis = analyse({"Statement": [dict(statement, Sid=f"S{i}") for i in range(5000)]})
    check(analysis)
    assert analysis.truncated
    assert analysis.total_findings >= 5000
    assert analysis.reason == "WildcardPrincipal"


def test_long_strings_everywhere() -> None:
    long = "x" * 10_000
    unicode = "ü🙂\u202e\x00" * 2_500
    document = {
        "Version": long,
        long: long,
        "Statement": [
            {
                "Sid": unicode,
                "Effect": "Allow",
                "Principal": {
                    "AWS": [long, unicode, f"arn:aws:iam::{MGMT}:role/{long}", "*"],
                    "Federated": long,
                },
                "Action": [long, "sts:AssumeRole"],
                "Condition": {long: {long: [long] * 50}, "StringLike": {"sts:ExternalId": unicode}},
                long: long,
            }
        ],
    }
    analysis = analyse(document)
    check(analysis)
    check(analyse(json.dumps(document)))


def test_deeply_nested_conditions() -> None:
    nested: Any = "x"
    for _ in range(5000):
        nested = {"k": nested}
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": nested},
            }
        ]
    }
    check(analyse(document))
    text = '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": '
    text += '{"a":' * 100_000 + "1" + "}" * 100_000 + "}]}"
    analysis = analyse(text)
    check(analysis)
    assert analysis.codes == ["MalformedTrustPolicy"]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=string.printable + "üß🙂\u0301", min_size=1, max_size=40))
def test_unicode_principals_and_sids(value: str) -> None:
    document = {
        "Statement": [
            {
                "Sid": value,
                "Effect": "Allow",
                "Principal": {"AWS": [value, OPERATOR]},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    check(analyse(document, operator_principal_arn=OPERATOR))
