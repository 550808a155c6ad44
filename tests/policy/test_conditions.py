"""Every condition operator, its Not/IfExists forms and the set operators, table-driven.

Each case is an Allow statement with one condition and a request context; the expectation is
whether the condition holds (so whether the request is allowed).
"""

from __future__ import annotations

from typing import Any

import pytest

from awsip.policy import Request, simulate

from .helpers import allow, deny, doc

ABSENT = None
Case = tuple[str, Any, Any, bool]

CASES: list[Case] = [
    # String operators: case-sensitive, exact.
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", ["x", "abc"], "abc", True),  # several policy values: OR
    ("StringEquals", "a*", "abc", False),  # no wildcards in StringEquals
    ("StringEquals", "a*", "a*", True),
    ("StringEquals", "abc", ABSENT, False),
    ("StringNotEquals", "abc", "abd", True),
    ("StringNotEquals", "abc", "abc", False),
    ("StringNotEquals", ["a", "b"], "b", False),  # negated: matches none of the values
    ("StringNotEquals", "abc", ABSENT, True),  # a negated operator holds for an absent key
    ("StringEqualsIgnoreCase", "AbC", "aBc", True),
    ("StringEqualsIgnoreCase", "abc", "abd", False),
    ("StringNotEqualsIgnoreCase", "AbC", "abc", False),
    ("StringNotEqualsIgnoreCase", "AbC", "abd", True),
    ("StringLike", "a*c", "abbbc", True),
    ("StringLike", "a?c", "abc", True),
    ("StringLike", "a?c", "ac", False),
    ("StringLike", "a*", "A", False),  # case-sensitive
    ("StringLike", "a*", ABSENT, False),
    ("StringNotLike", "a*", "bcd", True),
    ("StringNotLike", "a*", "abc", False),
    ("StringNotLike", "a*", ABSENT, True),
    # IfExists: holds when the key is absent, otherwise like the base operator.
    ("StringEqualsIfExists", "abc", ABSENT, True),
    ("StringEqualsIfExists", "abc", "abc", True),
    ("StringEqualsIfExists", "abc", "abd", False),
    ("StringNotLikeIfExists", "a*", ABSENT, True),
    ("StringNotLikeIfExists", "a*", "ab", False),
    ("NumericLessThanIfExists", "5", ABSENT, True),
    ("NumericLessThanIfExists", "5", "7", False),
    ("BoolIfExists", "true", ABSENT, True),
    ("BoolIfExists", "true", "false", False),
    # Numeric.
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "10", "ten", False),  # not a number: no positive numeric operator matches
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", "ten", True),
    ("NumericNotEquals", "10", ABSENT, True),
    ("NumericLessThan", "10", "9.5", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThan", "10", "-3", False),
    ("NumericGreaterThan", "-5", "-3", True),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericLessThan", "10", ABSENT, False),
    ("NumericLessThan", 10, "3", True),  # a JSON number as the policy value
    # Dates: ISO 8601 or epoch seconds.
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "2020-01-01", "2020-01-01T00:00:01Z", True),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00+01:00", "2019-12-31T23:00:00Z", True),
    ("DateEquals", "1577836800", "2020-01-01T00:00:00Z", True),  # epoch time
    ("DateNotEquals", "1577836800", "2020-01-01T00:00:01Z", True),
    ("DateNotEquals", "1577836800", "2020-01-01T00:00:00Z", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", "not a date", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", ABSENT, False),
    # Bool: "true"/"false"; JSON booleans in the policy are accepted.
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "true", "false", False),
    ("Bool", True, "true", True),
    ("Bool", False, "false", True),
    ("Bool", "false", ABSENT, False),
    # IP addresses: CIDR blocks and single addresses, IPv4 and IPv6.
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", True),
    ("IpAddress", "10.0.0.0/8", "11.0.0.1", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "203.0.113.7/32", "203.0.113.8", False),
    ("IpAddress", ["192.0.2.0/24", "2001:db8::/32"], "2001:db8::1", True),
    ("IpAddress", "2001:db8::/32", "2001:db9::1", False),
    ("IpAddress", "10.0.0.0/8", "not-an-ip", False),
    ("IpAddress", "10.0.0.0/8", ABSENT, False),
    ("NotIpAddress", "10.0.0.0/8", "11.0.0.1", True),
    ("NotIpAddress", "10.0.0.0/8", "10.0.0.1", False),
    ("NotIpAddress", "10.0.0.0/8", ABSENT, True),
    # ARN operators: wildcards within each of the six ':'-separated parts.
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/x/y", True),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::1:2:role/x", False),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::1:user/x", False),
    ("ArnEquals", "arn:aws:sns:*:123:topic", "arn:aws:sns:eu-west-1:123:topic", True),
    ("ArnEquals", "arn:aws:sns:us-east-1:123:topic", "arn:aws:sns:eu-west-1:123:topic", False),
    ("ArnNotEquals", "arn:aws:sns:us-east-1:123:topic", "arn:aws:sns:eu-west-1:123:topic", True),
    ("ArnNotLike", "arn:aws:iam::*:role/*", "arn:aws:iam::1:role/x", False),
    ("ArnNotLike", "arn:aws:iam::*:role/*", ABSENT, True),
    ("ArnLike", "arn:aws:iam::*:role/*", "ARN:AWS:IAM::1:ROLE/X", False),
    # Binary: base64 strings compared exactly.
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "cmluYXJ5VmFsdWU=", False),
    # Null: "true" = the key is absent, "false" = present.
    ("Null", "true", ABSENT, True),
    ("Null", "true", "x", False),
    ("Null", "false", "x", True),
    ("Null", "false", ABSENT, False),
    ("Null", True, ABSENT, True),
    # Empty values count as an absent key.
    ("Null", "true", "", True),
    ("StringNotEquals", "abc", "", True),
    ("StringEquals", "", "", False),
    # Set operators over multivalued keys.
    ("ForAnyValue:StringEquals", ["a", "b"], ["x", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["x", "y"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], ABSENT, False),  # ForAnyValue: an absent key fails
    ("ForAnyValue:StringEquals", ["a", "b"], [], False),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "x"], True),  # some value is none of them
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "b"], False),
    ("ForAnyValue:StringNotEquals", ["a"], ABSENT, False),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "x"], False),
    ("ForAllValues:StringEquals", ["a", "b"], ABSENT, True),  # ForAllValues: an absent key holds
    ("ForAllValues:StringEquals", ["a", "b"], [], True),
    ("ForAllValues:StringNotEquals", ["a", "b"], ["x", "y"], True),  # no value is one of them
    ("ForAllValues:StringNotEquals", ["a", "b"], ["x", "a"], False),
    ("ForAllValues:StringLike", "team-*", ["team-a", "team-b"], True),
    ("ForAllValues:StringLike", "team-*", ["team-a", "other"], False),
    (
        "ForAnyValue:StringLike",
        "alias/cluster-api-provider-aws-*",
        ["alias/x", "alias/cluster-api-provider-aws-1"],
        True,
    ),
    ("ForAnyValue:StringLikeIfExists", "x*", ABSENT, True),
    ("ForAnyValue:NumericLessThan", "5", ["7", "3"], True),
    ("ForAllValues:NumericLessThan", "5", ["7", "3"], False),
    # A single-value operator on a multivalued key: some value matches (negated: none does).
    ("StringEquals", "a", ["a", "b"], True),
    ("StringNotEquals", "a", ["a", "b"], False),
    ("StringNotEquals", "a", ["b", "c"], True),
    # A single-valued context value with a set operator.
    ("ForAnyValue:StringEquals", "a", "a", True),
    ("ForAllValues:StringEquals", "a", "b", False),
]


@pytest.mark.parametrize(("operator", "values", "context", "expected"), CASES)
def test_condition_operator(operator: str, values: Any, context: Any, expected: bool) -> None:
    document = doc(allow("s3:GetObject", "*", condition={operator: {"test:Key": values}}))
    ctx = {} if context is None else {"test:Key": context}
    decision = simulate([document], Request("s3:GetObject", "arn:aws:s3:::b/k", ctx))
    assert decision.allowed is expected


def test_condition_key_names_are_case_insensitive() -> None:
    document = doc(allow("s3:GetObject", "*", condition={"StringEquals": {"AWS:PrincipalTag/Team": "x"}}))
    assert simulate([document], Request("s3:GetObject", "*", {"aws:principaltag/team": "x"})).allowed
    assert simulate([document], Request("s3:GetObject", "*", {"Aws:PrincipalTag/TEAM": "x"})).allowed
    # ...but the values are not (StringEquals).
    assert not simulate([document], Request("s3:GetObject", "*", {"aws:principaltag/team": "X"})).allowed


def test_all_clauses_and_all_operators_of_a_block_must_hold() -> None:
    document = doc(
        allow(
            "s3:GetObject",
            "*",
            condition={
                "StringEquals": {"k1": "a", "k2": "b"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
    )
    full = {"k1": "a", "k2": "b", "aws:SecureTransport": "true"}
    assert simulate([document], Request("s3:GetObject", "*", full)).allowed
    for key in full:
        partial = {k: v for k, v in full.items() if k != key}
        assert not simulate([document], Request("s3:GetObject", "*", partial)).allowed, key


def test_variables_in_condition_values() -> None:
    document = doc(
        allow("s3:GetObject", "*", condition={"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}})
    )
    assert simulate(
        [document], Request("s3:GetObject", "*", {"aws:ResourceTag/owner": "bob", "aws:username": "bob"})
    ).allowed
    assert not simulate(
        [document], Request("s3:GetObject", "*", {"aws:ResourceTag/owner": "bob", "aws:username": "eve"})
    ).allowed
    # Unresolved in an Allow: never matches, even with a negated operator.
    negated = doc(allow("s3:GetObject", "*", condition={"StringNotEquals": {"k": "${aws:username}"}}))
    assert not simulate([negated], Request("s3:GetObject", "*", {"k": "x"})).allowed
    # Unresolved in a Deny: the clause holds (the Deny may apply).
    guarded = doc(
        allow("s3:GetObject", "*"),
        deny(
            "s3:GetObject", "*", condition={"StringNotEquals": {"aws:ResourceTag/owner": "${aws:username}"}}
        ),
    )
    assert simulate([guarded], Request("s3:GetObject", "*", {"aws:ResourceTag/owner": "x"})).decision == (
        "ExplicitDeny"
    )
    assert simulate(
        [guarded], Request("s3:GetObject", "*", {"aws:ResourceTag/owner": "x", "aws:username": "x"})
    ).allowed
    # A default value resolves the variable.
    defaulted = doc(allow("s3:GetObject", "*", condition={"StringEquals": {"k": "${aws:username, 'anon'}"}}))
    assert simulate([defaulted], Request("s3:GetObject", "*", {"k": "anon"})).allowed


def test_condition_values_of_json_numbers_and_bools() -> None:
    document = doc(allow("s3:GetObject", "*", condition={"NumericEquals": {"k": 1.5}, "Bool": {"b": False}}))
    assert simulate([document], Request("s3:GetObject", "*", {"k": "1.50", "b": "false"})).allowed
